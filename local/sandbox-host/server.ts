import { appendFileSync } from "node:fs";
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { checkLocalRequest, isLoopbackHost } from "../guard";
import { observeRequests, type RequestListener } from "../observe-requests";
import { GitEgressRelay } from "./git-egress-relay";
import { HttpError, readJsonBody, sendJson } from "./http";
import { BadRequestError, SandboxDirs } from "./sandbox-dirs";
import { Sandboxes } from "./sandboxes";
import { describeIssues, execRequestSchema, sandboxIdSchema } from "./validation";

export type SandboxHostOptions = {
  port: number;
  rootDir: string;
  localSecret: string;
  /** A file to append one JSON line to per exec (request and result) and per git request relayed. */
  recordFile?: string;
  /** false runs every command bare, without namespaces, as a container that refuses them does (tests). */
  namespaces?: boolean;
};
export type RunningSandboxHost = {
  url: string;
  /**
   * Calls `listener` with each request as it arrives, until the returned function is called:
   * how the benchmarks count and time what the Worker asks of the sandbox (see observeRequests).
   */
  onRequest(listener: RequestListener): () => void;
  stop(): Promise<void>;
};

const MAX_BODY_BYTES = 1024 * 1024;
const SANDBOX_ROUTE = /^\/sandboxes\/([^/]*)(?:\/(exec)|\/egress\/([0-9a-f-]{36})|\/exec\/([0-9a-f-]{36})\/cancel)?$/;

/**
 * The local sandbox host: runs real bash and git in one directory per sandbox, for the
 * Worker's "local" sandbox backend. Listens on 127.0.0.1 only; every route but /healthz needs
 * a loopback Host and the local stack's secret (see ../guard.ts). Port 0 picks a free port.
 */
export async function startSandboxHost(options: SandboxHostOptions): Promise<RunningSandboxHost> {
  const { recordFile } = options;
  const record = recordFile ? (entry: object) => appendFileSync(recordFile, `${JSON.stringify(entry)}\n`) : () => {};
  const relay: GitEgressRelay = new GitEgressRelay(record, (id) => sandboxes.sessions(id));
  const sandboxes = new Sandboxes(await SandboxDirs.open(options.rootDir), relay, record, options.namespaces);
  const server = createServer((request, response) => {
    route(request, response, sandboxes, relay, options.localSecret).catch((error: unknown) => fail(response, error));
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(options.port, "127.0.0.1", resolve);
  });
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    onRequest: (listener) => observeRequests(server, listener),
    async stop() {
      const closed = new Promise((resolve) => server.close(resolve));
      await sandboxes.stopAll();
      await relay.stop();
      server.closeAllConnections();
      await closed;
    },
  };
}

async function route(
  request: IncomingMessage,
  response: ServerResponse,
  sandboxes: Sandboxes,
  relay: GitEgressRelay,
  secret: string,
) {
  const path = (request.url ?? "/").split("?")[0] ?? "/";
  if (path === "/healthz") {
    if (!isLoopbackHost(request.headers.host))
      throw new HttpError(403, "Only loopback hosts may call the local stack.");
    allowMethod(request, "GET");
    return sendJson(response, 200, { ok: true });
  }
  const verdict = checkLocalRequest(request, secret);
  if (!verdict.ok) throw new HttpError(verdict.status, verdict.message);

  const match = SANDBOX_ROUTE.exec(path);
  if (!match) throw new HttpError(404, "no such route");
  const id = parseSandboxId(match[1] ?? "");
  if (match[4]) {
    allowMethod(request, "POST");
    sandboxes.cancel(id, match[4]);
    response.writeHead(204).end();
    return;
  }
  if (match[3]) {
    allowMethod(request, "POST");
    await relay.answer(id, match[3], request);
    response.writeHead(204).end();
    return;
  }
  if (match[2]) {
    allowMethod(request, "POST");
    // A client that disconnects mid-command no longer wants it: kill it rather than let it run on.
    const clientGone = new AbortController();
    response.on("close", () => {
      if (!response.writableFinished) clientGone.abort();
    });
    const parsed = execRequestSchema.safeParse(await readJsonBody(request, MAX_BODY_BYTES));
    if (!parsed.success) throw new HttpError(400, describeIssues(parsed.error));
    if (!parsed.data.egress) return sendJson(response, 200, await sandboxes.exec(id, parsed.data, clientGone.signal));
    // With the git route: a stream of JSON lines, git's requests as they come, the result last.
    response.writeHead(200, { "content-type": "application/x-ndjson", "cache-control": "no-store" });
    const close = relay.open(id, (egress) => response.write(`${JSON.stringify({ egress })}\n`));
    try {
      const result = await sandboxes.exec(id, parsed.data, clientGone.signal);
      response.end(`${JSON.stringify({ result })}\n`);
    } finally {
      close();
    }
    return;
  }
  allowMethod(request, "DELETE");
  await sandboxes.destroy(id);
  response.writeHead(204).end();
}

function parseSandboxId(raw: string): string {
  let decoded: string;
  try {
    decoded = decodeURIComponent(raw);
  } catch {
    throw new HttpError(400, "sandbox id is not valid percent-encoding");
  }
  const parsed = sandboxIdSchema.safeParse(decoded);
  if (!parsed.success) throw new HttpError(400, describeIssues(parsed.error, "sandbox id"));
  return parsed.data;
}

function allowMethod(request: IncomingMessage, method: string) {
  if (request.method !== method) throw new HttpError(405, `use ${method} here`, { allow: method });
}

function fail(response: ServerResponse, error: unknown) {
  if (response.headersSent) {
    response.destroy();
    return;
  }
  if (error instanceof HttpError) return sendJson(response, error.status, { error: error.message }, error.headers);
  if (error instanceof BadRequestError) return sendJson(response, 400, { error: error.message });
  const message = error instanceof Error ? error.message : String(error);
  console.error(`[sandbox-host] ${message}`);
  sendJson(response, 500, { error: message });
}
