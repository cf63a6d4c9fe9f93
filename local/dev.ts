import { type ChildProcess, spawn } from "node:child_process";
import { createInterface } from "node:readline";
import { stripVTControlCharacters } from "node:util";
import { busyPortProblem } from "./busy-ports";
import { loadLocalStack, PORTS, ports, workerVars, writeDevVars } from "./dev-config";
import { firstAnswer } from "./first-answer";
import { FORKING_NODE_FLAGS } from "./node-flags";
import { applyMigrations, embeddedPostgresUrl, type RunningPostgres, startEmbeddedPostgres } from "./postgres";
import { watchStarter } from "./starter-watch";

/**
 * `npm run dev`: the whole product on this machine, offline. Embedded Postgres (unless
 * DATABASE_URL), the Supabase Auth emulator with its mailbox, the GitHub emulator, the
 * sandbox host, and the app under Vite. `--preview` serves the built Worker on workerd
 * instead (serve-built-worker.ts). Ctrl-C, or any piece dying, stops everything; so
 * does this process dying, even by SIGKILL: each piece runs tethered to it (local/tether.ts);
 * and so does npm dying, which the shell and tsx between npm and us outlive
 * (local/starter-watch.ts).
 */
const preview = process.argv.includes("--preview");
const children = new Set<ChildProcess>();
let database: RunningPostgres | undefined;
let stopping = false;

async function main() {
  process.on("SIGINT", () => void stop(0));
  process.on("SIGTERM", () => void stop(0));
  watchStarter(() => {
    log("dev", "the process that started npm run dev is gone: stopping");
    void stop(1);
  });

  const wanted = (Object.keys(PORTS) as (keyof typeof PORTS)[])
    .filter((key) => key !== "postgres" || !process.env.DATABASE_URL)
    .map((key) => ({ ...PORTS[key], port: ports[key] }));
  const busy = await busyPortProblem(wanted);
  if (busy) throw new Error(busy);

  const stack = loadLocalStack(".data/local-stack.json");
  const appUrl = `http://localhost:${ports.app}`;
  const vars = workerVars(stack, {
    app: appUrl,
    auth: `http://127.0.0.1:${ports.auth}`,
    github: `http://127.0.0.1:${ports.github}`,
    sandboxHost: `http://127.0.0.1:${ports.sandboxHost}`,
  });
  if (writeDevVars(".dev.vars", vars) === "kept") log("dev", "using your own .dev.vars (it has no generated marker)");
  const shared = { LOCAL_STACK_SECRET: stack.localSecret };

  // Every piece starts at once: the app needs the database only when it serves a request, and
  // the database's URL is known before it starts. Ready is when the app has answered one.
  const databaseUrl = process.env.DATABASE_URL || embeddedPostgresUrl(ports.postgres);
  const appEnv = {
    CLOUDFLARE_HYPERDRIVE_LOCAL_CONNECTION_STRING_HYPERDRIVE: databaseUrl,
    // We are offline by design; do not try to download Cloudflare's request metadata.
    CLOUDFLARE_CF_FETCH_ENABLED: "false",
  };
  const appListening = timed(
    "app listening",
    preview
      ? build().then(() =>
          run(
            "app",
            process.execPath,
            ["--import", "tsx", "local/serve-built-worker.ts", "--port", String(ports.app)],
            appEnv,
            /Ready on/,
          ),
        )
      : run(
          "app",
          process.execPath,
          [...VITE_NODE_FLAGS, bin("react-router"), "dev", "--port", String(ports.app), "--strictPort"],
          appEnv,
          /Local:/,
        ),
  );
  const postgresReady = timed("postgres", startPostgres());
  const servicesReady = timed(
    "emulators",
    Promise.all([
      service("auth", "local/auth/main.ts", {
        ...shared,
        AUTH_EMULATOR_PORT: String(ports.auth),
        MAILBOX_PORT: String(ports.mailbox),
        SUPABASE_PUBLISHABLE_KEY: stack.supabasePublishableKey,
        SUPABASE_SECRET_KEY: stack.supabaseSecretKey,
        AUTH_SITE_URL: appUrl,
      }),
      service("github", "local/github/main.ts", {
        ...shared,
        GITHUB_EMULATOR_PORT: String(ports.github),
        GITHUB_APP_ID: String(stack.githubApp.id),
        GITHUB_APP_SLUG: stack.githubApp.slug,
        GITHUB_APP_CLIENT_ID: stack.githubApp.clientId,
        GITHUB_APP_CLIENT_SECRET: stack.githubApp.clientSecret,
        GITHUB_APP_PUBLIC_KEY: stack.githubApp.publicKeyPem,
        GITHUB_WEBHOOK_SECRET: stack.githubApp.webhookSecret,
        GITHUB_WEBHOOK_URL: `${appUrl}/api/github/webhook`,
        GITHUB_APP_CALLBACK_URL: `${appUrl}/api/github/callback`,
      }),
      service("sandbox", "local/sandbox-host/main.ts", { ...shared, SANDBOX_HOST_PORT: String(ports.sandboxHost) }),
    ]),
  );
  await Promise.all([postgresReady, servicesReady, appListening]);
  // /healthz answers 200 only once the Worker has loaded and reached the database.
  await timed("app answered", firstAnswer(`${appUrl}/healthz`));

  log("dev", `ready in ${seconds(performance.now())} s (${steps.join(", ")})`);
  log("dev", `app           ${appUrl}`);
  log("dev", `mailbox       http://localhost:${ports.mailbox}  (magic links land here)`);
  log("dev", `GitHub        http://localhost:${ports.github}/apps/${stack.githubApp.slug}/installations/new`);
}

