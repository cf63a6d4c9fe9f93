import { type ChildProcess, spawn } from "node:child_process";
import { createInterface } from "node:readline";
import { afterEach, expect, it } from "vitest";

const started: ChildProcess[] = [];
afterEach(() => {
  for (const child of started.splice(0)) {
    try {
      if (child.pid) process.kill(-child.pid, "SIGKILL");
    } catch {
      // Already gone.
    }
  }
});

/** A process that watches its starter and says so on stdout, as local/dev.ts does. */
const WATCHER = `import { watchStarter } from "./local/starter-watch.ts";
watchStarter(() => { console.log("starter gone"); process.exit(0); }, 100);
console.log("watching");
setInterval(() => {}, 1000);`;

/**
 * `npm run` as it runs a script: a starter (npm, without `npm_lifecycle_event`) whose script
 * runs `sh -c` and then `node`, both with it. The starter prints the pid of the shell.
 */
function npmLike() {
  const { npm_lifecycle_event: _ours, ...env } = process.env;
  const starter = spawn(
    process.execPath,
    [
      "-e",
      `const { spawn } = require("node:child_process");
       const script = spawn("sh", ["-c", ${JSON.stringify(`${process.execPath} --import tsx --input-type=module -e '${WATCHER}'; echo shell done`)}],
         { stdio: ["ignore", "inherit", "inherit"], env: { ...process.env, npm_lifecycle_event: "dev" } });
       setInterval(() => {}, 1000);`,
    ],
    { stdio: ["ignore", "pipe", "inherit"], env, detached: true },
  );
  started.push(starter);
  const lines: string[] = [];
  createInterface({ input: starter.stdout as NonNullable<typeof starter.stdout> }).on("line", (line) =>
    lines.push(line),
  );
  return { starter, lines };
}

const until = async (check: () => boolean) => {
  await expect.poll(check, { timeout: 10_000, interval: 50 }).toBe(true);
};

it("notices the npm-like starter killed hard, though the shell between it and the watcher lives on", async () => {
  const { starter, lines } = npmLike();
  await until(() => lines.includes("watching"));
  process.kill(starter.pid ?? 0, "SIGKILL");
  await until(() => lines.includes("starter gone"));
  // The shell outlived the starter: only then did the watcher exit, and the shell after it.
  await until(() => lines.includes("shell done"));
});

it("keeps watching while the starter lives", async () => {
  const { lines } = npmLike();
  await until(() => lines.includes("watching"));
  await new Promise((resolve) => setTimeout(resolve, 1000));
  expect(lines).toEqual(["watching"]);
});
