import type { McpServer } from "@modelcontextprotocol/sdk/server/mcp.js";
import { type TransportState, WorkerTransport } from "agents/mcp";
import { SseServerTransport } from "./sse-transport";

/** What a verified access token allows: which client, with which scopes. */
export type McpGrant = { clientId: string; scopes: string[] };

type StoredSession = McpGrant & { transport: TransportState };
type Live<T> = { transport: T; grant: McpGrant };

const sessionKey = (sessionId: string) => `mcp-session:${sessionId}`;
const sameGrant = (a: McpGrant, b: McpGrant) =>
  a.clientId === b.clientId && [...a.scopes].sort().join(" ") === [...b.scopes].sort().join(" ");

/**
 * Every MCP session of one user, in that user's object. An SDK server binds one transport,
 * so each session gets its own server over the object's shared state. A session belongs to
 * the client and scopes that opened it: any other token finds it unknown (404) and starts
 * afresh. Streamable HTTP sessions are kept in the object's storage too, so they outlive an
 * eviction; legacy SSE sessions live only as long as their stream.
 */
export class McpSessions {
  readonly #streamable = new Map<string, Live<WorkerTransport>>();
  readonly #sse = new Map<string, Live<SseServerTransport>>();
  /** Streams the Worker may tell us its client dropped, by the id the Worker gave them. */
  readonly #openStreams = new Map<string, () => void>();

  constructor(
    private readonly storage: DurableObjectStorage,
    private readonly newServer: (grant: McpGrant) => McpServer,
  ) {}

  /** `/mcp`: Streamable HTTP (POST, GET, DELETE). */
  async streamableHttp(request: Request, grant: McpGrant, streamId: string): Promise<Response> {
    const sessionId = request.headers.get("mcp-session-id");
    const transport = sessionId ? await this.#resume(sessionId, grant) : await this.#begin(grant);
    if (!transport) return sessionNotFound();
    const response = await transport.handleRequest(request);
    if (request.method === "GET" && response.ok) {
      this.#openStreams.set(streamId, () => transport.closeStandaloneSSEStream());
    }
    return response;
  }

  /** `GET /sse`: opens a legacy session whose messages go to `messagePath`. */
  async openSse(grant: McpGrant, streamId: string, messagePath: string): Promise<Response> {
    const sessionId = crypto.randomUUID();
    const transport = new SseServerTransport(sessionId, `${messagePath}?sessionId=${sessionId}`);
    const response = transport.response();
    this.#sse.set(sessionId, { transport, grant });
    this.#openStreams.set(streamId, () => void transport.close());
    transport.onclose = () => {
      this.#sse.delete(sessionId);
      this.#openStreams.delete(streamId);
    };
    await this.newServer(grant).connect(transport);
    return response;
  }

  /** `POST /sse/message?sessionId=…`: one message of a legacy session. */
  postSse(sessionId: string, grant: McpGrant, body: unknown): Response {
    const live = this.#sse.get(sessionId);
    if (!live || !sameGrant(live.grant, grant)) return sessionNotFound();
    return live.transport.handlePost(body);
  }

  /** The Worker saw the client of a stream go away. */
  streamClosed(streamId: string): void {
    this.#openStreams.get(streamId)?.();
    this.#openStreams.delete(streamId);
  }

  /** How many sessions are live in memory, for tests and benchmarks. */
  counts(): { streamableHttp: number; sse: number } {
    return { streamableHttp: this.#streamable.size, sse: this.#sse.size };
  }

  async #begin(grant: McpGrant): Promise<WorkerTransport> {
    const transport: WorkerTransport = new WorkerTransport({
      sessionIdGenerator: () => crypto.randomUUID(),
      onsessioninitialized: (sessionId) => {
        this.#streamable.set(sessionId, { transport, grant });
      },
      onsessionclosed: (sessionId) => this.#forget(sessionId),
      storage: this.#storageFor(grant, undefined),
    });
    await this.newServer(grant).connect(transport);
    return transport;
  }

  async #resume(sessionId: string, grant: McpGrant): Promise<WorkerTransport | undefined> {
    const live = this.#streamable.get(sessionId);
    if (live) return sameGrant(live.grant, grant) ? live.transport : undefined;

    const stored = await this.storage.get<StoredSession>(sessionKey(sessionId));
    if (!stored || !sameGrant(stored, grant)) return undefined;
    const transport = new WorkerTransport({
      sessionIdGenerator: () => sessionId,
      onsessionclosed: (id) => this.#forget(id),
      storage: this.#storageFor(grant, stored.transport),
    });
    this.#streamable.set(sessionId, { transport, grant });
    await this.newServer(grant).connect(transport);
    return transport;
  }

  #storageFor(grant: McpGrant, restored: TransportState | undefined) {
    return {
      get: () => restored,
      set: async (state: TransportState) => {
        if (!state.sessionId) return;
        const session: StoredSession = { ...grant, transport: state };
        await this.storage.put(sessionKey(state.sessionId), session);
      },
    };
  }

  async #forget(sessionId: string): Promise<void> {
    this.#streamable.delete(sessionId);
    await this.storage.delete(sessionKey(sessionId));
  }
}

/** 404 tells MCP clients to start a new session (Streamable HTTP spec). */
function sessionNotFound(): Response {
  return Response.json(
    { jsonrpc: "2.0", error: { code: -32001, message: "Session not found" }, id: null },
    { status: 404 },
  );
}
