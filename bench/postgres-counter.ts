import { connect, createServer, type Socket } from "node:net";

/** What the relay saw: connections opened and statements run through it. */
export type QueryCounts = { connections: number; statements: number };

const SSL_REQUEST = 80877103;
const GSSENC_REQUEST = 80877104;

/**
 * A TCP relay in front of the Postgres server at `databaseUrl` that counts what clients ask of
 * it, from the frontend messages of the wire protocol
 * (https://www.postgresql.org/docs/current/protocol-message-formats.html): a StartupMessage is
 * one connection; a simple Query ('Q') or an extended-protocol Execute ('E') is one statement.
 * An SSLRequest or GSSENCRequest it answers 'N' itself, so the session stays in plain text it
 * can read, as a server without TLS answers.
 * @returns the URL to connect to instead (same user, password and database), the counts so far, and stop
 */
export async function startQueryCounter(databaseUrl: string) {
  const target = new URL(databaseUrl);
  const counts: QueryCounts = { connections: 0, statements: 0 };
  const sockets = new Set<Socket>();
  const server = createServer((client) => {
    const upstream = connect(Number(target.port || 5432), target.hostname);
    for (const socket of [client, upstream]) {
      sockets.add(socket);
      socket.on("close", () => sockets.delete(socket));
    }
    client.on("error", () => upstream.destroy());
    upstream.on("error", () => client.destroy());
    client.on("close", () => upstream.destroy());
    upstream.on("close", () => client.destroy());
    upstream.pipe(client);

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
          startup = false;
          upstream.write(message);
          continue;
        }
        if (pending.length < 5) return;
        const length = 1 + pending.readInt32BE(1);
        if (pending.length < length) return;
        const type = String.fromCharCode(pending[0] ?? 0);
        if (type === "Q" || type === "E") counts.statements += 1;
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
    async stop() {
      for (const socket of sockets) socket.destroy();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}
