import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { UnauthorizedError } from "@modelcontextprotocol/sdk/client/auth.js";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { SSEClientTransport } from "@modelcontextprotocol/sdk/client/sse.js";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import { beforeAll, describe, expect, it } from "vitest";
import { READ_TOOL_NAMES, WRITE_TOOL_NAMES } from "../tool-names";
import { journey } from "./browser";
import { connectGitHub, newGitHubUser, signIn } from "./journeys";
import { TestOAuthClient } from "./mcp-client";
import type { E2EStack } from "./stack";

// A stack of its own: each journey registers a client, and together with the other files' they would pass the product's
// limit of 10 registrations a minute from one address (wrangler.toml, CLIENT_REGISTRATIONS).
const e2e = journey({ ownStack: true });
let stack: E2EStack;
beforeAll(() => {
  stack = e2e.stack;
});

describe.each(["Streamable HTTP", "SSE"] as const)("an MCP client over %s", (kind) => {
  it("discovers, registers, gets consent, writes a commit, refreshes its token, and is revoked", async () => {
    // A browser of its own: the person signing in here is nobody else's session.
    const { page, violations } = await e2e.newPage();
    const login = await newGitHubUser(stack, ["ctx"]);
    // One journey signs in by the email's link, the other by its code.
    await signIn(page, stack, `${login}@example.com`, kind === "SSE" ? "code" : "link");
    await connectGitHub(page, stack, login, ["ctx"], "ctx");

    const oauth = new TestOAuthClient(`Test client (${kind})`);
    const url = new URL(kind === "SSE" ? "/sse" : "/mcp", stack.appUrl);
    const transport = () =>
      kind === "SSE"
        ? new SSEClientTransport(url, { authProvider: oauth })
        : new StreamableHTTPClientTransport(url, { authProvider: oauth });

    const unauthorized = transport();
    await expect(new Client({ name: "e2e", version: "1.0.0" }).connect(unauthorized)).rejects.toThrow(
      UnauthorizedError,
    );
    await unauthorized.finishAuth(await oauth.consentIn(page, { write: true }));

    const client = new Client({ name: "e2e", version: "1.0.0" });
    await client.connect(transport());
    const { tools } = await client.listTools();
    expect(tools.map((tool) => tool.name).sort()).toEqual(WRITE_TOOL_NAMES);

    const written = await client.callTool({
      name: "ctx_bash",
      arguments: {
        command: `mkdir -p notes && echo "written over ${kind}" > notes/e2e.md`,
        comment: "Add an e2e note",
      },
    });
    expect(written.isError, JSON.stringify(written.content)).toBeFalsy();
    expect(await stack.github.readFile(`${login}/ctx`, "notes/e2e.md")).toBe(`written over ${kind}\n`);
    const [commit] = await stack.github.commits(`${login}/ctx`);
    expect(commit?.message).toContain("Add an e2e note");
    expect(commit?.author.name).toBe("ctx4-ai[bot]");

    const firstRefreshToken = oauth.tokens()?.refresh_token;
    oauth.loseAccessToken();
    const read = await client.callTool({ name: "ctx_instructions", arguments: {} });
    expect(read.isError, JSON.stringify(read.content)).toBeFalsy();
    expect(oauth.tokens()?.access_token).not.toBe("expired-access-token");
    expect(oauth.tokens()?.refresh_token).not.toBe(firstRefreshToken);

    await page.goto(`${stack.appUrl}/me`);
    await page.getByRole("button", { name: `Revoke Test client (${kind})` }).click();
    await page.getByText("None yet").waitFor();
    await expect(client.callTool({ name: "ctx_instructions", arguments: {} })).rejects.toThrow();
    const raw = await fetch(new URL("/mcp", stack.appUrl), {
      method: "POST",
      headers: { Authorization: `Bearer ${oauth.tokens()?.access_token}`, "Content-Type": "application/json" },
      body: JSON.stringify({ jsonrpc: "2.0", id: 1, method: "tools/list" }),
    });
    expect(raw.status).toBe(401);
    expect(violations).toEqual([]);
    await client.close();
  });
});

