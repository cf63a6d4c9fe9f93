import type { McpServer } from "@modelcontextprotocol/sdk/server/mcp.js";
import type { RequestId } from "@modelcontextprotocol/sdk/types.js";
import { type TransportState, WorkerTransport } from "agents/mcp";
import { inRequest, statusOutcome, writeLog } from "../../app/lib/log.server";
import { loggedTransport } from "./call-log";
import { SessionEventStore } from "./event-store";
import { SseServerTransport } from "./sse-transport";

/**
 * What a verified access token allows: which client, with which scopes. `clientName` is the
 * name the consent page showed (absent on grants made before it was kept in their props).
 */
export type McpGrant = { clientId: string; clientName?: string; scopes: string[] };

type StoredSession = McpGrant & { transport: TransportState };
type Live<T> = { transport: T; grant: McpGrant; server?: McpServer };
type LiveStreamable = Live<WorkerTransport> & {
  events: SessionEventStore;
  /** Streams of requests that were cancelled: a resume of one is told to stop (405). */
  endedStreams: Set<string>;
  /** Tool calls running now, each with the id the Worker gave its POST stream. */
  calls: Map<RequestId, string>;
  /** Tool calls whose client closed their POST stream before the result. */
  abandoned: Set<RequestId>;
  /** The id the Worker gave the session's current GET stream: a hang-up of an older one is stale. */
  currentGet?: string;
};

/**
 * What a client is told to wait before it reconnects a stream (the SSE `retry` field of the
 * priming event, MCP 2025-11-25 Streamable HTTP). Short: a new stream replaces a lost one at
 * once, and nothing is lost meanwhile, since events are replayed from `Last-Event-ID`.
 */
export const SSE_RETRY_MS = 500;

/** The first protocol version whose clients accept a priming event (an empty `data` line). */
const PRIMING_SINCE = "2025-11-25";

/** The SDK transport's fixed id for the standalone GET stream (`_standaloneSseStreamId`). */
const STANDALONE_STREAM_ID = "_GET_stream";

const sessionKey = (sessionId: string) => `mcp-session:${sessionId}`;
const lateKey = (sessionId: string) => `mcp-late:${sessionId}`;
const sameGrant = (a: McpGrant, b: McpGrant) =>
  a.clientId === b.clientId && [...a.scopes].sort().join(" ") === [...b.scopes].sort().join(" ");

/**
 * Every MCP session of one user, in that user's object. An SDK server binds one transport,
 * so each session gets its own server over the object's shared state. A session belongs to
 * the client and scopes that opened it: any other token finds it unknown (404) and starts
 * afresh. Streamable HTTP sessions are kept in the object's storage too, so they outlive an
 * eviction; legacy SSE sessions live only as long as their stream.
 */
export class McpSessions implements CallWatch {
  readonly #streamable = new Map<string, LiveStreamable>();
  readonly #sse = new Map<string, Live<SseServerTransport>>();
  /** Streams the Worker may tell us its client dropped, by the id the Worker gave them. */
  readonly #openStreams = new Map<string, () => void>();

  /**
   * `userLogId`: the user's id as logs show it (`userHash`). Every request is served in a log
   * context (its id, that user, the grant's client), and each JSON-RPC message gets its line
   * (`./call-log.ts`); a request no message of which reaches a server (a stream opened, a session
   * closed or unknown, a body that is not JSON-RPC) gets one line of its own.
   */
  constructor(
    private readonly storage: DurableObjectStorage,
    private readonly newServer: (grant: McpGrant) => McpServer,
    private readonly userLogId: () => Promise<string>,
  ) {}

  /** `/mcp` ({@link McpSessions.#streamableHttp}), as request `requestId` (the Worker's, see `requestIdOf`). */
  async streamableHttp(request: Request, grant: McpGrant, streamId: string, requestId: string): Promise<Response> {
    const answer = () => this.#streamableHttp(request, grant, streamId);
    return this.#logged(requestId, grant, `${request.method} /mcp`, request.method !== "POST", answer);
  }

  /** `GET /sse` ({@link McpSessions.#openSse}), as request `requestId`. */
  async openSse(grant: McpGrant, streamId: string, messagePath: string, requestId: string): Promise<Response> {
    return this.#logged(requestId, grant, "GET /sse", true, () => this.#openSse(grant, streamId, messagePath));
  }

