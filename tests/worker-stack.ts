import { type ChildProcess, spawn } from "node:child_process";
import { createHash } from "node:crypto";
import { existsSync, mkdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Agent, setGlobalDispatcher } from "undici";
import { emulatorControl } from "../local/github/control-client";
import { freePort } from "./free-port";
import { startLocalServices } from "./local-services";

/**
 * How this process's fetch keeps connections: idle ones 1 s. workerd closes a connection 5 s
 * after its last response and names no `Keep-Alive` timeout (measured: 4,995 ms); Node's
 * fetch keeps an idle one 4 s and never resends a POST. On a busy machine the second between
 * them went, and a call written to a connection as workerd closed it failed with "other side
 * closed" (`npm run bench`, 32 people at once). 1 s leaves 4 s.
 */
const KEEP_IDLE_CONNECTIONS_MS = 1_000;

/** From now on, this process's fetch keeps idle connections {@link KEEP_IDLE_CONNECTIONS_MS}. */
export function keepIdleConnectionsBriefly() {
  setGlobalDispatcher(new Agent({ keepAliveTimeout: KEEP_IDLE_CONNECTIONS_MS }));
}

/**
 * The whole product over real HTTP, for end-to-end journeys and the HTTP benchmarks: the built
 * Worker on workerd (`local/serve-built-worker.ts`, as `npm run preview` serves
 * it), a fresh database, and the emulators and sandbox host, all on free ports with fresh
 * secrets. Nothing of the developer's `.dev.vars` or `.data/` is read or written. From then on
 * this process's fetch keeps idle connections {@link KEEP_IDLE_CONNECTIONS_MS}.
 * @param buildId marks the one build that stacks sharing it serve (see buildOnce): the e2e
 *   project's id for its stacks, a fresh one to build anew.
 * @param options.databaseVia gives the URL the Worker's Hyperdrive connects to, for the
 *   database's own: a relay in front of it that counts queries, for the benchmarks.
 * @param options.vars sets `[vars]` of wrangler.toml otherwise, as `.dev.vars` does.
 */
export async function startWorkerStack(
  buildId: string,
  options: { databaseVia?: (databaseUrl: string) => Promise<string>; vars?: Record<string, string> } = {},
) {
  keepIdleConnectionsBriefly();
  const appUrl = `http://127.0.0.1:${await freePort()}`;
  const services = await startLocalServices(appUrl, { webhooks: true });
  const envFile = join(services.dir, "worker.env");
  writeFileSync(
    envFile,
    Object.entries({ ...services.workerVars, ...options.vars })
      .map(([name, value]) => `${name}=${JSON.stringify(value)}\n`)
      .join(""),
  );

  await buildOnce(buildId);
  const app = spawn(
    process.execPath,
    [
      "--import",
      "tsx",
      "local/serve-built-worker.ts",
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
        CLOUDFLARE_HYPERDRIVE_LOCAL_CONNECTION_STRING_HYPERDRIVE: options.databaseVia
          ? await options.databaseVia(services.databaseUrl)
          : services.databaseUrl,
        CI: "true",
      },
      stdio: ["ignore", "pipe", "pipe"],
      detached: true,
    },
  );
  const output: string[] = [];
  app.stdout?.on("data", (chunk: Buffer) => output.push(chunk.toString()));
  app.stderr?.on("data", (chunk: Buffer) => output.push(chunk.toString()));
  let stopping = false;
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    app.once("exit", (code, signal) => {
      if (!stopping) resolve({ code, signal });
    }),
  );
  await waitForHealthy(appUrl, app, output);

  return {
    appUrl,
    mailboxUrl: services.auth.mailboxUrl,
    githubUrl: services.github.url,
    github: emulatorControl(services.github.url, services.localSecret),
    /** Every request GitHub (the emulator) receives, as they arrive: see RunningGitHubEmulator.onRequest. */
    onGitHubRequest: services.github.onRequest,
    /** Every request the sandbox host receives, as they arrive: see RunningSandboxHost.onRequest. */
    onSandboxHostRequest: services.onSandboxHostRequest,
    authUrl: services.auth.url,
    sandboxHostUrl: services.sandboxHostUrl,
    /** The local stack's secret, which the emulators' control APIs and the sandbox host ask for. */
    localSecret: services.localSecret,
    /** What the dev server printed so far: the Worker's log lines and wrangler's own. */
    output: () => output.join(""),
    /** The GitHub App's OAuth client, as the Worker holds it, for user tokens made as its web flow makes them. */
    githubApp: {
      clientId: services.workerVars.GITHUB_APP_CLIENT_ID ?? "",
      clientSecret: services.workerVars.GITHUB_APP_CLIENT_SECRET ?? "",
    },
    /** Settles only if the dev server exits before stop(): with its exit code or signal. */
    exited,
    async stop() {
      stopping = true;
      stopGroup(app);
      await services.stop();
    },
  };
}

export type WorkerStack = Awaited<ReturnType<typeof startWorkerStack>>;

/**
 * The production build every stack serves, as `npm run build` makes it, made once per
 * `buildId`. Stacks start in parallel (the e2e project's shared one and a file's own, another
 * checkout's run, the bench): each server serves a copy of `build/` taken at its start
 * (serve-built-worker.ts), and a server started while another process was building would copy
 * half a build. A lock folder (mkdir is atomic) lets one build while the others wait; the id
 * in `build/` tells them it is done.
 */
async function buildOnce(buildId: string): Promise<void> {
  const marker = join("build", ".e2e-run");
  const lock = join(
    tmpdir(),
    `ctx4-e2e-build-${createHash("sha256").update(process.cwd()).digest("hex").slice(0, 16)}`,
  );
  const deadline = Date.now() + 300_000;
  for (;;) {
    try {
      mkdirSync(lock);
      break;
    } catch {
      // A lock older than any build is a crashed run's.
      const since = statSync(lock, { throwIfNoEntry: false })?.mtimeMs;
      if (since !== undefined && Date.now() - since > 300_000) rmSync(lock, { force: true, recursive: true });
      if (Date.now() > deadline) throw new Error(`another test run holds ${lock}`);
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
  }
  try {
    if (existsSync(marker) && readFileSync(marker, "utf8") === buildId) return;
    // Vite reads the mode from NODE_ENV, which vitest sets to "test".
    await run("node_modules/.bin/react-router", ["build"], { NODE_ENV: "production" });
    writeFileSync(marker, buildId);
  } finally {
    rmSync(lock, { force: true, recursive: true });
  }
}

async function waitForHealthy(appUrl: string, app: ChildProcess, output: string[]) {
  const deadline = Date.now() + 60_000;
  while (Date.now() < deadline) {
    if (app.exitCode !== null) throw new Error(`the dev server exited:\n${output.join("")}`);
    try {
      if ((await fetch(`${appUrl}/healthz`)).ok) return;
    } catch {
      // Not listening yet.
    }
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  stopGroup(app);
  throw new Error(`the dev server did not become healthy:\n${output.join("")}`);
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
