import { type ChildProcess, spawn } from "node:child_process";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { emulatorControl } from "../../local/github/control-client";
import { freePort } from "../free-port";
import { startLocalServices } from "../local-services";

/**
 * The whole product over real HTTP for end-to-end journeys: the built Worker under
 * `wrangler dev` (as `npm run preview` serves it), a fresh database, and the emulators,
 * all on free ports with fresh secrets. Nothing of the developer's `.dev.vars` or `.data/`
 * is read or written.
 */
export async function startE2EStack() {
  const appUrl = `http://127.0.0.1:${await freePort()}`;
  const services = await startLocalServices(appUrl, { webhooks: true });
  const envFile = join(services.dir, "worker.env");
  writeFileSync(
    envFile,
    Object.entries(services.workerVars)
      .map(([name, value]) => `${name}=${JSON.stringify(value)}\n`)
      .join(""),
  );

  // A production build, as `npm run build` makes: Vite reads the mode from NODE_ENV, which
  // vitest sets to "test".
  await run("node_modules/.bin/react-router", ["build"], { NODE_ENV: "production" });
  const app = spawn(
    "node_modules/.bin/wrangler",
    [
      "dev",
      "--env-file",
      envFile,
      "--ip",
      "127.0.0.1",
      "--port",
      new URL(appUrl).port,
      "--persist-to",
      join(services.dir, "wrangler"),
    ],
    {
      env: {
        ...process.env,
        CLOUDFLARE_HYPERDRIVE_LOCAL_CONNECTION_STRING_HYPERDRIVE: services.databaseUrl,
        CLOUDFLARE_CF_FETCH_ENABLED: "false",
        CI: "true",
      },
      stdio: ["ignore", "pipe", "pipe"],
      detached: true,
    },
  );
  const output: string[] = [];
  app.stdout?.on("data", (chunk: Buffer) => output.push(chunk.toString()));
  app.stderr?.on("data", (chunk: Buffer) => output.push(chunk.toString()));
  await waitForHealthy(appUrl, app, output);

  return {
    appUrl,
    mailboxUrl: services.auth.mailboxUrl,
    githubUrl: services.github.url,
    github: emulatorControl(services.github.url, services.localSecret),
    async stop() {
      stopGroup(app);
      await services.stop();
    },
  };
}

export type E2EStack = Awaited<ReturnType<typeof startE2EStack>>;

async function waitForHealthy(appUrl: string, app: ChildProcess, output: string[]) {
  const deadline = Date.now() + 60_000;
  while (Date.now() < deadline) {
    if (app.exitCode !== null) throw new Error(`wrangler dev exited:\n${output.join("")}`);
    try {
      if ((await fetch(`${appUrl}/healthz`)).ok) return;
    } catch {
      // Not listening yet.
    }
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  stopGroup(app);
  throw new Error(`wrangler dev did not become healthy:\n${output.join("")}`);
}

function stopGroup(child: ChildProcess) {
  try {
    if (child.pid) process.kill(-child.pid, "SIGKILL");
  } catch {
    // Already gone.
  }
}

function run(command: string, args: string[], env: Record<string, string> = {}) {
  return new Promise<void>((resolve, reject) => {
    const child = spawn(command, args, { env: { ...process.env, ...env }, stdio: ["ignore", "ignore", "pipe"] });
    const errors: string[] = [];
    child.stderr?.on("data", (chunk: Buffer) => errors.push(chunk.toString()));
    child.on("exit", (code) => (code === 0 ? resolve() : reject(new Error(`${command} failed:\n${errors.join("")}`))));
  });
}
