import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import { LoggingMessageNotificationSchema } from "@modelcontextprotocol/sdk/types.js";
import { beforeAll, describe, expect, it, vi } from "vitest";
import { journey } from "./browser";
import { connectGitHub, newGitHubUser, signIn } from "./journeys";
import { TestOAuthClient, textOf } from "./mcp-client";
import type { E2EStack } from "./stack";

// Progress every second (the product's setting, 10 s by default): the calls below outlast their
// client's timeout, and are cancelled on their first progress, in seconds rather than minutes.
const e2e = journey({ vars: { MCP_PROGRESS_SECONDS: "1" } });
let stack: E2EStack;
let login: string;
let oauth: TestOAuthClient;

/**
 * One person with write access, consented once, for every test here: each test opens its own
 * MCP session with the official SDK client over real HTTP against the built Worker.
 */
beforeAll(async () => {
  stack = e2e.stack;
  const { page } = await e2e.newPage();
  login = await newGitHubUser(stack, ["ctx"]);
  await signIn(page, stack, `${login}@example.com`);
  await connectGitHub(page, stack, login, ["ctx"], "ctx");
  oauth = new TestOAuthClient("Long calls");
  const unauthorized = new StreamableHTTPClientTransport(new URL("/mcp", stack.appUrl), { authProvider: oauth });
  await expect(new Client({ name: "e2e", version: "1" }).connect(unauthorized)).rejects.toThrow();
  await unauthorized.finishAuth(await oauth.consentIn(page, { write: true }));
}, 180_000);

/**
 * The network between the SDK client and the server, as the test wants it: every GET stream
 * can be cut (as a dropped connection is), the next GET can be held back, and the end of each
 * tool call's POST stream is seen.
 */
class Network {
  /** Each GET the client made: its answer's status, and the cursor it resumed from. */
  readonly gets: { status: number; lastEventId: string | null; at: number }[] = [];
  /** Resolves when the POST stream of the latest tool call ends. */
  callStreamEnded: Promise<void> = Promise.resolve();
  #current: Watched | undefined;
  #held: Promise<void> | undefined;

  readonly fetch = async (input: string | URL | Request, init?: RequestInit): Promise<Response> => {
    const method = init?.method ?? "GET";
    if (method === "GET") await this.#held;
    const response = await fetch(input, init);
    if (method === "GET") {
      this.gets.push({
        status: response.status,
        lastEventId: new Headers(init?.headers).get("last-event-id"),
        at: Date.now(),
      });
    }
    if (!response.body || !response.headers.get("content-type")?.startsWith("text/event-stream")) return response;
    const watched = watch(response.body);
    if (method === "GET") this.#current = watched;
    if (method === "POST" && String(init?.body).includes('"tools/call"')) this.callStreamEnded = watched.ended;
    return new Response(watched.body, { status: response.status, headers: response.headers });
  };

  /**
   * Drops the open GET stream, as a lost connection does, once the client holds its cursor (the
   * id of an event it read); returns when it dropped, in ms since the epoch. A drop before that
   * leaves the client nothing to resume from: it opens a fresh stream, which replays nothing.
   */
  async cutGetStream(): Promise<number> {
    await vi.waitFor(() => expect(this.#current?.deliveredId()).toBe(true), { timeout: 10_000 });
    // The client parses what it was handed in microtasks: a macrotask later, it holds the id.
    await new Promise(setImmediate);
    this.#current?.cut();
    return Date.now();
  }

  /** Holds every GET until the returned function is called. */
  holdGets(): () => void {
    let release = () => {};
    this.#held = new Promise((resolve) => {
      release = resolve;
    });
    return () => {
      this.#held = undefined;
      release();
    };
  }
}

/**
 * A body that passes `source` through until `cut`, which errors it and closes the connection.
 * `deliveredId` tells whether a chunk with an SSE event id (an `id:` line) was handed to the reader.
 */
type Watched = { body: ReadableStream<Uint8Array>; cut: () => void; ended: Promise<void>; deliveredId: () => boolean };

function watch(source: ReadableStream<Uint8Array>): Watched {
  const reader = source.getReader();
  const decoder = new TextDecoder();
  let cut = () => {};
  let ended = () => {};
  let deliveredId = false;
  const endedPromise = new Promise<void>((resolve) => {
    ended = resolve;
  });
  // Pulled only when the reader asks: what is enqueued is handed to it at once.
  const body = new ReadableStream<Uint8Array>(
    {
      start(controller) {
        cut = () => {
          controller.error(new TypeError("network connection lost"));
          void reader.cancel().catch(() => {});
          ended();
        };
      },
      async pull(controller) {
        try {
          const { value, done } = await reader.read();
          if (done) {
            controller.close();
            ended();
          } else {
            controller.enqueue(value);
            deliveredId ||= /^id: /m.test(decoder.decode(value, { stream: true }));
          }
        } catch (error) {
          controller.error(error);
          ended();
        }
      },
      cancel: (reason) => {
        ended();
        return reader.cancel(reason);
      },
    },
    { highWaterMark: 0 },
  );
  return { body, cut: () => cut(), ended: endedPromise, deliveredId: () => deliveredId };
}

