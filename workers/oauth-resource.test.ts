import { exports } from "cloudflare:workers";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { describe, expect, it } from "vitest";
import { accessToken, mcpPost, openSession } from "../tests/workerd/mcp";
import { consent, registerClient } from "../tests/workerd/oauth-client";
import { connectedClient, SdkOAuthClient, sdkTransport } from "../tests/workerd/sdk-client";
import { githubControl, onboardedVisitor } from "../tests/workerd/visitor";

const SITE = "http://localhost";

describe.each(["Streamable HTTP", "SSE"] as const)("an SDK client over %s", (kind) => {
  const path = kind === "SSE" ? "/sse/" : "/mcp/";
  it(`configured with ${path} gets through discovery, registration and consent, and is served`, async () => {
    const { visitor } = await onboardedVisitor(`slash-${kind === "SSE" ? "sse" : "http"}`);
    const { client, oauth } = await connectedClient(visitor, kind, `${SITE}${path}`, { write: true });
    // It asked for the endpoint URL it was given, as MCP's canonical server URI.
    expect(oauth.authorizationUrls[0]?.searchParams.get("resource")).toBe(`${SITE}${path}`);
    const { tools } = await client.listTools();
    expect(tools.map((tool) => tool.name).sort()).toEqual(["ctx_bash", "ctx_instructions", "ctx_read"]);
    const read = await client.callTool({ name: "ctx_instructions", arguments: {} });
    expect(read.isError, JSON.stringify(read.content)).toBeFalsy();
    await client.close();
  });
});

describe("the resource's names", () => {
  it("are given by each metadata document for the URL it is found at, with the scopes to ask for", async () => {
    for (const path of ["", "/mcp", "/mcp/", "/sse", "/sse/"]) {
      const response = await exports.default.fetch(`${SITE}/.well-known/oauth-protected-resource${path}`);
      expect(response.status).toBe(200);
      const document = (await response.json()) as Record<string, unknown>;
      expect(document.resource).toBe(path ? `${SITE}${path}` : SITE);
      expect(document.authorization_servers).toEqual([SITE]);
      expect(document.scopes_supported).toEqual(["ctx:read", "ctx:write"]);
    }
    expect((await exports.default.fetch(`${SITE}/.well-known/oauth-protected-resource/other`)).status).toBe(404);
    const head = await exports.default.fetch(`${SITE}/.well-known/oauth-protected-resource/mcp`, { method: "HEAD" });
    expect(head.status).toBe(200);
  });

  it("are what a 401 points at, for the endpoint URL the client used, with the scope to ask for", async () => {
    for (const path of ["/mcp", "/mcp/", "/sse", "/sse/"]) {
      const response = await exports.default.fetch(`${SITE}${path}`, { headers: { Accept: "text/event-stream" } });
      expect(response.status).toBe(401);
      const challenge = response.headers.get("WWW-Authenticate") ?? "";
      expect(challenge).toContain(`resource_metadata="${SITE}/.well-known/oauth-protected-resource${path}"`);
      expect(challenge).toContain('scope="ctx:read ctx:write"');
    }
  });

  it("are each accepted as the resource at /authorize, the code exchange and refresh, for one token that serves /mcp and /sse", async () => {
    const { visitor } = await onboardedVisitor("resource-names");
    for (const resource of [`${SITE}/mcp`, SITE, `${SITE}/sse/`]) {
      const client = await registerClient(visitor, `Names ${resource}`);
      const withResource = (path: string) => {
        const url = new URL(path, SITE);
        url.searchParams.set("resource", resource);
        return `${url.pathname}${url.search}`;
      };
      const sentTo = await consent(
        visitor,
        { ...client, authorizePath: () => withResource(client.authorizePath()) },
        {
          allow: true,
          write: true,
        },
      );
      const code = sentTo.searchParams.get("code");
      expect(code, sentTo.href).toBeTruthy();
      const token = async (fields: Record<string, string>) => {
        const response = await visitor.fetch("/oauth/token", {
          method: "POST",
          headers: { "Content-Type": "application/x-www-form-urlencoded" },
          body: new URLSearchParams({ client_id: client.clientId, resource, ...fields }),
        });
        return { status: response.status, body: (await response.json()) as Record<string, string> };
      };
      const exchanged = await token({
        grant_type: "authorization_code",
        code: code ?? "",
        redirect_uri: client.redirectUri,
        code_verifier: client.verifier,
      });
      expect(exchanged.status, JSON.stringify(exchanged.body)).toBe(200);
      const refreshed = await token({ grant_type: "refresh_token", refresh_token: exchanged.body.refresh_token ?? "" });
      expect(refreshed.status, JSON.stringify(refreshed.body)).toBe(200);
      const accessToken = refreshed.body.access_token ?? "";
      await openSession(accessToken);
      const hangUp = new AbortController();
      const sse = await exports.default.fetch(`${SITE}/sse`, {
        headers: { Authorization: `Bearer ${accessToken}`, Accept: "text/event-stream" },
        signal: hangUp.signal,
      });
      expect(sse.status).toBe(200);
      hangUp.abort();
    }
  });

  it("are accepted on the consent page's data URL as on the page", async () => {
    const { visitor } = await onboardedVisitor("resource-data");
    const client = await registerClient(visitor);
    const url = new URL(client.authorizePath(), SITE);
    url.searchParams.set("resource", `${SITE}/mcp`);
    // React Router's browser code fetches the page's loader and action data at /authorize.data.
    const data = await visitor.fetch(`/authorize.data${url.search}`);
    const text = await data.text();
    expect(data.status, text).toBe(200);
    expect(text).not.toContain("resource parameter");
  });

  it.each([
    // Media types are case-insensitive (RFC 9110 §8.3.1), and the provider takes any spelling.
    ["whatever the case of its media type", "/oauth/token", "Application/X-WWW-Form-Urlencoded"],
    // The token endpoint reads only the body; a resource in its URL changes nothing.
    ["when its URL names the resource too", `/oauth/token?resource=${SITE}/mcp`, "application/x-www-form-urlencoded"],
  ])("are accepted at the code exchange %s", async (_, tokenPath, contentType) => {
    const { visitor } = await onboardedVisitor("resource-exchange");
    const client = await registerClient(visitor);
    const url = new URL(client.authorizePath(), SITE);
    url.searchParams.set("resource", `${SITE}/mcp`);
    const sentTo = await consent(
      visitor,
      { ...client, authorizePath: () => `${url.pathname}${url.search}` },
      { allow: true },
    );
    const response = await visitor.fetch(tokenPath, {
      method: "POST",
      headers: { "Content-Type": contentType },
      body: new URLSearchParams({
        grant_type: "authorization_code",
        code: sentTo.searchParams.get("code") ?? "",
        redirect_uri: client.redirectUri,
        client_id: client.clientId,
        code_verifier: client.verifier,
        resource: `${SITE}/mcp`,
      }),
    });
    const body = (await response.json()) as Record<string, string>;
    expect(response.status, JSON.stringify(body)).toBe(200);
    await openSession(body.access_token ?? "");
  });

  it("are the only ones: another resource is refused on the consent page", async () => {
    const { visitor } = await onboardedVisitor("resource-other");
    const client = await registerClient(visitor);
    const url = new URL(client.authorizePath(), SITE);
    url.searchParams.set("resource", "https://elsewhere.example/mcp");
    const page = await visitor.fetch(`${url.pathname}${url.search}`);
    expect(page.status).toBe(400);
    expect(page.headers.get("Location")).toBeNull();
  });
});

