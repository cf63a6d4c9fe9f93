import { mkdirSync } from "node:fs";
import { PGlite } from "@electric-sql/pglite";
import { PGLiteSocketServer } from "@electric-sql/pglite-socket";
import { drizzle } from "drizzle-orm/postgres-js";
import { migrate } from "drizzle-orm/postgres-js/migrator";
import postgres from "postgres";

const MIGRATIONS_FOLDER = new URL("../drizzle", import.meta.url).pathname;

export type RunningPostgres = { url: string; stop(): Promise<void> };

/**
 * Embedded Postgres (PGlite) behind the Postgres wire protocol, so the Worker talks to it
 * exactly as it talks to Supabase. PGlite ignores the password, which Hyperdrive insists on. `dataDir` keeps data between runs; omit it for a
 * throw-away in-memory database. Port 0 picks a free port.
 */
export async function startEmbeddedPostgres(options: { port: number; dataDir?: string }): Promise<RunningPostgres> {
  if (options.dataDir) mkdirSync(options.dataDir, { recursive: true });
  const db = await PGlite.create(options.dataDir);
  const server = new PGLiteSocketServer({ db, port: options.port, host: "127.0.0.1", maxConnections: 100 });
  await server.start();
  const { port } = new URL(`postgres://${server.getServerConn()}`);
  return {
    url: `postgres://postgres:postgres@127.0.0.1:${port}/postgres`,
    async stop() {
      await server.stop();
      await db.close();
    },
  };
}

/** Applies the committed drizzle-kit migrations; already applied ones are skipped. */
export async function applyMigrations(url: string): Promise<void> {
  const sql = postgres(url, { max: 1, onnotice: () => undefined });
  try {
    await migrate(drizzle(sql), { migrationsFolder: MIGRATIONS_FOLDER });
  } finally {
    await sql.end();
  }
}