async function connect() {
  const network = new Network();
  const client = new Client({ name: "e2e long calls", version: "1" });
  const logs: string[] = [];
  client.setNotificationHandler(LoggingMessageNotificationSchema, (notification) => {
    logs.push(String(notification.params.data));
  });
  await client.connect(
    new StreamableHTTPClientTransport(new URL("/mcp", stack.appUrl), { authProvider: oauth, fetch: network.fetch }),
  );
  // The client opens its GET stream once the session is initialized.
  await vi.waitFor(() => expect(network.gets).toHaveLength(1), { timeout: 10_000 });
  return { client, network, logs };
}

const repo = () => `${login}/ctx`;

/**
 * Starts a command and cancels it as a client does (the SDK sends `notifications/cancelled`)
 * once the server reported progress, so the command is running by then.
 */
async function cancelWhileRunning(client: Client, command: string) {
  const abort = new AbortController();
  const call = client.callTool({ name: "ctx_bash", arguments: { command, timeoutSeconds: 300 } }, undefined, {
    signal: abort.signal,
    onprogress: () => abort.abort("the person pressed stop"),
  });
  await expect(call).rejects.toThrow();
}

describe("long ctx_bash calls over Streamable HTTP with the SDK client", () => {
  it("completes a 12 s command in a client whose 5 s timeout resets on progress", async () => {
    const { client } = await connect();
    const progress: number[] = [];
    const result = await client.callTool(
      {
        name: "ctx_bash",
        arguments: { command: "sleep 12; echo line >> long.md", timeoutSeconds: 120, comment: "Long" },
      },
      undefined,
      { timeout: 5_000, resetTimeoutOnProgress: true, onprogress: ({ progress: seconds }) => progress.push(seconds) },
    );
    expect(result.isError, textOf(result)).toBe(false);
    expect(await stack.github.readFile(repo(), "long.md")).toBe("line\n");
    // Every report came with a larger number (MCP "Progress"), and they kept coming all along.
    expect(progress).toEqual([...progress].sort((a, b) => a - b));
    expect(new Set(progress).size).toBe(progress.length);
    expect(progress.length).toBeGreaterThanOrEqual(8);
    await client.close();
  }, 60_000);

  it("stops a cancelled command, closes its stream, keeps what it wrote first, and says so next time", async () => {
    const { client, network, logs } = await connect();
    const before = await stack.github.branchHead(repo());
    await cancelWhileRunning(client, "echo partial > partial.md; sleep 280; echo late > late.md");
    // The cancelled call's stream is closed by the server (before, it sent keep-alives on).
    await network.callStreamEnded;

    // A command left running would hold the next one for its 280 s: this answers in seconds.
    const next = await client.callTool({ name: "ctx_bash", arguments: { command: "ls" } });
    const text = textOf(next);
    expect(text).toMatch(
      /^Your previous command `echo partial > partial\.md; sleep 280; echo late > late\.md` was cancelled by your client: it was stopped before it ended; what it had changed was committed as [0-9a-f]{7} \(A partial\.md\) and pushed to main\./,
    );
    // Told once only.
    const again = await client.callTool({ name: "ctx_bash", arguments: { command: "true" } });
    expect(textOf(again)).not.toContain("previous command");

    expect(await stack.github.readFile(repo(), "partial.md")).toBe("partial\n");
    expect(await stack.github.readFile(repo(), "late.md")).toBeUndefined();
    const [commit] = await stack.github.commits(repo());
    expect(commit?.message).toMatch(/\(cancelled\)\n\nCtx4-Client: Long calls$/);
    expect(commit?.sha).not.toBe(before);
    // The session's own stream heard it too.
    expect(logs.some((log) => log.includes("was cancelled by your client"))).toBe(true);
    // The SDK client tried to resume the closed stream and was told to stop (405), once.
    await vi.waitFor(() => expect(network.gets.filter((get) => get.status === 405)).toHaveLength(1));
    await client.close();
  }, 120_000);

  it("commits nothing when the cancelled command had changed nothing", async () => {
    const { client } = await connect();
    const before = await stack.github.branchHead(repo());
    await cancelWhileRunning(client, "sleep 280; echo late > late.md");
    const next = await client.callTool({ name: "ctx_bash", arguments: { command: "git status --short" } });
    expect(textOf(next)).toMatch(
      /^Your previous command `sleep 280; echo late > late\.md` was cancelled by your client: it was stopped before it ended; it changed nothing, so nothing was committed\./,
    );
    expect(await stack.github.branchHead(repo())).toBe(before);
    await client.close();
  }, 120_000);
});

