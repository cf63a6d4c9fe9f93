import { createExecutionContext, runInDurableObject, waitOnExecutionContext } from "cloudflare:test";
import { env, exports } from "cloudflare:workers";
import { sign } from "@octokit/webhooks-methods";
import { afterEach, describe, expect, inject, it, vi } from "vitest";
import { userHash } from "../app/lib/log.server";
import { storedUserToken, workspaceOf } from "../tests/workerd/connected-user";
import { callTool, listTools, mcpPost, openSession, PROTOCOL_VERSION, rpcResult } from "../tests/workerd/mcp";
import { consent, exchangeCode, registerClient } from "../tests/workerd/oauth-client";
import { githubControl, onboardedVisitor, SITE, type Visitor } from "../tests/workerd/visitor";
import worker from "./app";

/** Every console call of the Worker and the objects (they run in this isolate), as made. */
function captureConsole() {
  const calls: unknown[][] = [];
  for (const method of ["log", "info", "warn", "error", "debug"] as const) {
    vi.spyOn(console, method).mockImplementation((...args: unknown[]) => {
      calls.push(args);
    });
  }
  return calls;
}

afterEach(() => vi.restoreAllMocks());

/** Both tokens of a client the visitor allowed, with or without `ctx:write`. */
async function tokensFor(visitor: Visitor, write: boolean) {
  const client = await registerClient(visitor, write ? "Scan writer" : "Scan reader");
  const sentTo = await consent(visitor, client, { allow: true, write });
  const { body } = await exchangeCode(visitor, client, sentTo.searchParams.get("code") ?? "");
  if (!body.access_token || !body.refresh_token) throw new Error(`no tokens: ${JSON.stringify(body)}`);
  return { access: body.access_token, refresh: body.refresh_token, clientId: client.clientId };
}

async function webhook(event: string, payload: unknown) {
  const body = JSON.stringify(payload);
  const secret = inject("stack").workerVars.GITHUB_WEBHOOK_SECRET ?? "";
  const request = new Request(new URL("/api/github/webhook", SITE), {
    method: "POST",
    headers: {
      "Content-Type": "application/json",
      "X-GitHub-Event": event,
      "X-GitHub-Delivery": crypto.randomUUID(),
      "X-Hub-Signature-256": await sign(secret, body),
    },
    body,
  });
  const ctx = createExecutionContext();
  const response = await worker.fetch(request as Parameters<typeof worker.fetch>[0], env, ctx);
  await waitOnExecutionContext(ctx);
  return response;
}

type Line = Record<string, unknown>;

