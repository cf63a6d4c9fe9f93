import { randomBytes } from "node:crypto";
import postgres from "postgres";
import { applyMigrations, type RunningPostgres, startEmbeddedPostgres } from "../local/postgres";

/**
 * A migrated database of this test run's own: a fresh database on the server in
 * DATABASE_URL (dropped afterwards), or a throw-away embedded one.
 */
export async function startTestDatabase(): Promise<RunningPostgres> {
  const database = process.env.DATABASE_URL
    ? await createDatabaseOn(process.env.DATABASE_URL)
    : await startEmbeddedPostgres({ port: 0 });
  await applyMigrations(database.url);
  return database;
}

async function createDatabaseOn(serverUrl: string): Promise<RunningPostgres> {
  const name = `ctx4_test_${Date.now()}_${randomBytes(4).toString("hex")}`;
  const admin = postgres(serverUrl, { max: 1, onnotice: () => undefined });
  await admin.unsafe(`create database ${name}`);
  const url = new URL(serverUrl);
  url.pathname = `/${name}`;
  // Hyperdrive requires a password in its connection string; trust auth ignores it.
  url.password ||= "postgres";
  return {
    url: url.toString(),
    async stop() {
      await admin.unsafe(`drop database if exists ${name} with (force)`);
      await admin.end();
    },
  };
}