describe("a call whose client stopped waiting without cancelling", () => {
  it("still commits, and the session's next result says what it did", async () => {
    const { client } = await connect();
    const transport = client.transport as StreamableHTTPClientTransport;
    const hangUp = new AbortController();
    // The command outlasts, by seconds, the moment the Worker sees the client hang up (at once:
    // the request's signal), so it ends after the client stopped waiting.
    const call = await fetch(new URL("/mcp", stack.appUrl), {
      method: "POST",
      headers: {
        Authorization: `Bearer ${oauth.tokens()?.access_token}`,
        "Mcp-Session-Id": transport.sessionId ?? "",
        "Mcp-Protocol-Version": "2025-11-25",
        Accept: "application/json, text/event-stream",
        "Content-Type": "application/json",
      },
      body: JSON.stringify({
        jsonrpc: "2.0",
        id: "gone-1",
        method: "tools/call",
        params: {
          name: "ctx_bash",
          arguments: { command: "sleep 5; echo done > abandoned.md" },
          _meta: { progressToken: "p1" },
        },
      }),
      signal: hangUp.signal,
    });
    expect(call.status).toBe(200);
    hangUp.abort();
    // Queued behind the abandoned call, this one runs once it has finished.
    const next = await client.callTool({ name: "ctx_bash", arguments: { command: "true" } });
    expect(textOf(next)).toMatch(
      /^Your previous command `sleep 5; echo done > abandoned\.md` finished after your client stopped waiting: it exited with code 0; what it had changed was committed as [0-9a-f]{7} \(A abandoned\.md\) and pushed to main\./,
    );
    expect(await stack.github.readFile(repo(), "abandoned.md")).toBe("done\n");
    await client.close();
  }, 120_000);
});

describe("the session's GET stream", () => {
  it("is reopened at once after it dropped, and replays what was sent while it was away", async () => {
    const { client, network, logs } = await connect();
    // Dropped, the client reopens it after the server's `retry` (500 ms), from its cursor, on the
    // first try: before, the server still held the old stream and answered 409 for tens of seconds.
    const firstDrop = await network.cutGetStream();
    await vi.waitFor(() => expect(network.gets).toHaveLength(2), { timeout: 10_000 });
    expect(network.gets[1]).toMatchObject({ status: 200, lastEventId: expect.stringMatching(/^[0-9a-f]{16}$/) });
    console.info(`GET stream reopened ${(network.gets[1]?.at ?? 0) - firstDrop} ms after it dropped`);

    const release = network.holdGets();
    const droppedAt = await network.cutGetStream();
    // While the client is away, the server sends on the session's stream: the outcome of a
    // cancelled call (the cancelled call's own stream closes, so the client hears it only there).
    await cancelWhileRunning(client, "sleep 280");
    // Once the next result tells it, the log message went out already.
    const next = await client.callTool({ name: "ctx_bash", arguments: { command: "true" } });
    expect(textOf(next)).toContain("was cancelled by your client");
    expect(logs).toEqual([]);

    release();
    await vi.waitFor(() => expect(logs.some((log) => log.includes("was cancelled by your client"))).toBe(true), {
      timeout: 10_000,
    });
    const reopened = network.gets.slice(2);
    expect(reopened.map((get) => get.status)).not.toContain(409);
    const resumed = reopened.find((get) => get.status === 200);
    expect(resumed?.lastEventId).toMatch(/^[0-9a-f]{16}$/);
    console.info(
      `GET stream resumed ${(resumed?.at ?? 0) - droppedAt} ms after it dropped (held while the test ran a call)`,
    );
    await client.close();
  }, 120_000);

  it("lets a second GET replace a stream the server still holds, without a cursor, and primes every stream", async () => {
    const { client } = await connect();
    const token = oauth.tokens()?.access_token ?? "";
    const sessionId = (client.transport as StreamableHTTPClientTransport).sessionId ?? "";
    const headers = {
      Authorization: `Bearer ${token}`,
      "Mcp-Session-Id": sessionId,
      "Mcp-Protocol-Version": "2025-11-25",
    };
    const url = new URL("/mcp", stack.appUrl);
    // The SDK client's own GET is open: a raw one now takes its place (no 409).
    const get = await fetch(url, { headers: { ...headers, Accept: "text/event-stream" } });
    expect(get.status).toBe(200);
    expect(await firstEvent(get)).toMatch(/^id: [0-9a-f]{16}\nretry: 500\ndata: \n\n$/);

    // A POST stream begins with a priming event and the retry interval (MCP 2025-11-25).
    const post = await fetch(url, {
      method: "POST",
      headers: { ...headers, Accept: "application/json, text/event-stream", "Content-Type": "application/json" },
      body: JSON.stringify({ jsonrpc: "2.0", id: 7, method: "tools/list" }),
    });
    expect(post.headers.get("content-type")).toContain("text/event-stream");
    expect(await firstEvent(post)).toMatch(/^id: [0-9a-f]{16}\nretry: 500\ndata: \n\n$/);
    await client.close();
  }, 60_000);
});

/** The first SSE event of a response, as sent; the rest of the stream is let go. */
async function firstEvent(response: Response): Promise<string> {
  const reader = (response.body as ReadableStream<Uint8Array>).pipeThrough(new TextDecoderStream()).getReader();
  let text = "";
  while (!text.includes("\n\n")) {
    const { value, done } = await reader.read();
    if (done) break;
    text += value;
  }
  await reader.cancel();
  return text.slice(0, text.indexOf("\n\n") + 2);
}