  /** `POST /sse/message?sessionId=…` ({@link McpSessions.#postSse}), as request `requestId`. */
  async postSse(sessionId: string, grant: McpGrant, body: unknown, requestId: string): Promise<Response> {
    return this.#logged(requestId, grant, "POST /sse/message", false, async () =>
      this.#postSse(sessionId, grant, body),
    );
  }

  /** Serves `answer` in the request's log context; `always`: a line of its own even when it went well. */
  async #logged(
    requestId: string,
    grant: McpGrant,
    name: string,
    always: boolean,
    answer: () => Promise<Response>,
  ): Promise<Response> {
    const started = Date.now();
    const log = { requestId, user: await this.userLogId(), client: grant.clientId };
    const response = await inRequest(log, answer);
    const judged = statusOutcome(response.status);
    if (always || judged.outcome !== "ok") {
      const errorClass = response.status === 404 ? "session_not_found" : judged.errorClass;
      writeLog({
        event: "mcp",
        ...log,
        name,
        status: response.status,
        ms: Date.now() - started,
        ...judged,
        errorClass,
      });
    }
    return response;
  }

  /**
   * `/mcp`: Streamable HTTP (POST, GET, DELETE). POST streams start with a priming event (an id
   * and `retry`) for clients of 2025-11-25 and later, as the SDK transport does with an event
   * store (MCP 2025-11-25, Streamable HTTP, "Sending Messages to the Server"); GET streams get
   * one too, from us. A GET replaces the session's earlier GET stream,
   * which the client has evidently lost (the object learns of a hang-up only when a write
   * fails, tens of seconds later), and with `Last-Event-ID` first replays what was sent since.
   */
  async #streamableHttp(request: Request, grant: McpGrant, streamId: string): Promise<Response> {
    const sessionId = request.headers.get("mcp-session-id");
    const live = sessionId ? await this.#resume(sessionId, grant) : await this.#begin(grant);
    if (!live) return sessionNotFound();
    const { transport } = live;
    if (request.method === "GET") return this.#openGet(live, request, streamId);
    const calls = request.method === "POST" ? await toolCallIds(request) : [];
    for (const id of calls) live.calls.set(id, streamId);
    if (calls.length === 0) return transport.handleRequest(request);
    this.#openStreams.set(streamId, () => {
      for (const id of calls) if (live.calls.has(id)) live.abandoned.add(id);
    });
    const forget = () => {
      this.#openStreams.delete(streamId);
      for (const id of calls) live.calls.delete(id);
    };
    const response = await transport.handleRequest(request);
    if (!response.body) {
      forget();
      return response;
    }
    // The stream ends when the SDK has sent every answer on it: the calls are over then.
    const body = response.body.pipeThrough(new TransformStream({ flush: forget }));
    return new Response(body, { status: response.status, headers: response.headers });
  }

  async #openGet(live: LiveStreamable, request: Request, streamId: string): Promise<Response> {
    const { transport, events } = live;
    const lastEventId = request.headers.get("last-event-id");
    const resumed = lastEventId ? await events.streamOf(lastEventId) : undefined;
    // That request was cancelled, and no response will ever come on its stream: 405 is the one
    // answer to a GET other than an event stream (MCP 2025-11-25, Streamable HTTP, "Listening
    // for Messages from the Server"), and the SDK client stops trying on it.
    if (resumed && live.endedStreams.has(resumed))
      return new Response(null, { status: 405, headers: { Allow: "POST, DELETE" } });
    // The SDK primes POST streams only. A GET stream needs an id first too, or a client that
    // loses it before any message has no cursor to resume from. A fresh stream's is stored
    // before the stream opens, so every message sent on it comes after it. A resumed stream
    // repeats the client's own cursor, since the SDK client keeps only the ids of the stream it
    // reads: what the replay sends then follows it, and a drop before those resumes from it again.
    // As the SDK does for POST streams: an empty `data` line breaks clients older than 2025-11-25.
    const primes = (request.headers.get("mcp-protocol-version") ?? "") >= PRIMING_SINCE;
    let forwarded = request;
    let primingId = primes ? lastEventId : null;
    if (!resumed) {
      // A fresh stream (or one whose cursor is unknown or expired: it starts afresh) replaces the old.
      transport.closeStandaloneSSEStream();
      const headers = new Headers(request.headers);
      headers.delete("last-event-id");
      forwarded = new Request(request, { headers });
      primingId = primes ? await events.prime(STANDALONE_STREAM_ID) : null;
    }
    const response = await transport.handleRequest(forwarded);
    if (!response.ok || !response.body) return response;
    if (!resumed || resumed === STANDALONE_STREAM_ID) {
      // The client's hang-up of this stream may be told long after another GET replaced it:
      // only the current one is closed then, never its successor.
      if (live.currentGet) this.#openStreams.delete(live.currentGet);
      live.currentGet = streamId;
      this.#openStreams.set(streamId, () => {
        if (live.currentGet !== streamId) return;
        live.currentGet = undefined;
        transport.closeStandaloneSSEStream();
      });
    }
    if (!primingId) return response;
    const priming = new TextEncoder().encode(`id: ${primingId}\nretry: ${SSE_RETRY_MS}\ndata: \n\n`);
    const body = response.body.pipeThrough(prepend(priming));
    return new Response(body, { status: response.status, headers: response.headers });
  }

  /** `GET /sse`: opens a legacy session whose messages go to `messagePath`. */
  async #openSse(grant: McpGrant, streamId: string, messagePath: string): Promise<Response> {
    const sessionId = crypto.randomUUID();
    const transport = new SseServerTransport(sessionId, `${messagePath}?sessionId=${sessionId}`);
    const response = transport.response();
    const server = this.newServer(grant);
    this.#sse.set(sessionId, { transport, grant, server });
    this.#openStreams.set(streamId, () => void transport.close());
    transport.onclose = () => {
      this.#sse.delete(sessionId);
      this.#openStreams.delete(streamId);
      // A legacy session cannot be resumed: what was kept for its next call has no reader now.
      void this.storage.delete(lateKey(sessionId));
    };
    await server.connect(loggedTransport(transport));
    return response;
  }

  /** `POST /sse/message?sessionId=…`: one message of a legacy session. */
  #postSse(sessionId: string, grant: McpGrant, body: unknown): Response {
    const live = this.#sse.get(sessionId);
    if (!live || !sameGrant(live.grant, grant)) return sessionNotFound();
    return live.transport.handlePost(body);
  }

  /** The Worker saw the client of a stream go away. */
  streamClosed(streamId: string): void {
    this.#openStreams.get(streamId)?.();
    this.#openStreams.delete(streamId);
  }

  /** {@link CallWatch.abandoned} */
  abandoned(sessionId: string, requestId: RequestId): boolean {
    const live = this.#streamable.get(sessionId);
    if (!live) return false;
    live.calls.delete(requestId);
    return live.abandoned.delete(requestId);
  }

  /** {@link CallWatch.endStream} */
  endStream(sessionId: string, requestId: RequestId): void {
    const live = this.#streamable.get(sessionId);
    if (!live) return;
    const streamId = requestStreams(live.transport).get(requestId);
    if (streamId) live.endedStreams.add(streamId);
    live.transport.closeSSEStream(requestId);
  }

  /** {@link CallWatch.remember} */
  async remember(sessionId: string, text: string): Promise<void> {
    const earlier = (await this.storage.get<string[]>(lateKey(sessionId))) ?? [];
    await this.storage.put(lateKey(sessionId), [...earlier, text]);
  }

  /** {@link CallWatch.takeLate} */
  async takeLate(sessionId: string): Promise<string[]> {
    const late = await this.storage.get<string[]>(lateKey(sessionId));
    if (late) await this.storage.delete(lateKey(sessionId));
    return late ?? [];
  }

  /**
   * Account deletion: every session's open streams end now, Streamable HTTP and legacy SSE
   * alike, so no client keeps listening to an object that is being erased, and none is kept in
   * memory. Their stored state goes with the object's storage, which the caller deletes.
   */
  async closeAll(): Promise<void> {
    const transports = [...this.#streamable.values(), ...this.#sse.values()].map((live) => live.transport);
    this.#streamable.clear();
    this.#sse.clear();
    this.#openStreams.clear();
    await Promise.all(transports.map((transport) => transport.close()));
  }

  /**
   * Sends `notifications/resources/list_changed` to every session open in this object, of any
   * client and grant (MCP 2025-11-25, "Resources", "List Changed Notification"): on Streamable
   * HTTP it goes on the session's GET stream (kept for a replay when none is open), on legacy
   * SSE on its one stream. A session that cannot be told now is skipped.
   */
  resourceListChanged(): void {
    for (const live of [...this.#streamable.values(), ...this.#sse.values()])
      live.server?.server.sendResourceListChanged().catch(() => {});
  }

  /** How many sessions are live in memory, for tests and benchmarks. */
  counts(): { streamableHttp: number; sse: number } {
    return { streamableHttp: this.#streamable.size, sse: this.#sse.size };
  }

  async #begin(grant: McpGrant): Promise<LiveStreamable> {
    const sessionId = crypto.randomUUID();
    const live: LiveStreamable = this.#transport(sessionId, grant, undefined, () => {
      this.#streamable.set(sessionId, live);
    });
    live.server = this.newServer(grant);
    await live.server.connect(loggedTransport(live.transport));
    return live;
  }

  async #resume(sessionId: string, grant: McpGrant): Promise<LiveStreamable | undefined> {
    const live = this.#streamable.get(sessionId);
    if (live) return sameGrant(live.grant, grant) ? live : undefined;

    const stored = await this.storage.get<StoredSession>(sessionKey(sessionId));
    if (!stored || !sameGrant(stored, grant)) return undefined;
    const restored = this.#transport(sessionId, grant, stored.transport);
    this.#streamable.set(sessionId, restored);
    restored.server = this.newServer(grant);
    await restored.server.connect(loggedTransport(restored.transport));
    return restored;
  }

  #transport(
    sessionId: string,
    grant: McpGrant,
    restored: TransportState | undefined,
    onsessioninitialized?: () => void,
  ): LiveStreamable {
    const events = new SessionEventStore(this.storage, sessionId);
    const transport = new WorkerTransport({
      sessionIdGenerator: () => sessionId,
      onsessioninitialized,
      onsessionclosed: (id) => this.#forget(id),
      storage: this.#storageFor(grant, restored),
      eventStore: events,
      retryInterval: SSE_RETRY_MS,
    });
    return { transport, grant, events, endedStreams: new Set(), calls: new Map(), abandoned: new Set() };
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
    const live = this.#streamable.get(sessionId);
    this.#streamable.delete(sessionId);
    await this.storage.delete([sessionKey(sessionId), lateKey(sessionId)]);
    await (live?.events ?? new SessionEventStore(this.storage, sessionId)).clear();
  }
}

