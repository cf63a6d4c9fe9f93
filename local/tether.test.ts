import { type ChildProcess, spawn } from "node:child_process";
import { readdirSync, readFileSync } from "node:fs";
import { createInterface } from "node:readline";
import { afterEach, expect, it } from "vitest";

const started: ChildProcess[] = [];
afterEach(() => {
  for (const child of started.splice(0)) child.kill("SIGKILL");
});

/** Runs the tether as the launcher does: detached, its stdin a pipe from us. */
function tether(...command: string[]) {
  const child = spawn(process.execPath, ["--import", "tsx", "local/tether.ts", ...command], {
    stdio: ["pipe", "pipe", "inherit"],
    detached: true,
  });
  started.push(child);
  return child;
}

it("exits as its command exits", async () => {
  const child = tether("sh", "-c", "echo hello; exit 3");
  const out = createInterface({ input: child.stdout as NonNullable<typeof child.stdout> });
  const lines: string[] = [];
  out.on("line", (line) => lines.push(line));
  const code = await new Promise((resolve) => child.on("exit", resolve));
  expect(code).toBe(3);
  expect(lines).toEqual(["hello"]);
});

it("stops its command and all the command started when the process holding its stdin dies by SIGKILL", async () => {
  // A launcher of our own, killed hard below: the tether's stdin is a pipe from it.
  const launcher = spawn(
    process.execPath,
    [
      "-e",
      `const { spawn } = require("node:child_process");
       const child = spawn(process.execPath, ["--import", "tsx", "local/tether.ts", "sh", "-c", "sleep 60 & sleep 61"],
         { stdio: ["pipe", "ignore", "inherit"], detached: true });
       console.log(child.pid);
       setInterval(() => {}, 1000);`,
    ],
    { stdio: ["ignore", "pipe", "inherit"] },
  );
  started.push(launcher);
  const group = Number(
    await new Promise<string>((resolve) =>
      createInterface({ input: launcher.stdout as NonNullable<typeof launcher.stdout> }).once("line", resolve),
    ),
  );
  // The tether, sh and both sleeps.
  await until(() => members(group).length === 4, 15_000);

  launcher.kill("SIGKILL");
  await until(() => members(group).length === 0, 5_000);
}, 30_000);

async function until(condition: () => boolean, timeoutMs: number) {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error("timed out");
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/** The live processes of process group `group`, from /proc (zombies left out: they are dead). */
function members(group: number): number[] {
  return readdirSync("/proc").flatMap((entry) => {
    if (!/^\d+$/.test(entry)) return [];
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, "utf8");
      const [state, , pgrp] = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
      return state !== "Z" && Number(pgrp) === group ? [Number(entry)] : [];
    } catch {
      return [];
    }
  });
}
