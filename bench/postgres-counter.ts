import { connect, createServer, type Socket } from "node:net";

/** What the relay saw: connections opened and statements run through it. */
export type QueryCounts = { connections: number; statements: number };

/**
 * One exchange the relay saw answered: a connection's start (StartupMessage to the first
 * ReadyForQuery, authentication included) or a statement (a simple Query, or an extended
 * Execute up to its Sync's ReadyForQuery); `elapsed` in milliseconds.
 */
export type QueryEvent = { kind: "connection" | "statement"; elapsed: number };

const SSL_REQUEST = 80877103;
const GSSENC_REQUEST = 80877104;

/**
 * A TCP relay in front of the Postgres server at `databaseUrl` that counts what clients ask of
 * it, from the frontend messages of the wire protocol
 * (https://www.postgresql.org/docs/current/protocol-message-formats.html): a StartupMessage is
 * one connection; a simple Query ('Q') or an extended-protocol Execute ('E') is one statement.
 * An SSLRequest or GSSENCRequest it answers 'N' itself, so the session stays in plain text it
 * can read, as a server without TLS answers.
 * Each exchange is also handed to the listeners added by `onExchange` when it begins, with a
 * promise of its {@link QueryEvent} once the server is ready for the next (ReadyForQuery, 'Z'),
 * or the connection ends.
 * @returns the URL to connect to instead (same user, password and database), the counts so far, onExchange, and stop
 */
export async function startQueryCounter(databaseUrl: string) {
  const target = new URL(databaseUrl);
  const counts: QueryCounts = { connections: 0, statements: 0 };
  const sockets = new Set<Socket>();
  const listeners = new Set<(kind: QueryEvent["kind"], answered: Promise<QueryEvent>) => void>();
  const server = createServer((client) => {
    const upstream = connect(Number(target.port || 5432), target.hostname);
    for (const socket of [client, upstream]) {
      // Each message is written as it is read: Nagle's algorithm would hold a small write back
      // until the last one is acknowledged, which the peer delays (40 ms) while it waits for more.
      socket.setNoDelay(true);
      sockets.add(socket);
      socket.on("close", () => sockets.delete(socket));
    }
    client.on("error", () => upstream.destroy());
    upstream.on("error", () => client.destroy());
    client.on("close", () => upstream.destroy());
    upstream.on("close", () => client.destroy());
    upstream.pipe(client);

    // Exchanges waiting for their ReadyForQuery, oldest first; a Sync without an Execute before it is one too.
    const waiting: { kind: QueryEvent["kind"] | "sync"; began: number; answer: (event: QueryEvent) => void }[] = [];
    const begin = (kind: QueryEvent["kind"] | "sync") => {
      const answered = new Promise<QueryEvent>((answer) => waiting.push({ kind, began: performance.now(), answer }));
      if (kind !== "sync") for (const listener of listeners) listener(kind, answered);
    };
    // A connection that ends first ends its exchanges there: no listener waits forever.
    upstream.on("close", () => {
      for (const exchange of waiting.splice(0))
        if (exchange.kind !== "sync")
          exchange.answer({ kind: exchange.kind, elapsed: performance.now() - exchange.began });
    });
    let executed = false;
    let fromServer = Buffer.alloc(0);
    upstream.on("data", (chunk: Buffer) => {
      fromServer = Buffer.concat([fromServer, chunk]);
      while (fromServer.length >= 5) {
        const length = 1 + fromServer.readInt32BE(1);
        if (fromServer.length < length) return;
        if (fromServer[0] === 0x5a) {
          const exchange = waiting.shift();
          if (exchange && exchange.kind !== "sync")
            exchange.answer({ kind: exchange.kind, elapsed: performance.now() - exchange.began });
        }
        fromServer = fromServer.subarray(length);
      }
    });

    let pending = Buffer.alloc(0);
    let startup = true;
    client.on("data", (chunk: Buffer) => {
      pending = Buffer.concat([pending, chunk]);
      for (;;) {
        if (startup) {
          if (pending.length < 8) return;
          const length = pending.readInt32BE(0);
          if (pending.length < length) return;
          const code = pending.readInt32BE(4);
          const message = pending.subarray(0, length);
          pending = pending.subarray(length);
          if (code === SSL_REQUEST || code === GSSENC_REQUEST) {
            client.write("N");
            continue;
          }
          counts.connections += 1;
          begin("connection");
          startup = false;
          upstream.write(message);
          continue;
        }
        if (pending.length < 5) return;
        const length = 1 + pending.readInt32BE(1);
        if (pending.length < length) return;
        const type = String.fromCharCode(pending[0] ?? 0);
        if (type === "Q" || type === "E") counts.statements += 1;
        if (type === "Q") begin("statement");
        if (type === "E") executed = true;
        if (type === "S") {
          begin(executed ? "statement" : "sync");
          executed = false;
        }
        upstream.write(pending.subarray(0, length));
        pending = pending.subarray(length);
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const address = server.address();
  if (address === null || typeof address === "string") throw new Error("the relay has no port");
  const url = new URL(databaseUrl);
  url.hostname = "127.0.0.1";
  url.port = String(address.port);
  return {
    url: url.toString(),
    counts: (): QueryCounts => ({ ...counts }),
    /** Adds a listener for each exchange as it begins; returns its removal. */
    onExchange(listener: (kind: QueryEvent["kind"], answered: Promise<QueryEvent>) => void): () => void {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    async stop() {
      for (const socket of sockets) socket.destroy();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}