/**
 * What the tools need of the session a call came in on (keyed by the call's session id, as
 * the SDK hands it to a tool in `extra.sessionId`).
 */
export type CallWatch = {
  /**
   * Whether the client closed the call's POST stream before its result (it stopped waiting
   * without cancelling); asked once, when the call ends.
   */
  abandoned(sessionId: string, requestId: RequestId): boolean;
  /**
   * Closes the stream of a cancelled call at once: the SDK sends no response for it, so the
   * stream would otherwise stay open with keep-alives. A resume of that stream is refused (405).
   */
  endStream(sessionId: string, requestId: RequestId): void;
  /** Keeps the outcome of a call its client did not see, for the session's next call. */
  remember(sessionId: string, text: string): Promise<void>;
  /** The outcomes kept by {@link CallWatch.remember}, oldest first, now forgotten. */
  takeLate(sessionId: string): Promise<string[]>;
};

/** The ids of the `tools/call` requests in a POST body (a message or a batch); none when it is not JSON. */
async function toolCallIds(request: Request): Promise<RequestId[]> {
  const body: unknown = await request
    .clone()
    .json()
    .catch(() => undefined);
  const messages = Array.isArray(body) ? body : [body];
  return messages.flatMap((message) =>
    typeof message === "object" &&
    message !== null &&
    "method" in message &&
    message.method === "tools/call" &&
    "id" in message &&
    (typeof message.id === "string" || typeof message.id === "number")
      ? [message.id]
      : [],
  );
}

/**
 * The SDK transport's map of request id to its POST stream's id. It is private to the SDK, which
 * offers no other way to name the stream of a request; read here only, to refuse resuming the
 * stream of a cancelled request.
 */
function requestStreams(transport: WorkerTransport): Map<RequestId, string> {
  return (transport as unknown as { _requestToStreamMapping: Map<RequestId, string> })._requestToStreamMapping;
}

/** A stream that starts with `first`, then passes everything through. */
function prepend(first: Uint8Array): TransformStream<Uint8Array, Uint8Array> {
  return new TransformStream({
    start(controller) {
      controller.enqueue(first);
    },
  });
}

/** 404 tells MCP clients to start a new session (Streamable HTTP spec). */
function sessionNotFound(): Response {
  return Response.json(
    { jsonrpc: "2.0", error: { code: -32001, message: "Session not found" }, id: null },
    { status: 404 },
  );
}
