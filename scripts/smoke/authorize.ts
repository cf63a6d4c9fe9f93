/**
 * `npm run smoke -- <origin> --authorize`: the first refresh token of a test account, got as a
 * desktop MCP client gets one, with the official SDK's OAuth client (`auth()`): discovery from
 * `/mcp`'s 401, registration, PKCE, a person's consent in their browser, sent back to a loopback
 * listener of this process (RFC 8252 §7.3), and the code exchanged. Prints the client id and the
 * refresh token that the next full run is given.
 */
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { auth, type OAuthClientProvider } from "@modelcontextprotocol/sdk/client/auth.js";
import type {
  OAuthClientInformationMixed,
  OAuthClientMetadata,
  OAuthTokens,
} from "@modelcontextprotocol/sdk/shared/auth.js";
import { z } from "zod";

/** How long the person has to answer the consent page: the life of an authorization code, 10 minutes. */
const CONSENT_TIMEOUT_MS = 10 * 60 * 1000;

const Callback = z.union([
  z.object({ code: z.string().min(1), state: z.string() }),
  z.object({ error: z.string(), error_description: z.string().optional(), state: z.string().optional() }),
]);

/**
 * Runs the authorization code flow against `origin` and prints, one a line, the consent URL, the
 * client id and the refresh token.
 * @returns whether a refresh token was obtained
 */
export async function authorizeTestAccount(origin: string, print: (line: string) => void): Promise<boolean> {
  const state = crypto.randomUUID();
  let settle: (query: URLSearchParams) => void = () => {};
  const answered = new Promise<URLSearchParams>((resolve) => {
    settle = resolve;
  });
  const listener = createServer((request, response) => {
    const url = new URL(request.url ?? "/", "http://127.0.0.1");
    if (url.pathname !== "/callback") {
      response.writeHead(404).end();
      return;
    }
    response.writeHead(200, { "Content-Type": "text/plain; charset=utf-8" }).end("You can close this window.");
    settle(url.searchParams);
  });
  await new Promise<void>((listening) => listener.listen(0, "127.0.0.1", listening));
  const redirectUrl = `http://127.0.0.1:${(listener.address() as AddressInfo).port}/callback`;
  const provider = new SmokeAccountClient(redirectUrl, state, (url) =>
    print(
      `Open this URL in a browser, signed in as the test account, and allow it (tick write access for --write):\n${url}`,
    ),
  );
  const serverUrl = new URL("/mcp", origin);
  try {
    if ((await auth(provider, { serverUrl })) !== "REDIRECT") throw new Error("the server asked for no consent");
    const timeout = setTimeout(
      () => settle(new URLSearchParams({ error: "timeout", error_description: "no answer in 10 minutes", state })),
      CONSENT_TIMEOUT_MS,
    );
    const callback = Callback.safeParse(Object.fromEntries(await answered));
    clearTimeout(timeout);
    if (!callback.success || callback.data.state !== state) throw new Error("the browser came back without our state");
    if ("error" in callback.data) {
      throw new Error(
        `no consent (${[callback.data.error, callback.data.error_description].filter(Boolean).join(": ")})`,
      );
    }
    await auth(provider, { serverUrl, authorizationCode: callback.data.code });
    const tokens = provider.tokens();
    const client = provider.clientInformation();
    if (!tokens?.refresh_token || !client) throw new Error("the token endpoint gave no refresh token");
    print(`client id: ${client.client_id}`);
    print(`scopes: ${tokens.scope ?? ""}`);
    print(`next refresh token (the one given is now used): ${tokens.refresh_token}`);
    return true;
  } catch (error) {
    print(`FAIL  authorize: ${error instanceof Error ? error.message : String(error)}`);
    return false;
  } finally {
    listener.close();
  }
}

/** The SDK's OAuth client side for one authorization: a public client, everything in memory. */
class SmokeAccountClient implements OAuthClientProvider {
  #client: OAuthClientInformationMixed | undefined;
  #tokens: OAuthTokens | undefined;
  #verifier = "";

  constructor(
    readonly redirectUrl: string,
    readonly authorizationState: string,
    readonly redirectToAuthorization: (url: URL) => void,
  ) {}

  get clientMetadata(): OAuthClientMetadata {
    return {
      client_name: "ctx4-ai smoke test account",
      redirect_uris: [this.redirectUrl],
      grant_types: ["authorization_code", "refresh_token"],
      response_types: ["code"],
      token_endpoint_auth_method: "none",
    };
  }
  state() {
    return this.authorizationState;
  }
  clientInformation() {
    return this.#client;
  }
  saveClientInformation(client: OAuthClientInformationMixed) {
    this.#client = client;
  }
  tokens() {
    return this.#tokens;
  }
  saveTokens(tokens: OAuthTokens) {
    this.#tokens = tokens;
  }
  saveCodeVerifier(verifier: string) {
    this.#verifier = verifier;
  }
  codeVerifier() {
    return this.#verifier;
  }
}
