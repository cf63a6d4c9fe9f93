import { type ChildProcess, spawn } from "node:child_process";
import { applyMigrations, startEmbeddedPostgres } from "./postgres";

/**
 * `npm run dev`: the whole product on this machine. Starts embedded Postgres (unless
 * DATABASE_URL points at a server), applies migrations, then runs the app under Vite.
 * Ctrl-C, or any piece dying, stops everything.
 */
const ports = {
  postgres: Number(process.env.POSTGRES_PORT ?? 54322),
  app: Number(process.env.APP_PORT ?? 5173),
};

const children: ChildProcess[] = [];
let stopping = false;

async function main() {
  const database = process.env.DATABASE_URL
    ? { url: process.env.DATABASE_URL, stop: async () => undefined }
    : await startEmbeddedPostgres({ port: ports.postgres, dataDir: ".data/postgres" });
  await applyMigrations(database.url);
  log("postgres", `ready at ${redactPassword(database.url)}`);

  const stop = async (code: number) => {
    if (stopping) return;
    stopping = true;
    for (const child of children) child.kill("SIGTERM");
    await database.stop();
    process.exit(code);
  };
  process.on("SIGINT", () => void stop(0));
  process.on("SIGTERM", () => void stop(0));

  run(
    "app",
    "npx",
    ["react-router", "dev", "--port", String(ports.app), "--strictPort"],
    {
      CLOUDFLARE_HYPERDRIVE_LOCAL_CONNECTION_STRING_HYPERDRIVE: database.url,
    },
    stop,
  );
  log("dev", `app: http://localhost:${ports.app}`);
}

function run(name: string, command: string, args: string[], env: Record<string, string>, stop: (code: number) => void) {
  const child = spawn(command, args, { env: { ...process.env, ...env }, stdio: ["ignore", "pipe", "pipe"] });
  children.push(child);
  const prefix = (chunk: Buffer) => {
    for (const line of chunk.toString().split("\n")) if (line.trim()) log(name, line);
  };
  child.stdout?.on("data", prefix);
  child.stderr?.on("data", prefix);
  child.on("exit", (code) => {
    if (stopping) return;
    log(name, `exited with ${code ?? "a signal"}; stopping everything`);
    stop(code || 1);
  });
}

function log(name: string, line: string) {
  process.stdout.write(`${`[${name}]`.padEnd(11)} ${line}\n`);
}

function redactPassword(url: string) {
  const parsed = new URL(url);
  if (parsed.password) parsed.password = "***";
  return parsed.toString();
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