describe("another host name of this deployment", () => {
  it("is refused before discovery, with the URL to use instead", async () => {
    const oauth = new SdkOAuthClient();
    const connecting = new Client({ name: "elsewhere", version: "1" }).connect(
      sdkTransport("Streamable HTTP", "http://127.0.0.1/mcp", oauth),
    );
    await expect(connecting).rejects.toThrow(`${SITE}/mcp`);
    expect(oauth.authorizationUrls).toEqual([]);
    for (const path of [
      "/.well-known/oauth-protected-resource/mcp",
      "/.well-known/oauth-authorization-server",
      "/authorize?client_id=x",
      // React Router's browser code fetches the consent page's data here (a client-side redirect).
      "/authorize.data?client_id=x",
      "/sse",
    ]) {
      const response = await exports.default.fetch(`http://127.0.0.1${path}`);
      expect(response.status).toBe(400);
      expect(await response.text()).toContain(`${SITE}${path.replace(/\?.*/, "")}`);
    }
  });

  it("is refused in a way a browser client (MCP Inspector) can read", async () => {
    const inspector = "http://localhost:6274";
    const preflight = await exports.default.fetch("http://127.0.0.1/mcp", {
      method: "OPTIONS",
      headers: {
        Origin: inspector,
        "Access-Control-Request-Method": "POST",
        "Access-Control-Request-Headers": "authorization, content-type, mcp-protocol-version",
      },
    });
    expect(preflight.ok).toBe(true);
    expect(["*", inspector]).toContain(preflight.headers.get("Access-Control-Allow-Origin"));
    const refused = await exports.default.fetch("http://127.0.0.1/mcp", {
      method: "POST",
      headers: { Origin: inspector, "Content-Type": "application/json" },
      body: JSON.stringify({ jsonrpc: "2.0", id: 1, method: "initialize" }),
    });
    expect(refused.status).toBe(400);
    expect(["*", inspector]).toContain(refused.headers.get("Access-Control-Allow-Origin"));
    expect(await refused.text()).toContain(`${SITE}/mcp`);
  });

  it("does not take a token issued here", async () => {
    const { visitor } = await onboardedVisitor("otherhost");
    const token = await accessToken(visitor, true);
    const response = await exports.default.fetch("http://127.0.0.1/mcp", {
      method: "POST",
      headers: { Authorization: `Bearer ${token}`, "Content-Type": "application/json" },
      body: JSON.stringify({ jsonrpc: "2.0", id: 1, method: "tools/list" }),
    });
    expect(response.status).toBe(400);
  });
});

