import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import { launchBrowser } from "../tests/e2e/browser";
import { connectGitHub, newGitHubUser, signIn } from "../tests/e2e/journeys";
import { TestOAuthClient } from "../tests/e2e/mcp-client";
import { startE2EStack } from "../tests/e2e/stack";

/**
 * What an MCP client waits for before it can use the tools: a new session's `initialize`,
 * `notifications/initialized` and `tools/list`, over real HTTP through the OAuth provider to
 * the user's object. The floor is the same number of round trips that reach the object and
 * do nothing there (an unknown session id, answered 404 from the object), interleaved with
 * the sessions on the same server. The sandbox host's own counter shows no command ran.
 *
 *   npx tsx bench/mcp-session.ts [sessions, default 300]
 */
const SESSIONS = Number(process.argv[2] ?? 300);
const WARM_UP = 20;
const PROTOCOL_VERSION = "2025-06-18";

const stack = await startE2EStack();
const browser = await launchBrowser();
try {
  const page = await (await browser.newContext()).newPage();
  const login = await newGitHubUser(stack, ["ctx"]);
  await signIn(page, stack, `${login}@example.com`);
  await connectGitHub(page, stack, login, ["ctx"], "ctx");
  const oauth = new TestOAuthClient("Benchmark");
  const url = new URL("/mcp", stack.appUrl);
  const unauthorized = new StreamableHTTPClientTransport(url, { authProvider: oauth });
  await new Client({ name: "bench", version: "1" }).connect(unauthorized).catch(() => undefined);
  await unauthorized.finishAuth(await oauth.consentIn(page, { write: true }));
  const token = oauth.tokens()?.access_token ?? "";

  const post = async (message: unknown, sessionId?: string) => {
    const headers: Record<string, string> = {
      Authorization: `Bearer ${token}`,
      "Content-Type": "application/json",
      Accept: "application/json, text/event-stream",
      "MCP-Protocol-Version": PROTOCOL_VERSION,
    };
    if (sessionId) headers["Mcp-Session-Id"] = sessionId;
    const response = await fetch(url, { method: "POST", headers, body: JSON.stringify(message) });
    await response.text();
    return response;
  };
  const session = async () => {
    const started = performance.now();
    const initialized = await post({
      jsonrpc: "2.0",
      id: 1,
      method: "initialize",
      params: { protocolVersion: PROTOCOL_VERSION, capabilities: {}, clientInfo: { name: "bench", version: "1" } },
    });
    const sessionId = initialized.headers.get("Mcp-Session-Id") ?? "";
    await post({ jsonrpc: "2.0", method: "notifications/initialized" }, sessionId);
    const listed = await post({ jsonrpc: "2.0", id: 2, method: "tools/list" }, sessionId);
    const elapsed = performance.now() - started;
    if (!initialized.ok || !listed.ok) throw new Error(`session failed: ${initialized.status} ${listed.status}`);
    await fetch(url, { method: "DELETE", headers: { Authorization: `Bearer ${token}`, "Mcp-Session-Id": sessionId } });
    return elapsed;
  };
  const floor = async () => {
    const started = performance.now();
    for (let i = 0; i < 3; i++) {
      const answer = await post({ jsonrpc: "2.0", id: 9, method: "tools/list" }, "no-such-session");
      if (answer.status !== 404) throw new Error(`floor answered ${answer.status}`);
    }
    return performance.now() - started;
  };

  for (let i = 0; i < WARM_UP; i++) {
    await session();
    await floor();
  }
  const execsBefore = stack.sandboxExecs();
  const sessions: number[] = [];
  const floors: number[] = [];
  for (let i = 0; i < SESSIONS; i++) {
    sessions.push(await session());
    floors.push(await floor());
  }
  const execs = stack.sandboxExecs() - execsBefore;

  const describe = (values: number[]) => {
    const sorted = [...values].sort((a, b) => a - b);
    const at = (q: number) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? Number.NaN;
    return { median: at(0.5), p99: at(0.99) };
  };
  const s = describe(sessions);
  const f = describe(floors);
  console.log(`MCP session start over HTTP, ${SESSIONS} sessions, interleaved with the floor`);
  console.log(`initialize + initialized + tools/list: median ${s.median.toFixed(2)} ms  p99 ${s.p99.toFixed(2)} ms`);
  console.log(`3 bare round trips to the object:      median ${f.median.toFixed(2)} ms  p99 ${f.p99.toFixed(2)} ms`);
  console.log(
    `ratio:                                 median ${(s.median / f.median).toFixed(2)}x  p99 ${(s.p99 / f.p99).toFixed(2)}x`,
  );
  console.log(`sandbox commands run meanwhile (sandbox host counter): ${execs}`);
} finally {
  await browser.close();
  await stack.stop();
}
