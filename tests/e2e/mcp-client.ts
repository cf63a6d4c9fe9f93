import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import type { Page } from "playwright-core";
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

  /** Opens the authorization page in a signed-in browser, answers it, and returns the code. */
  async consentIn(page: Page, answer: { write: boolean }): Promise<string> {
    if (!this.#authorizationUrl) throw new Error("the client never asked for authorization");
    await page.goto(this.#authorizationUrl.toString());
    const write = page.getByLabel(/Run commands in your ctx repository/);
    if ((await write.count()) > 0) await write.setChecked(answer.write);
    await page.getByRole("button", { name: "Allow" }).click();
    await page.waitForURL(`${REDIRECT_URL}**`);
    await page.getByText("You can close this window.").waitFor();
    const code = new URL(page.url()).searchParams.get("code");
    if (!code) throw new Error(`no code in ${page.url()}`);
    return code;
  }
}
