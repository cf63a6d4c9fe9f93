import { drizzle } from "drizzle-orm/postgres-js";
import postgres from "postgres";
import * as schema from "./schema";

export type Database = ReturnType<typeof drizzle<typeof schema>>;
/** A transaction on a `Database` (what `db.transaction` hands its callback). */
export type Transaction = Parameters<Parameters<Database["transaction"]>[0]>[0];

// Supabase's transaction-mode pooler listens on 6543 and cannot keep prepared statements.
const TRANSACTION_POOLER_PORT = "6543";

/**
 * One client per request: Workers may not share sockets between requests. postgres.js
 * connects on the first query, so a request that never queries opens nothing.
 */
export function connectDatabase(connectionString: string) {
  const sql = postgres(connectionString, {
    max: 1,
    fetch_types: false,
    prepare: new URL(connectionString).port !== TRANSACTION_POOLER_PORT,
    connect_timeout: 5,
  });
  return {
    db: drizzle(sql, { schema }),
    /**
     * Waits for running queries, then closes. A socket the runtime already tore down makes
     * postgres.js reject with "socket has been closed"; that is the end we asked for.
     */
    async close() {
      await sql.end({ timeout: 5 }).catch(() => undefined);
    },
  };
}
