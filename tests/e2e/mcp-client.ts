import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { UnauthorizedError } from "@modelcontextprotocol/sdk/client/auth.js";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import type { Page } from "playwright-core";
import { expect } from "vitest";
import { InMemoryOAuthClient } from "../in-memory-oauth-client";

/**
 * Where the clients ask to be sent back: a listener of this test process on a free loopback
 * port, as a desktop client listens for its own redirect (RFC 8252 §7.3). It only says the
 * window can be closed; the code is read from the browser's URL. A real port, not a made-up
 * one: Chromium refuses ports such as 9 (ERR_UNSAFE_PORT) and reports it as a console error.
 * Unreferenced, so it never keeps a test process alive.
 */
const callbackServer = createServer((_request, response) => {
  response.writeHead(200, { "Content-Type": "text/plain; charset=utf-8" }).end("You can close this window.");
});
await new Promise<void>((resolve, reject) => {
  callbackServer.once("error", reject);
  callbackServer.listen(0, "127.0.0.1", resolve);
});
callbackServer.unref();
const REDIRECT_URL = `http://127.0.0.1:${(callbackServer.address() as AddressInfo).port}/oauth/callback`;

/**
 * The OAuth side of an MCP client such as Claude Code: dynamic registration, PKCE, tokens in
 * memory, and the authorization page opened in the person's browser (`consentIn`).
 */
export class TestOAuthClient extends InMemoryOAuthClient {
  #authorizationUrl: URL | undefined;

  constructor(name: string) {
    super(name, REDIRECT_URL);
  }

  /** Stands for an access token that has run out (they live an hour): the next call must refresh. */
  loseAccessToken() {
    const tokens = this.tokens();
    if (tokens) this.saveTokens({ ...tokens, access_token: "expired-access-token" });
  }
  redirectToAuthorization(url: URL) {
    this.#authorizationUrl = url;
  }

  /** The authorization page the client sent the person to, as their browser opens it. */
  authorizationUrl(): string {
    if (!this.#authorizationUrl) throw new Error("the client never asked for authorization");
    return this.#authorizationUrl.toString();
  }

  /**
   * Opens the authorization page in a signed-in browser, answers it (`review`: the person
   * reviews this client's writes), and returns the code.
   */
  async consentIn(page: Page, answer: { write: boolean; review?: boolean }): Promise<string> {
    if (!this.#authorizationUrl) throw new Error("the client never asked for authorization");
    await page.goto(this.#authorizationUrl.toString());
    const write = page.getByLabel(/Run commands in your ctx repository/);
    if ((await write.count()) > 0) await write.setChecked(answer.write);
    if (answer.review) await page.getByLabel(/Review its changes first/).setChecked(true);
    await page.getByRole("button", { name: "Allow" }).click();
    await page.waitForURL(`${REDIRECT_URL}**`);
    await page.getByText("You can close this window.").waitFor();
    const code = new URL(page.url()).searchParams.get("code");
    if (!code) throw new Error(`no code in ${page.url()}`);
    return code;
  }
}

/**
 * An MCP client named `name` (the SDK's, over Streamable HTTP) that the person allows, with
 * write access (reviewed when `review`), in `page`, their signed-in browser; connected to the
 * app at `appUrl`.
 */
export async function connectClient(page: Page, appUrl: string, name: string, review = false): Promise<Client> {
  const oauth = new TestOAuthClient(name);
  const url = new URL("/mcp", appUrl);
  const first = new StreamableHTTPClientTransport(url, { authProvider: oauth });
  await expect(new Client({ name: "e2e", version: "1.0.0" }).connect(first)).rejects.toThrow(UnauthorizedError);
  await first.finishAuth(await oauth.consentIn(page, { write: true, review }));
  const client = new Client({ name: "e2e", version: "1.0.0" });
  await client.connect(new StreamableHTTPClientTransport(url, { authProvider: oauth }));
  return client;
}

/** The text parts of a tool result, joined by newlines. */
export const textOf = (result: Awaited<ReturnType<Client["callTool"]>>) =>
  (result.content as { type: string; text?: string }[]).map((part) => part.text ?? "").join("\n");
