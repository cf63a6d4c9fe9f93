import type { Transport } from "@modelcontextprotocol/sdk/shared/transport.js";
import { type JSONRPCMessage, JSONRPCMessageSchema } from "@modelcontextprotocol/sdk/types.js";

const KEEP_ALIVE_MS = 15_000;

/**
 * The legacy HTTP+SSE transport (MCP 2024-11-05) on web streams, for clients that predate
 * Streamable HTTP. `GET /sse` opens the event stream, whose first event names the endpoint
 * for this session's messages; each `POST` there is answered 202 and the reply goes down the
 * stream. The SDK's own SSE server transport needs Node's http module, so this is ours.
 */
export class SseServerTransport implements Transport {
  readonly sessionId: string;
  onclose?: () => void;
  onerror?: (error: Error) => void;
  onmessage?: (message: JSONRPCMessage) => void;

  readonly #encoder = new TextEncoder();
  readonly #messageEndpoint: string;
  #controller: ReadableStreamDefaultController<Uint8Array> | undefined;
  #keepAlive: ReturnType<typeof setInterval> | undefined;
  #closed = false;

  constructor(sessionId: string, messageEndpoint: string) {
    this.sessionId = sessionId;
    this.#messageEndpoint = messageEndpoint;
  }

  /** The response for the `GET` that opened the session. */
  response(): Response {
    const stream = new ReadableStream<Uint8Array>({
      start: (controller) => {
        this.#controller = controller;
      },
      cancel: () => this.close(),
    });
    return new Response(stream, {
      headers: { "Content-Type": "text/event-stream", "Cache-Control": "no-cache", Connection: "keep-alive" },
    });
  }

  async start(): Promise<void> {
    this.#write(`event: endpoint\ndata: ${this.#messageEndpoint}\n\n`);
    this.#keepAlive = setInterval(() => this.#write(": ping\n\n"), KEEP_ALIVE_MS);
  }

  /** One client message, posted to the session's endpoint. */
  handlePost(body: unknown): Response {
    const parsed = JSONRPCMessageSchema.safeParse(body);
    if (!parsed.success) return Response.json({ error: "Not a JSON-RPC message" }, { status: 400 });
    this.onmessage?.(parsed.data);
    return new Response("Accepted", { status: 202 });
  }

  async send(message: JSONRPCMessage): Promise<void> {
    if (this.#closed) throw new Error("The SSE stream is closed");
    this.#write(`event: message\ndata: ${JSON.stringify(message)}\n\n`);
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    clearInterval(this.#keepAlive);
    try {
      this.#controller?.close();
    } catch {
      // The reader already went away.
    }
    this.onclose?.();
  }

  /** A write to a stream nobody reads any more ends the session. */
  #write(chunk: string) {
    if (this.#closed) return;
    try {
      this.#controller?.enqueue(this.#encoder.encode(chunk));
    } catch {
      void this.close();
    }
  }
}