describe("a browser-based client on another origin (MCP Inspector)", () => {
  const INSPECTOR = "http://localhost:6274";

  it("is let through the preflight and then served, and can read what it needs", async () => {
    const { visitor } = await onboardedVisitor("inspector");
    const token = await accessToken(visitor, true);
    const preflight = await exports.default.fetch(`${SITE}/mcp`, {
      method: "OPTIONS",
      headers: {
        Origin: INSPECTOR,
        "Access-Control-Request-Method": "POST",
        "Access-Control-Request-Headers": "authorization, content-type, mcp-protocol-version",
      },
    });
    expect(preflight.status).toBe(204);
    expect(preflight.headers.get("Access-Control-Allow-Origin")).toBe(INSPECTOR);

    const initialize = await exports.default.fetch(`${SITE}/mcp`, {
      method: "POST",
      headers: {
        Origin: INSPECTOR,
        Authorization: `Bearer ${token}`,
        "Content-Type": "application/json",
        Accept: "application/json, text/event-stream",
      },
      body: JSON.stringify({
        jsonrpc: "2.0",
        id: 1,
        method: "initialize",
        params: { protocolVersion: "2025-11-25", capabilities: {}, clientInfo: { name: "inspector", version: "1" } },
      }),
    });
    expect(initialize.status).toBe(200);
    expect(await initialize.text()).toContain("serverInfo");
    expect(["*", INSPECTOR]).toContain(initialize.headers.get("Access-Control-Allow-Origin"));
    expect(initialize.headers.get("Access-Control-Expose-Headers")?.toLowerCase()).toContain("mcp-session-id");

    const unauthorized = await exports.default.fetch(`${SITE}/mcp`, { method: "POST", headers: { Origin: INSPECTOR } });
    expect(unauthorized.status).toBe(401);
    expect(unauthorized.headers.get("Access-Control-Allow-Origin")).toBe(INSPECTOR);
    expect(unauthorized.headers.get("Access-Control-Expose-Headers")).toContain("WWW-Authenticate");
  });
});

describe("a client whose grant is read-only", () => {
  it("calling ctx_bash gets the scope challenge naming every scope it needs, and nothing runs", async () => {
    const { visitor, github } = await onboardedVisitor("stepup");
    const token = await accessToken(visitor, false);
    const sessionId = await openSession(token);
    const before = await githubControl().branchHead(`${github.login}/ctx`);
    const call = { name: "ctx_bash", arguments: { command: "echo stepped > up.md", comment: "Step up" } };

    const answer = await mcpPost(token, { jsonrpc: "2.0", id: 3, method: "tools/call", params: call }, { sessionId });
    expect(answer.status).toBe(403);
    const challenge = answer.headers.get("WWW-Authenticate") ?? "";
    expect(challenge).toMatch(/^Bearer /);
    expect(challenge).toContain('error="insufficient_scope"');
    expect(challenge).toContain('scope="ctx:read ctx:write"');
    expect(challenge).toContain(`resource_metadata="${SITE}/.well-known/oauth-protected-resource/mcp"`);
    expect(await githubControl().branchHead(`${github.login}/ctx`)).toBe(before);

    // The legacy SSE transport's messages get the same answer, pointing at /sse's document.
    const legacy = await exports.default.fetch(`${SITE}/sse/message?sessionId=any`, {
      method: "POST",
      headers: { Authorization: `Bearer ${token}`, "Content-Type": "application/json" },
      body: JSON.stringify({ jsonrpc: "2.0", id: 4, method: "tools/call", params: call }),
    });
    expect(legacy.status).toBe(403);
    expect(legacy.headers.get("WWW-Authenticate")).toContain(
      `resource_metadata="${SITE}/.well-known/oauth-protected-resource/sse"`,
    );

    // The official SDK client sees the 403 (not "tool not found"). Version 1.32.2 answers it by
    // refreshing its token, which cannot add a scope, and then gives up rather than asking the
    // person (modelcontextprotocol/typescript-sdk#2255; SEP-2350's step-up fixes it upstream).
    const { client } = await connectedClient(visitor, "Streamable HTTP", `${SITE}/mcp`, { write: false });
    await expect(client.callTool(call)).rejects.toThrow(/403/);
    expect(await githubControl().branchHead(`${github.login}/ctx`)).toBe(before);
    await client.close();
  });

  it("gets ctx_bash once the person allows writing", async () => {
    const { visitor, github } = await onboardedVisitor("stepped");
    const { client } = await connectedClient(visitor, "Streamable HTTP", `${SITE}/mcp`, { write: true });
    const written = await client.callTool({ name: "ctx_bash", arguments: { command: "echo stepped > up.md" } });
    expect(written.isError, JSON.stringify(written.content)).toBeFalsy();
    expect(await githubControl().readFile(`${github.login}/ctx`, "up.md")).toBe("stepped\n");
    await client.close();
  });
});
