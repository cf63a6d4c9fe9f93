import type { OAuthClientProvider } from "@modelcontextprotocol/sdk/client/auth.js";
import type {
  OAuthClientInformationMixed,
  OAuthClientMetadata,
  OAuthTokens,
} from "@modelcontextprotocol/sdk/shared/auth.js";

/**
 * What every test MCP client's OAuth side (the official SDK's `OAuthClientProvider`) shares: a
 * public client (no secret, PKCE) named `name` that is sent back to the loopback `redirectUrl`,
 * with its registration, tokens and code verifier kept in memory. Subclasses say how the person
 * is sent to the authorization page.
 */
export abstract class InMemoryOAuthClient implements OAuthClientProvider {
  protected registration: OAuthClientInformationMixed | undefined;
  protected verifier = "";
  #tokens: OAuthTokens | undefined;

  constructor(
    readonly name: string,
    readonly redirectUrl: string,
  ) {}

  get clientMetadata(): OAuthClientMetadata {
    return {
      client_name: this.name,
      redirect_uris: [this.redirectUrl],
      grant_types: ["authorization_code", "refresh_token"],
      response_types: ["code"],
      token_endpoint_auth_method: "none",
    };
  }
  clientInformation() {
    return this.registration;
  }
  saveClientInformation(client: OAuthClientInformationMixed) {
    this.registration = client;
  }
  tokens() {
    return this.#tokens;
  }
  saveTokens(tokens: OAuthTokens) {
    this.#tokens = tokens;
  }
  saveCodeVerifier(verifier: string): void | Promise<void> {
    this.verifier = verifier;
  }
  codeVerifier() {
    return this.verifier;
  }
  abstract redirectToAuthorization(url: URL): void;
}
