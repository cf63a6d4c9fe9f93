import { mkdirSync } from "node:fs";
import { createServer, type Server } from "node:net";
import { PGlite } from "@electric-sql/pglite";
import { PGLiteSocketHandler, type PGLiteSocketHandlerOptions } from "@electric-sql/pglite-socket";
import { drizzle } from "drizzle-orm/postgres-js";
import { migrate } from "drizzle-orm/postgres-js/migrator";
import postgres from "postgres";

const MIGRATIONS_FOLDER = new URL("../drizzle", import.meta.url).pathname;

export type RunningPostgres = { url: string; stop(): Promise<void> };

/** The URL of embedded Postgres on `port`: known before it starts, so its clients can start beside it. */
export const embeddedPostgresUrl = (port: number) => `postgres://postgres:postgres@127.0.0.1:${port}/postgres`;

/**
 * Embedded Postgres (PGlite) behind the Postgres wire protocol, so the Worker talks to it
 * exactly as it talks to Supabase. `dataDir` keeps data between runs; omit it for a
 * throw-away in-memory database. Port 0 picks a free port. PGlite ignores the password,
 * which Hyperdrive insists on.
 */
export async function startEmbeddedPostgres(options: { port: number; dataDir?: string }): Promise<RunningPostgres> {
  if (options.dataDir) mkdirSync(options.dataDir, { recursive: true });
  const db = await PGlite.create(options.dataDir);
  const lock = new BackendLock(db);
  const handlers = new Set<PGLiteSocketHandler>();
  const server = createServer((socket) => {
    const handler = new PGLiteSocketHandler({
      queryQueue: lock as unknown as PGLiteSocketHandlerOptions["queryQueue"],
      closeOnDetach: true,
    });
    handlers.add(handler);
    handler.addEventListener("close", () => handlers.delete(handler));
    handler.addEventListener("error", () => handlers.delete(handler));
    handler.attach(socket).catch(() => socket.destroy());
  });
  const port = await listen(server, options.port);
  return {
    url: embeddedPostgresUrl(port),
    async stop() {
      await Promise.all([...handlers].map((handler) => handler.detach(true)));
      await new Promise((resolve) => server.close(resolve));
      await db.close();
    },
  };
}

/**
 * PGlite is one backend, so connections must take turns at the boundaries Postgres itself
 * keeps between them: a connection holds the backend from its first message until its
 * `Sync` or simple `Query` is done, and for as long as it has a transaction open. Taking
 * turns per message (what pglite-socket's own queue does outside transactions) lets two
 * connections' Parse and Bind interleave on the one unnamed statement.
 */
class BackendLock {
  #owner: number | null = null;
  #waiting: (() => void)[] = [];

  constructor(private readonly db: PGlite) {}

  async enqueue(handlerId: number, message: Uint8Array, onData: (data: Uint8Array) => void): Promise<number> {
    while (this.#owner !== null && this.#owner !== handlerId) {
      await new Promise<void>((resolve) => this.#waiting.push(resolve));
    }
    this.#owner = handlerId;
    let bytes = 0;
    try {
      await this.db.runExclusive(() =>
        this.db.execProtocolRawStream(message, {
          onRawData: (data) => {
            bytes += data.length;
            onData(data);
          },
        }),
      );
    } finally {
      if (endsTurn(message) && !this.db.isInTransaction()) this.#release();
    }
    return bytes;
  }

  getQueueLength(): number {
    return this.#waiting.length;
  }

  clearQueueForHandler(): void {
    // Waiting connections hold no queued messages of their own: they retry when woken.
  }

  /** A connection went away: roll back what it left open and let the others in. */
  async clearTransactionIfNeeded(handlerId: number): Promise<void> {
    if (this.#owner !== handlerId) return;
    if (this.db.isInTransaction()) await this.db.exec("ROLLBACK");
    this.#release();
  }

  #release() {
    this.#owner = null;
    for (const wake of this.#waiting.splice(0)) wake();
  }
}

const SYNC = 0x53;
const QUERY = 0x51;
const TERMINATE = 0x58;

/** The messages after which Postgres answers ReadyForQuery; a startup message has no type byte. */
function endsTurn(message: Uint8Array): boolean {
  const type = message[0];
  return type === SYNC || type === QUERY || type === TERMINATE || type === 0;
}

function listen(server: Server, port: number): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, "127.0.0.1", () => {
      const address = server.address();
      resolve(typeof address === "object" && address ? address.port : port);
    });
  });
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
