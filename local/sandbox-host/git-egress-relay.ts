import { randomUUID } from "node:crypto";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo, Socket } from "node:net";
import { HttpError, readBody } from "./http";
import { peerInSessions } from "./peer-process";

/** Past this, a request from git in a sandbox is refused (413): a push of that much is not a memory. */
const MAX_EGRESS_BODY_BYTES = 64 * 1024 * 1024;
/** Request headers git's smart HTTP sends that the Worker may need; the rest stays here. */
const RELAYED_HEADERS = ["accept", "content-type", "content-encoding", "git-protocol", "user-agent"];

/** One request git made in a sandbox, as sent to the Worker on the exec's stream. */
export type EgressRequest = { id: string; method: string; url: string; headers: Record<string, string>; body: string };

/**
 * One exec's route. `verified`: connections already found to come from the exec's own commands.
 * git sends all of a clone's or a fetch's requests on one connection, and the check reads
 * /proc (14–63 ms a request, measured in `npm run bench`), so it is made once per connection and
 * exec: the processes that may use a connection cannot change while the exec runs.
 */
type Channel = { send(request: EgressRequest): void; waiting: Map<string, ServerResponse>; verified: WeakSet<Socket> };

/**
 * The local stand-in for the container runtime's outbound interception. Each sandbox gets an
 * HTTP proxy on 127.0.0.1 (its commands find it in `http_proxy`, which git and curl follow);
 * a request sent through it goes to the Worker on the stream of the exec running in that
 * sandbox, and is answered with what the Worker posts back. The Worker decides everything
 * (workers/sandbox/git-egress.ts): this relay only carries requests, and holds no credential.
 * With no exec of the sandbox open to the Worker, nothing goes anywhere (403), and a request
 * from a process that is not one of the sandbox's running commands is refused (403): another
 * sandbox's command can reach this port, but not pass for this sandbox.
 */
export class GitEgressRelay {
  readonly #proxies = new Map<string, Promise<{ server: Server; url: string }>>();
  readonly #channels = new Map<string, Channel>();

  #warnedNoProc = false;

  /**
   * `record` keeps every relayed request (the test run's leak check reads it); `sessionsOf`
   * gives the session ids of a sandbox's running commands.
   */
  constructor(
    private readonly record: (entry: object) => void,
    private readonly sessionsOf: (sandboxId: string) => number[],
  ) {}

  /** The `http_proxy` URL of a sandbox, its proxy started on first use. */
  async proxyUrl(sandboxId: string): Promise<string> {
    let proxy = this.#proxies.get(sandboxId);
    if (!proxy) {
      proxy = this.#listen(sandboxId);
      this.#proxies.set(sandboxId, proxy);
    }
    return (await proxy).url;
  }

  /**
   * Opens the sandbox's route to the Worker over an exec's response stream, until the returned
   * function closes it. Requests still waiting then get 502.
   */
  open(sandboxId: string, send: (request: EgressRequest) => void): () => void {
    const channel: Channel = { send, waiting: new Map(), verified: new WeakSet() };
    this.#channels.set(sandboxId, channel);
    return () => {
      if (this.#channels.get(sandboxId) === channel) this.#channels.delete(sandboxId);
      for (const response of channel.waiting.values()) {
        plain(response, 502, "ctx4-ai: the exec ended before the Worker answered.\n");
      }
    };
  }

  /** The Worker's answer to request `egressId`: its status and content type in headers, its body as the body. */
  async answer(sandboxId: string, egressId: string, answer: IncomingMessage): Promise<void> {
    const channel = this.#channels.get(sandboxId);
    const response = channel?.waiting.get(egressId);
    if (!channel || !response) throw new HttpError(404, "no such egress request");
    channel.waiting.delete(egressId);
    const status = Number(answer.headers["x-ctx4-egress-status"]);
    if (!Number.isInteger(status) || status < 200 || status > 599) throw new HttpError(400, "bad egress status");
    const contentType = answer.headers["content-type"];
    response.writeHead(status, contentType ? { "content-type": contentType } : {});
    for await (const chunk of answer) response.write(chunk);
    response.end();
  }

  /** Stops a sandbox's proxy (on destroy). */
  async close(sandboxId: string): Promise<void> {
    const proxy = this.#proxies.get(sandboxId);
    this.#proxies.delete(sandboxId);
    if (proxy) await stopServer((await proxy).server);
  }

  async stop(): Promise<void> {
    await Promise.all([...this.#proxies.keys()].map((id) => this.close(id)));
  }

  async #listen(sandboxId: string) {
    const server = createServer((request, response) => {
      this.#relay(sandboxId, request, response).catch((error: unknown) => {
        const status = error instanceof HttpError ? error.status : 502;
        plain(response, status, `ctx4-ai: ${error instanceof Error ? error.message : String(error)}\n`);
      });
    });
    await new Promise<void>((resolve, reject) => {
      server.once("error", reject);
      server.listen(0, "127.0.0.1", resolve);
    });
    return { server, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}` };
  }

  async #relay(sandboxId: string, request: IncomingMessage, response: ServerResponse) {
    // A proxy request names the whole URL; anything else was not sent through http_proxy.
    const url = request.url ?? "";
    if (!url.startsWith("http://")) throw new HttpError(400, "this is the sandbox's proxy for git's requests");
    const open = this.#channels.get(sandboxId);
    const ours =
      open?.verified.has(request.socket) || (await peerInSessions(request.socket, this.sessionsOf(sandboxId)));
    if (ours === false) throw new HttpError(403, "this proxy serves only its own sandbox's commands");
    if (ours) open?.verified.add(request.socket);
    if (ours === undefined && !this.#warnedNoProc) {
      this.#warnedNoProc = true;
      console.warn("[sandbox-host] no /proc here: the egress proxies cannot tell which sandbox a request comes from.");
    }
    const body = await readBody(request, MAX_EGRESS_BODY_BYTES);
    const channel = this.#channels.get(sandboxId);
    const headers: Record<string, string> = {};
    for (const name of RELAYED_HEADERS) {
      const value = request.headers[name];
      if (typeof value === "string") headers[name] = value;
    }
    const egress = { id: randomUUID(), method: request.method ?? "GET", url, headers, body: body.toString("base64") };
    this.record({ sandbox: sandboxId, egress });
    if (!channel) throw new HttpError(403, "no git route is open for this sandbox");
    channel.waiting.set(egress.id, response);
    response.on("close", () => channel.waiting.delete(egress.id));
    channel.send(egress);
  }
}

function plain(response: ServerResponse, status: number, text: string) {
  if (response.headersSent) {
    response.destroy();
    return;
  }
  response.writeHead(status, { "content-type": "text/plain; charset=utf-8" }).end(text);
}

function stopServer(server: Server): Promise<void> {
  return new Promise((resolve) => {
    server.close(() => resolve());
    server.closeAllConnections();
  });
}