/** When each step was done, in seconds since this process started, for the ready line. */
const steps: string[] = [];

async function timed<T>(step: string, work: Promise<T>): Promise<T> {
  const result = await work;
  steps.push(`${step} ${seconds(performance.now())} s`);
  return result;
}

const seconds = (ms: number) => (ms / 1000).toFixed(1);

async function startPostgres(): Promise<void> {
  if (process.env.DATABASE_URL) {
    await applyMigrations(process.env.DATABASE_URL);
    log("postgres", "using DATABASE_URL");
    return;
  }
  database = await startEmbeddedPostgres({ port: ports.postgres, dataDir: ".data/postgres" });
  await applyMigrations(database.url);
  log("postgres", `embedded, on 127.0.0.1:${ports.postgres}, data in .data/postgres`);
}

function service(name: string, entry: string, env: Record<string, string>) {
  return run(name, process.execPath, [...FORKING_NODE_FLAGS, "--import", "tsx", entry], env, /^ready /);
}

function build() {
  return new Promise<void>((resolve, reject) => {
    const child = tethered(bin("react-router"), ["build"], {});
    pipeLines("build", child);
    child.on("exit", (code) => (code === 0 ? resolve() : reject(new Error(`build failed with ${code}`))));
  });
}

const bin = (name: string) => `node_modules/.bin/${name}`;

/**
 * Node's flags for the Vite dev server. Its start allocates fast and keeps much of it: with V8's
 * default young generation, a quarter of its CPU went to garbage collection (`--cpu-prof` of one
 * warm start: 3.6 s of 13 s); with 64 MB semi-spaces, 1.4 s.
 */
const VITE_NODE_FLAGS = ["--max-semi-space-size=64"];

/**
 * Starts a child with a log prefix; resolves when one of its lines matches `ready`.
 */
function run(name: string, command: string, args: string[], env: Record<string, string>, ready: RegExp) {
  return new Promise<void>((resolve, reject) => {
    const child = tethered(command, args, env);
    children.add(child);
    pipeLines(name, child, (line) => ready.test(line) && resolve());
    child.on("exit", (code, signal) => {
      children.delete(child);
      if (stopping) return;
      log(name, `exited (${signal ?? code}); stopping everything`);
      reject(new Error(`${name} exited`));
      void stop(1);
    });
  });
}

/**
 * Spawns `command` under local/tether.ts, in a process group of its own (so stopping it also
 * stops what it spawned, such as workerd), with its stdin a pipe from us that only our death
 * closes: the tether then stops the group.
 */
function tethered(command: string, args: string[], env: Record<string, string>): ChildProcess {
  return spawn(process.execPath, ["--import", "tsx", "local/tether.ts", command, ...args], {
    env: { ...process.env, ...env },
    stdio: ["pipe", "pipe", "pipe"],
    detached: true,
  });
}

function pipeLines(name: string, child: ChildProcess, onLine?: (line: string) => void) {
  for (const stream of [child.stdout, child.stderr]) {
    if (!stream) continue;
    createInterface({ input: stream }).on("line", (line) => {
      if (line.trim()) log(name, line);
      onLine?.(stripVTControlCharacters(line));
    });
  }
}

async function stop(code: number) {
  if (stopping) return;
  stopping = true;
  await Promise.all(
    [...children].map(
      (child) =>
        new Promise<void>((resolve) => {
          child.once("exit", () => resolve());
          signalGroup(child, "SIGTERM");
          setTimeout(() => signalGroup(child, "SIGKILL"), 3000).unref();
        }),
    ),
  );
  await database?.stop();
  process.exit(code);
}

function signalGroup(child: ChildProcess, signal: NodeJS.Signals) {
  try {
    if (child.pid) process.kill(-child.pid, signal);
  } catch {
    // The group is already gone.
  }
}

function log(name: string, line: string) {
  process.stdout.write(`${`[${name}]`.padEnd(11)} ${line}\n`);
}

main().catch((error: unknown) => {
  log("dev", error instanceof Error ? error.message : String(error));
  void stop(1);
});
