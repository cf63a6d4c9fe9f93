import { randomBytes } from "node:crypto";
import postgres from "postgres";
import type { TestProject } from "vitest/node";
import { applyMigrations, startEmbeddedPostgres } from "../local/postgres";

declare module "vitest" {
  export interface ProvidedContext {
    databaseUrl: string;
  }
}

/**
 * Every test run gets a database of its own, migrated from the committed migrations:
 * a fresh database on the server in DATABASE_URL, or a throw-away embedded one.
 */
export default async function setup(project: TestProject) {
  const database = process.env.DATABASE_URL
    ? await createDatabaseOn(process.env.DATABASE_URL)
    : await startEmbeddedPostgres({ port: 0 });
  await applyMigrations(database.url);
  project.provide("databaseUrl", database.url);
  return () => database.stop();
}

async function createDatabaseOn(serverUrl: string) {
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
