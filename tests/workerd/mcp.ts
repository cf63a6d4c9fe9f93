import { exports } from "cloudflare:workers";
import { consent, exchangeCode, registerClient } from "./oauth-client";
import type { Visitor } from "./visitor";

export const PROTOCOL_VERSION = "2025-06-18";

/** An access token for `visitor`, from a client they allowed with or without `ctx:write`. */
export async function accessToken(visitor: Visitor, write: boolean, clientName = "MCP test client") {
  const client = await registerClient(visitor, clientName);
  const sentTo = await consent(visitor, client, { allow: true, write });
  const tokens = await exchangeCode(visitor, client, sentTo.searchParams.get("code") ?? "");
  if (!tokens.body.access_token) throw new Error(`no token: ${JSON.stringify(tokens.body)}`);
  return tokens.body.access_token;
}

type RpcOptions = { sessionId?: string };

/** One JSON-RPC message to `/mcp`, as a Streamable HTTP client sends it. */
export function mcpPost(token: string, message: unknown, options: RpcOptions = {}) {
  const headers = new Headers({
    Authorization: `Bearer ${token}`,
    "Content-Type": "application/json",
    Accept: "application/json, text/event-stream",
    "MCP-Protocol-Version": PROTOCOL_VERSION,
  });
  if (options.sessionId) headers.set("Mcp-Session-Id", options.sessionId);
  return exports.default.fetch(new URL("/mcp", "http://localhost"), {
    method: "POST",
    headers,
    body: JSON.stringify(message),
  });
}

/** The JSON-RPC answer in a response, whether sent as JSON or as one SSE event. */
export async function rpcResult(response: Response): Promise<{ result?: Record<string, unknown>; error?: unknown }> {
  const text = await response.text();
  if (!(response.headers.get("Content-Type") ?? "").includes("text/event-stream")) return JSON.parse(text);
  const data = text
    .split("\n")
    .filter((line) => line.startsWith("data: "))
    .map((line) => line.slice(6));
  const last = data.at(-1);
  if (!last) throw new Error(`no event in ${text}`);
  return JSON.parse(last);
}

/** initialize + initialized, as every client starts; returns the session id. */
export async function openSession(token: string, options: RpcOptions = {}): Promise<string> {
  const initialized = await mcpPost(
    token,
    {
      jsonrpc: "2.0",
      id: 1,
      method: "initialize",
      params: { protocolVersion: PROTOCOL_VERSION, capabilities: {}, clientInfo: { name: "test", version: "1" } },
    },
    options,
  );
  if (initialized.status !== 200) throw new Error(`initialize answered ${initialized.status}`);
  await initialized.text();
  const sessionId = initialized.headers.get("Mcp-Session-Id");
  if (!sessionId) throw new Error("no session id");
  const notified = await mcpPost(
    token,
    { jsonrpc: "2.0", method: "notifications/initialized" },
    { ...options, sessionId },
  );
  await notified.text();
  return sessionId;
}

export async function listTools(token: string, sessionId: string): Promise<string[]> {
  const answer = await rpcResult(await mcpPost(token, { jsonrpc: "2.0", id: 2, method: "tools/list" }, { sessionId }));
  return ((answer.result?.tools ?? []) as { name: string }[]).map((tool) => tool.name).sort();
}

export async function callTool(token: string, sessionId: string, name: string, args: Record<string, unknown>) {
  return rpcResult(
    await mcpPost(
      token,
      { jsonrpc: "2.0", id: 3, method: "tools/call", params: { name, arguments: args } },
      { sessionId },
    ),
  );
}
