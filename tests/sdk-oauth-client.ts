import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import type { SSEClientTransport } from "@modelcontextprotocol/sdk/client/sse.js";
import type { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import type { OAuthClientInformationMixed } from "@modelcontextprotocol/sdk/shared/auth.js";
import type { HttpVisitor } from "./http-visitor";
import { InMemoryOAuthClient } from "./in-memory-oauth-client";

export const REDIRECT_URL = "http://127.0.0.1:9999/callback";

/**
 * The OAuth side of an MCP client (the official SDK's `OAuthClientProvider`): dynamic
 * registration, PKCE, tokens in memory. The authorization page it would open is answered by
 * `visitor`, a signed-in browser stand-in, with `consent`.
 */
export class SdkOAuthClient extends InMemoryOAuthClient {
  /** Verifiers by their S256 challenge: the one for the URL consented to is the one exchanged. */
  readonly #verifiers = new Map<string, string>();
  /** Every authorization URL the client asked the person to open, in order. */
  readonly authorizationUrls: URL[] = [];
  /** The HTML of every consent page the person answered, in order. */
  readonly consentPages: string[] = [];

  /**
   * @param clientMetadataUrl where this client publishes its Client ID Metadata Document; when
   *   the server supports those, the SDK uses it as the client id instead of registering
   */
  constructor(
    name = "SDK test client",
    readonly clientMetadataUrl?: string,
  ) {
    super(name, REDIRECT_URL);
  }

  /** Keeps the first registration, as a client that stored it would; later ones are strays. */
  override saveClientInformation(client: OAuthClientInformationMixed) {
    if (!this.registration || this.registration.client_id === client.client_id) this.registration = client;
  }
  redirectToAuthorization(url: URL) {
    this.authorizationUrls.push(url);
  }
  override async saveCodeVerifier(verifier: string) {
    const digest = await crypto.subtle.digest("SHA-256", new TextEncoder().encode(verifier));
    const challenge = btoa(String.fromCharCode(...new Uint8Array(digest)))
      .replaceAll("+", "-")
      .replaceAll("/", "_")
      .replaceAll("=", "");
    this.#verifiers.set(challenge, verifier);
  }

  /**
   * Opens the last authorization URL for the client it kept (the legacy SSE transport may start
   * authorization twice at once) as `visitor`, allows it, and returns the code.
   */
  async consent(visitor: HttpVisitor, answer: { write: boolean }): Promise<string> {
    const url = this.authorizationUrls.findLast(
      (candidate) => candidate.searchParams.get("client_id") === this.registration?.client_id,
    );
    if (!url) throw new Error("the client never asked for authorization");
    this.verifier = this.#verifiers.get(url.searchParams.get("code_challenge") ?? "") ?? "";
    const path = `${url.pathname}${url.search}`;
    const page = await visitor.fetch(path);
    const html = await page.text();
    this.consentPages.push(html);
    const handle = html.match(/name="handle" value="([^"]+)"/)?.[1];
    if (!handle) throw new Error(`no consent form (${page.status}): ${html.slice(0, 500)}`);
    const fields: Record<string, string> = { handle, decision: "approve" };
    if (answer.write) fields.write = "on";
    const sentTo = new URL(visitor.location(await visitor.post(path, fields)) ?? "", "http://invalid");
    const code = sentTo.searchParams.get("code");
    if (!code) throw new Error(`no code in ${sentTo}`);
    return code;
  }
}

/**
 * Connects an SDK client as a person's AI client does: the first connect over a `transport()`
 * is refused (401), the client discovers and registers, the person (`visitor`) consents, and
 * the second connect, over a new `transport()` authorized by `oauth`, works.
 */
export async function connectWithConsent(
  visitor: HttpVisitor,
  transport: () => StreamableHTTPClientTransport | SSEClientTransport,
  answer: { write: boolean },
  oauth: SdkOAuthClient,
) {
  const first = transport();
  const refused = new Client({ name: "workerd-test", version: "1.0.0" });
  await refused.connect(first).catch(() => undefined);
  // The legacy SSE client keeps reconnecting (and registering again) until it is closed.
  await refused.close();
  await first.finishAuth(await oauth.consent(visitor, answer));
  const client = new Client({ name: "workerd-test", version: "1.0.0" });
  await client.connect(transport());
  return { client, oauth };
}