describe("an MCP client whose person is not signed in in the browser it opens", () => {
  it("gets consent after the person signs in there with the emailed code", async () => {
    const login = await newGitHubUser(stack, ["ctx"]);
    const { page: setup } = await e2e.newPage();
    await signIn(setup, stack, `${login}@example.com`, "link");
    await connectGitHub(setup, stack, login, ["ctx"], "ctx");

    const oauth = new TestOAuthClient("Signed-out client");
    const url = new URL("/mcp", stack.appUrl);
    const unauthorized = new StreamableHTTPClientTransport(url, { authProvider: oauth });
    await expect(new Client({ name: "e2e", version: "1.0.0" }).connect(unauthorized)).rejects.toThrow(
      UnauthorizedError,
    );
    // The client named its endpoint URL as the resource (MCP's canonical server URI).
    expect(new URL(oauth.authorizationUrl()).searchParams.get("resource")).toBe(url.href);

    // Another browser: consent sends the person to sign in, and the code form's redirect back is
    // a client-side navigation (React Router fetches the consent page's data, not the page).
    const { page } = await e2e.newPage();
    await signIn(page, stack, `${login}@example.com`, "code", oauth.authorizationUrl());
    await page.getByRole("button", { name: "Allow" }).waitFor({ timeout: 15_000 });
    const code = await oauth.consentIn(page, { write: false });
    await unauthorized.finishAuth(code);
    const client = new Client({ name: "e2e", version: "1.0.0" });
    await client.connect(new StreamableHTTPClientTransport(url, { authProvider: oauth }));
    expect((await client.listTools()).tools.map((tool) => tool.name).sort()).toEqual(READ_TOOL_NAMES);
    await client.close();
  });
});

describe("an MCP client pointed at another host name of the server", () => {
  it("is refused before discovery and consent, with the URL to use instead", async () => {
    const other = new URL("/mcp", stack.appUrl);
    other.hostname = other.hostname === "localhost" ? "127.0.0.1" : "localhost";
    const oauth = new TestOAuthClient("Other host client");
    const connecting = new Client({ name: "e2e", version: "1.0.0" }).connect(
      new StreamableHTTPClientTransport(other, { authProvider: oauth }),
    );
    await expect(connecting).rejects.toThrow(`${stack.appUrl}/mcp`);
    const { page } = await e2e.newPage();
    await expect(oauth.consentIn(page, { write: false })).rejects.toThrow("the client never asked for authorization");
    await page.close();
  });
});

describe("an MCP client configured with a trailing slash", () => {
  it("gets through discovery, registration and consent, and is served, also from a web page's origin", async () => {
    const { page } = await e2e.newPage();
    const login = await newGitHubUser(stack, ["ctx"]);
    await signIn(page, stack, `${login}@example.com`, "link");
    await connectGitHub(page, stack, login, ["ctx"], "ctx");
    const oauth = new TestOAuthClient("Trailing slash client");
    const url = new URL("/mcp/", stack.appUrl);
    await expect(
      new Client({ name: "e2e", version: "1.0.0" }).connect(
        new StreamableHTTPClientTransport(url, { authProvider: oauth }),
      ),
    ).rejects.toThrow(UnauthorizedError);
    const first = new StreamableHTTPClientTransport(url, { authProvider: oauth });
    await first.finishAuth(await oauth.consentIn(page, { write: false }));
    const client = new Client({ name: "e2e", version: "1.0.0" });
    await client.connect(new StreamableHTTPClientTransport(url, { authProvider: oauth }));
    expect((await client.listTools()).tools.map((tool) => tool.name).sort()).toEqual(READ_TOOL_NAMES);

    // The same token from a web page on another origin, served from this computer as MCP
    // Inspector's web UI is: the browser's own CORS preflight and checks decide.
    const site = createServer((_request, response) => {
      response.writeHead(200, { "Content-Type": "text/html" }).end("<!doctype html><title>Inspector</title>");
    });
    await new Promise<void>((listening) => site.listen(0, "127.0.0.1", listening));
    const { page: inspector } = await e2e.newPage();
    const consoleLines: string[] = [];
    inspector.on("console", (message) => consoleLines.push(message.text()));
    await inspector.goto(`http://localhost:${(site.address() as AddressInfo).port}/`);
    const answer = await inspector
      .evaluate(
        async ({ endpoint, token }) => {
          const response = await fetch(endpoint, {
            method: "POST",
            headers: {
              Authorization: `Bearer ${token}`,
              "Content-Type": "application/json",
              Accept: "application/json, text/event-stream",
            },
            body: JSON.stringify({
              jsonrpc: "2.0",
              id: 1,
              method: "initialize",
              params: {
                protocolVersion: "2025-11-25",
                capabilities: {},
                clientInfo: { name: "inspector", version: "1" },
              },
            }),
          });
          return {
            status: response.status,
            session: response.headers.get("mcp-session-id"),
            body: await response.text(),
          };
        },
        { endpoint: new URL("/mcp", stack.appUrl).href, token: oauth.tokens()?.access_token ?? "" },
      )
      .catch((error: unknown) => ({ status: 0, session: null, body: String(error) }));
    expect(answer.status, consoleLines.join("\n")).toBe(200);
    expect(answer.session).toBeTruthy();
    expect(answer.body).toContain("serverInfo");
    await inspector.close();
    site.close();
    await client.close();
  });
});
