import type { EventStore } from "@modelcontextprotocol/sdk/server/webStandardStreamableHttp.js";
import type { JSONRPCMessage } from "@modelcontextprotocol/sdk/types.js";

/**
 * How long an event can be replayed after it was sent. A client resumes within seconds (the
 * `retry` we announce, then its own backoff); ten minutes also covers a laptop lid closed
 * for a coffee, and bounds what one session keeps in the object's storage.
 */
export const EVENT_RETENTION_MS = 10 * 60 * 1000;

/** Events replayed at most per resume: more than a session sends in its retention time. */
const REPLAY_LIMIT = 1_000;

/** Old events are swept on every this-many stores, not on each one. */
const SWEEP_EVERY = 32;

/** `message` is null for a priming event, which only gives the client an id. */
type StoredEvent = { streamId: string; message: JSONRPCMessage | null; at: number };

/**
 * The SSE events of one Streamable HTTP session, kept in the user's object so a client that
 * lost a stream can resume it with `Last-Event-ID` (MCP 2025-11-25, Streamable HTTP,
 * "Resumability and Redelivery"). Event ids are a counter of the session, zero-padded so
 * storage lists them in order; each names one event of one stream, and replay sends only that
 * stream's later events, as the specification requires. Events live {@link EVENT_RETENTION_MS}.
 *
 * Keys: `mcp-event:<session id>:<16 hex digits>`.
 */
export class SessionEventStore implements EventStore {
  #next: Promise<number> | undefined;

  constructor(
    private readonly storage: DurableObjectStorage,
    private readonly sessionId: string,
  ) {}

  /** Stores one event of `streamId` (a priming event has an empty message) and returns its id. */
  async storeEvent(streamId: string, message: JSONRPCMessage): Promise<string> {
    const seq = await this.#take();
    const eventId = seq.toString(16).padStart(16, "0");
    // The SDK stores its priming events as `{}`.
    const stored = "jsonrpc" in message ? message : null;
    await this.storage.put<StoredEvent>(this.#key(eventId), { streamId, message: stored, at: Date.now() });
    if (seq % SWEEP_EVERY === 0) await this.#sweep();
    return eventId;
  }

  /** Stores a priming event of `streamId` (no message: it only gives the client an id) and returns its id. */
  prime(streamId: string): Promise<string> {
    return this.storeEvent(streamId, {} as JSONRPCMessage);
  }

  /** The stream an event id of this session belongs to, or undefined for an id it never gave. */
  async streamOf(eventId: string): Promise<string | undefined> {
    if (!/^[0-9a-f]{16}$/.test(eventId)) return undefined;
    return (await this.storage.get<StoredEvent>(this.#key(eventId)))?.streamId;
  }

  /**
   * Sends every event of the stream `lastEventId` belongs to that came after it, in order, and
   * returns that stream's id. The caller checked the id with {@link streamOf} first.
   * @throws Error for an id this session never gave (the SDK answers 500 then).
   */
  async replayEventsAfter(
    lastEventId: string,
    { send }: { send: (eventId: string, message: JSONRPCMessage) => Promise<void> },
  ): Promise<string> {
    const streamId = await this.streamOf(lastEventId);
    if (!streamId) throw new Error("Unknown Last-Event-ID");
    const later = await this.storage.list<StoredEvent>({
      start: `${this.#key(lastEventId)}\0`,
      prefix: this.#prefix(),
      limit: REPLAY_LIMIT,
    });
    for (const [key, event] of later) {
      // Priming events carry no message: the client already holds their ids.
      if (event.streamId === streamId && event.message) {
        await send(key.slice(this.#prefix().length), event.message);
      }
    }
    return streamId;
  }

  /** Forgets every event of the session (it ended). */
  async clear(): Promise<void> {
    for (;;) {
      const keys = [...(await this.storage.list({ prefix: this.#prefix(), limit: 128 })).keys()];
      if (keys.length === 0) return;
      await this.storage.delete(keys);
    }
  }

  /** The next sequence number: after the newest stored one, so ids stay unique across evictions. */
  #take(): Promise<number> {
    this.#next = (this.#next ?? this.#newest()).then((seq) => seq + 1);
    return this.#next;
  }

  async #newest(): Promise<number> {
    const newest = await this.storage.list({ prefix: this.#prefix(), reverse: true, limit: 1 });
    const [key] = newest.keys();
    return key ? Number.parseInt(key.slice(this.#prefix().length), 16) : 0;
  }

  async #sweep(): Promise<void> {
    const cutoff = Date.now() - EVENT_RETENTION_MS;
    const oldest = await this.storage.list<StoredEvent>({ prefix: this.#prefix(), limit: 128 });
    const expired = [...oldest].filter(([, event]) => event.at < cutoff).map(([key]) => key);
    if (expired.length > 0) await this.storage.delete(expired);
  }

  #prefix(): string {
    return `mcp-event:${this.sessionId}:`;
  }

  #key(eventId: string): string {
    return `${this.#prefix()}${eventId}`;
  }
}
