import { abortAllDurableObjects } from "cloudflare:test";
import { env, exports } from "cloudflare:workers";
import { afterEach, describe, expect, it, vi } from "vitest";
import { accessToken, callTool, listTools, mcpPost, openSession, rpcResult } from "../../tests/workerd/mcp";
import { githubControl, onboardedVisitor } from "../../tests/workerd/visitor";

const workspaceOf = async (visitor: { userId(): Promise<string> }) =>
  env.USER_WORKSPACE.get(env.USER_WORKSPACE.idFromName(await visitor.userId()));

afterEach(() => {
  vi.useRealTimers();
});

describe("the MCP endpoint", () => {
  it("answers initialize and tools/list without starting the sandbox", async () => {
    const { visitor } = await onboardedVisitor("lister");
    const token = await accessToken(visitor, true);
    const sessionId = await openSession(token);
    expect(await listTools(token, sessionId)).toEqual(["ctx_bash", "ctx_instructions", "ctx_read"]);
    expect((await (await workspaceOf(visitor)).stats()).sandboxExecs).toBe(0);
  });

  it("gives a read-only grant no ctx_bash, and runs nothing when it calls it anyway", async () => {
    const { visitor, github } = await onboardedVisitor("readonly");
    const token = await accessToken(visitor, false);
    const sessionId = await openSession(token);
    expect(await listTools(token, sessionId)).toEqual(["ctx_instructions", "ctx_read"]);

    const before = await githubControl().branchHead(`${github.login}/ctx`);
    const call = { name: "ctx_bash", arguments: { command: "echo pwned > pwned.md" } };
    const answer = await mcpPost(token, { jsonrpc: "2.0", id: 3, method: "tools/call", params: call }, { sessionId });
    expect(answer.status).toBe(403);
    expect(answer.headers.get("WWW-Authenticate")).toContain('error="insufficient_scope"');
    expect((await (await workspaceOf(visitor)).stats()).sandboxExecs).toBe(0);
    expect(await githubControl().branchHead(`${github.login}/ctx`)).toBe(before);
  });

  it("keeps several sessions of one user apart and working at once", async () => {
    const { visitor } = await onboardedVisitor("twoclients");
    const [first, second] = [await accessToken(visitor, true, "One"), await accessToken(visitor, false, "Two")];
    const [a, b] = await Promise.all([openSession(first), openSession(second)]);
    expect(a).not.toBe(b);
    expect(await listTools(first, a)).toEqual(["ctx_bash", "ctx_instructions", "ctx_read"]);
    expect(await listTools(second, b)).toEqual(["ctx_instructions", "ctx_read"]);
    // A session belongs to the grant that opened it.
    expect((await mcpPost(second, { jsonrpc: "2.0", id: 9, method: "tools/list" }, { sessionId: a })).status).toBe(404);
  });

  it("never lets one user's token reach another user's session or repo", async () => {
    const alice = await onboardedVisitor("alice");
    const bob = await onboardedVisitor("bob");
    const aliceToken = await accessToken(alice.visitor, true);
    const bobToken = await accessToken(bob.visitor, true);
    const aliceSession = await openSession(aliceToken);

    const hijack = await mcpPost(
      bobToken,
      { jsonrpc: "2.0", id: 9, method: "tools/list" },
      { sessionId: aliceSession },
    );
    expect(hijack.status).toBe(404);

    const bobSession = await openSession(bobToken);
    const written = await callTool(bobToken, bobSession, "ctx_bash", {
      command: "echo bob > who.md",
      comment: "Bob writes",
    });
    expect(JSON.stringify(written)).not.toContain('"isError":true');
    const control = githubControl();
    expect(await control.readFile(`${bob.github.login}/ctx`, "who.md")).toBe("bob\n");
    expect(await control.readFile(`${alice.github.login}/ctx`, "who.md")).toBeUndefined();
  });

  it("answers an unknown session with 404 so that the client starts over", async () => {
    const { visitor } = await onboardedVisitor("lost");
    const token = await accessToken(visitor, true);
    const response = await mcpPost(token, { jsonrpc: "2.0", id: 1, method: "tools/list" }, { sessionId: "nope" });
    expect(response.status).toBe(404);
  });

  it("keeps a session across the object being evicted", async () => {
    const { visitor } = await onboardedVisitor("evicted");
    const token = await accessToken(visitor, true);
    const sessionId = await openSession(token);
    await abortAllDurableObjects();
    expect(await listTools(token, sessionId)).toEqual(["ctx_bash", "ctx_instructions", "ctx_read"]);
  });

  it("refuses an expired token", async () => {
    const { visitor } = await onboardedVisitor("strict");
    const token = await accessToken(visitor, true);
    const list = { jsonrpc: "2.0", id: 1, method: "tools/list" };

    vi.useFakeTimers({ toFake: ["Date"] });
    vi.setSystemTime(Date.now() + 2 * 60 * 60 * 1000);
    expect((await mcpPost(token, list)).status).toBe(401);
  });

  it("serves the legacy SSE transport, and forgets the session when the client hangs up", async () => {
    const { visitor } = await onboardedVisitor("legacy");
    const token = await accessToken(visitor, true);
    const hangUp = new AbortController();
    const stream = await exports.default.fetch("http://localhost/sse", {
      headers: { Authorization: `Bearer ${token}`, Accept: "text/event-stream" },
      signal: hangUp.signal,
    });
    expect(stream.status).toBe(200);
    const reader = (stream.body as ReadableStream<Uint8Array>).getReader();
    const decoder = new TextDecoder();
    const nextEvent = async () => {
      let buffer = "";
      while (!buffer.includes("\n\n")) {
        const { value, done } = await reader.read();
        if (done) throw new Error("stream ended");
        buffer += decoder.decode(value, { stream: true });
      }
      return buffer;
    };
    const endpoint = (await nextEvent()).match(/data: (\S+)/)?.[1] ?? "";
    expect(endpoint).toMatch(/^\/sse\/message\?sessionId=/);

    const post = (message: unknown) =>
      exports.default.fetch(new URL(endpoint, "http://localhost"), {
        method: "POST",
        headers: { Authorization: `Bearer ${token}`, "Content-Type": "application/json" },
        body: JSON.stringify(message),
      });
    const init = {
      jsonrpc: "2.0",
      id: 1,
      method: "initialize",
      params: { protocolVersion: "2024-11-05", capabilities: {}, clientInfo: { name: "old", version: "1" } },
    };
    expect((await post(init)).status).toBe(202);
    expect(await nextEvent()).toContain('"serverInfo"');
    await post({ jsonrpc: "2.0", method: "notifications/initialized" });
    expect((await post({ jsonrpc: "2.0", id: 2, method: "tools/list" })).status).toBe(202);
    expect(await nextEvent()).toContain("ctx_instructions");

    const workspace = await workspaceOf(visitor);
    expect((await workspace.mcpSessionCounts()).sse).toBe(1);
    hangUp.abort();
    await vi.waitFor(async () => expect((await workspace.mcpSessionCounts()).sse).toBe(0), { timeout: 5000 });
    expect((await post({ jsonrpc: "2.0", id: 3, method: "tools/list" })).status).toBe(404);
  });
});

describe("the MCP endpoint's input", () => {
  it("refuses a malformed message with a JSON-RPC error, not a crash", async () => {
    const { visitor } = await onboardedVisitor("garbage");
    const token = await accessToken(visitor, true);
    const response = await mcpPost(token, { hello: "world" });
    expect(response.status).toBe(400);
    expect(await rpcResult(response)).toHaveProperty("error");
  });
});