describe("logs", () => {
  it("write one JSON object per event, with its fields and no secret, across MCP calls and web actions", async () => {
    const calls = captureConsole();
    const { visitor, installation, repo } = await onboardedVisitor("logscan");
    const userId = await visitor.userId();
    const writer = await tokensFor(visitor, true);
    const reader = await tokensFor(visitor, false);

    // MCP: every kind of call, one refused for its scope, one for an unknown session.
    const sessionId = await openSession(writer.access);
    expect(await listTools(writer.access, sessionId)).toContain("ctx_bash");
    const wrote = await callTool(writer.access, sessionId, "ctx_bash", {
      command: "echo 'Flight at 9 from gate B' > trips.md",
      comment: "Note the flight",
    });
    expect(wrote.result?.isError).toBe(false);
    expect((await callTool(writer.access, sessionId, "ctx_read", { path: "trips.md" })).result?.isError).toBe(false);
    expect((await callTool(writer.access, sessionId, "ctx_read", { path: "../outside" })).result?.isError).toBe(true);
    await callTool(writer.access, sessionId, "ctx_search", { query: "Flight" });
    const listed = await rpcResult(
      await mcpPost(writer.access, { jsonrpc: "2.0", id: 4, method: "resources/list" }, { sessionId }),
    );
    expect(listed.result?.resources).toBeDefined();
    await rpcResult(
      await mcpPost(
        writer.access,
        { jsonrpc: "2.0", id: 5, method: "resources/read", params: { uri: "ctx://memory/trips.md" } },
        { sessionId },
      ),
    );
    const readSession = await openSession(reader.access);
    const refused = await callTool(reader.access, readSession, "ctx_bash", { command: "echo no > no.md" });
    expect(refused.error ?? refused.result).toBeDefined();
    expect(
      (await mcpPost(writer.access, { jsonrpc: "2.0", id: 6, method: "tools/list" }, { sessionId: "gone" })).status,
    ).toBe(404);
    // A request Cloudflare named: its id is the Ray ID.
    const ray = "0123456789abcdef-TST";
    const named = await exports.default.fetch(new URL("/mcp", "http://localhost"), {
      method: "POST",
      headers: {
        Authorization: `Bearer ${writer.access}`,
        "Content-Type": "application/json",
        Accept: "application/json, text/event-stream",
        "MCP-Protocol-Version": PROTOCOL_VERSION,
        "Mcp-Session-Id": sessionId,
        "cf-ray": ray,
      },
      body: JSON.stringify({
        jsonrpc: "2.0",
        id: 7,
        method: "tools/call",
        params: { name: "ctx_history", arguments: {} },
      }),
    });
    await named.text();

    // What the test knows that no line may hold, taken while it exists.
    const installationToken = await runInDurableObject(
      workspaceOf(userId),
      async (_object, state) => ((await state.storage.get<{ token: string }>("github-token")) ?? { token: "" }).token,
    );
    const userToken = await storedUserToken(userId);
    const cookies = [...visitor.cookies.values()].filter((value) => value.length >= 16);

    // Web actions that change state: revert, a webhook, disconnect, sign out, account deletion.
    const [note] = await githubControl().commits(repo.full_name);
    await visitor.post(`/activity/${note?.sha}/revert`, {});
    expect((await webhook("installation", { action: "unsuspend", installation: { id: installation.id } })).status).toBe(
      200,
    );
    await visitor.post("/me", { intent: "disconnect" });
    await visitor.post("/account/delete", { email: visitor.email ?? "" });

    const secrets = {
      "access token": writer.access,
      "read-only access token": reader.access,
      "refresh token": writer.refresh,
      "installation token": installationToken,
      "GitHub user token": userToken?.token ?? "",
      "GitHub refresh token": userToken?.refreshToken ?? "",
      "GitHub App key": env.GITHUB_APP_PRIVATE_KEY.replace(/-----[A-Z ]+-----|\\n|\s/g, "").slice(0, 40),
      "webhook secret": env.GITHUB_WEBHOOK_SECRET,
      "Supabase secret key": env.SUPABASE_SECRET_KEY,
      email: visitor.email ?? "",
      "user id": userId,
      "file contents": "Flight at 9",
      "command text": "gate B",
      ...Object.fromEntries(cookies.map((value, index) => [`cookie ${index}`, value.slice(0, 40)])),
    };
    for (const [what, secret] of Object.entries(secrets)) expect(secret.length, what).toBeGreaterThan(5);

    const lines: Line[] = calls.map((args) => {
      expect(args, "one argument a line").toHaveLength(1);
      const [line] = args;
      expect(line?.constructor, `a plain object: ${String(line)}`).toBe(Object);
      return JSON.parse(JSON.stringify(line)) as Line;
    });
    for (const line of lines) {
      const text = JSON.stringify(line);
      expect(line, text).toMatchObject({
        event: expect.stringMatching(/^(mcp|web|problem)$/),
        requestId: expect.stringMatching(/^[0-9a-f]{16}(-[A-Z]{3})?$/),
        name: expect.any(String),
        outcome: expect.stringMatching(/^(ok|refused|error)$/),
      });
      if (line.event !== "problem" && line.outcome !== "ok") expect(line.errorClass, text).toEqual(expect.any(String));
      for (const [what, secret] of Object.entries(secrets))
        expect(text.includes(secret), `${what} in ${text}`).toBe(false);
    }

    const user = await userHash(env, userId);
    const mcp = lines.filter((line) => line.event === "mcp");
    for (const line of mcp) expect(line, JSON.stringify(line)).toMatchObject({ user, client: expect.any(String) });
    const call = (name: string, tool?: string) =>
      mcp.find((line) => line.name === name && line.tool === tool && line.client === writer.clientId);
    for (const [name, tool] of [
      ["initialize"],
      ["tools/list"],
      ["tools/call", "ctx_bash"],
      ["tools/call", "ctx_read"],
      ["tools/call", "ctx_search"],
      ["resources/list"],
      ["resources/read"],
    ])
      expect(call(name as string, tool), `${name} ${tool ?? ""}`).toMatchObject({
        outcome: "ok",
        ms: expect.any(Number),
      });
    expect(mcp.find((line) => line.tool === "ctx_read" && line.outcome !== "ok")).toMatchObject({ outcome: "error" });
    expect(mcp.find((line) => line.errorClass === "insufficient_scope")).toMatchObject({
      client: reader.clientId,
      outcome: "refused",
    });
    expect(mcp.find((line) => line.errorClass === "session_not_found")).toMatchObject({ status: 404 });
    expect(mcp.filter((line) => line.requestId === ray)).toEqual([
      expect.objectContaining({ name: "tools/call", tool: "ctx_history", outcome: "ok" }),
    ]);

    const web = lines.filter((line) => line.event === "web");
    for (const line of web)
      expect(line, JSON.stringify(line)).toMatchObject({ ms: expect.any(Number), status: expect.any(Number) });
    const action = (name: string, intent?: string) => {
      const found = web.find((line) => line.name === name && line.intent === intent);
      if (!found) throw new Error(`no line for ${name} ${intent ?? ""} in ${JSON.stringify(web)}`);
      return found;
    };
    expect(action("/login")).toMatchObject({ outcome: "ok" });
    expect(action("/auth/confirm")).toMatchObject({ outcome: "ok" });
    expect(action("/authorize")).toMatchObject({ user, outcome: "ok" });
    expect(action("/activity/:sha/revert")).toMatchObject({ user, outcome: "ok", status: 302 });
    expect(action("/api/github/callback")).toMatchObject({ user, outcome: "ok" });
    expect(action("/api/github/webhook")).toMatchObject({ outcome: "ok", status: 200 });
    expect(action("/me", "disconnect")).toMatchObject({ user, outcome: "ok" });
    expect(action("/account/delete")).toMatchObject({ user, outcome: "ok" });
  }, 120_000);
});
