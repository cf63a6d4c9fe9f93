import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import postgres from "postgres";
import { afterAll, describe, expect, inject, it } from "vitest";
import { applyMigrations, startEmbeddedPostgres } from "./postgres";

describe("the committed migrations", () => {
  it("create the seed's table and the webhook deliveries' with row level security on", async () => {
    const sql = postgres(inject("stack").databaseUrl, { max: 1 });
    try {
      const columns = await sql<{ column_name: string }[]>`
        select column_name from information_schema.columns
        where table_schema = 'public' and table_name = 'user_github_configs' order by ordinal_position`;
      expect(columns.map((c) => c.column_name)).toEqual([
        "id",
        "user_id",
        "installation_id",
        "github_username",
        "repo_full_name",
        "repo_id",
        "repo_url",
        "default_branch",
        "is_active",
        "created_at",
        "updated_at",
        "inactive_reason",
      ]);
      const tables = await sql`select relname, relrowsecurity from pg_class
        where oid in ('public.user_github_configs'::regclass, 'public.github_webhook_deliveries'::regclass)`;
      expect(tables).toHaveLength(2);
      expect(tables.every((table) => table.relrowsecurity)).toBe(true);
    } finally {
      await sql.end();
    }
  });
});

describe("embedded Postgres", () => {
  const dataDir = mkdtempSync(join(tmpdir(), "ctx4-pglite-"));
  afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

  it("keeps its data in its folder across restarts, and re-applying migrations changes nothing", async () => {
    const userId = crypto.randomUUID();
    const first = await startEmbeddedPostgres({ port: 0, dataDir });
    await applyMigrations(first.url);
    const writer = postgres(first.url, { max: 1 });
    await writer`insert into user_github_configs (user_id, installation_id) values (${userId}, 42)`;
    await writer.end();
    await first.stop();

    const second = await startEmbeddedPostgres({ port: 0, dataDir });
    await applyMigrations(second.url);
    const reader = postgres(second.url, { max: 1 });
    const rows = await reader`select installation_id from user_github_configs where user_id = ${userId}`;
    await reader.end();
    await second.stop();
    expect(rows).toEqual([{ installation_id: "42" }]);
  });
});

describe("embedded Postgres under concurrent connections", () => {
  it("keeps each connection's parameterised queries apart", async () => {
    const server = await startEmbeddedPostgres({ port: 0 });
    // Unnamed statements, as through a pooler: the case that breaks when turns are per message.
    const clients = Array.from({ length: 8 }, () => postgres(server.url, { max: 1, prepare: false }));
    const [first, second] = clients as [postgres.Sql, postgres.Sql];
    try {
      const answers = await Promise.all(
        Array.from({ length: 200 }, (_, index) => {
          const client = clients[index % clients.length] as postgres.Sql;
          return index % 2
            ? client`select ${index}::int as value, ${`text-${index}`}::text as label`
            : client`select ${crypto.randomUUID()}::uuid is not null as ok, ${index}::int as value`;
        }),
      );
      answers.forEach(([row], index) => {
        expect(row).toEqual(index % 2 ? { value: index, label: `text-${index}` } : { ok: true, value: index });
      });
      const inTransaction = first.begin(async (sql) => {
        await sql`create temporary table turns (n int)`;
        await new Promise((resolve) => setTimeout(resolve, 50));
        await sql`insert into turns values (1)`;
        return sql`select count(*)::int as n from turns`;
      });
      const meanwhile = second`select 42 as answer`;
      expect(await inTransaction).toEqual([{ n: 1 }]);
      expect(await meanwhile).toEqual([{ answer: 42 }]);
    } finally {
      await Promise.all(clients.map((client) => client.end()));
      await server.stop();
    }
  });
});
