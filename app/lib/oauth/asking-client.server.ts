import type { OAuthHelpers } from "@cloudflare/workers-oauth-provider";
import { cleanClientName } from "./client-name";

/** The app behind an authorization request, as the login page names it. */
export type AskingClient = {
  /** Cleaned for display ({@link cleanClientName}); the client id when no name is left. */
  name: string;
  /** For a Client ID Metadata Document client, the domain it controls; null for a self-registered one. */
  domain: string | null;
};

/**
 * The app that asked for access, when the person is signing in on their way back to
 * `/authorize` (`returnTo`, a path already checked by `safeReturnPath`): the same name and domain
 * the consent page shows, from the provider's `describeConsent`. Null for any other return path,
 * and for a request the provider refuses or a client it cannot look up: the login page then
 * names no app, and the consent page explains the request after sign-in.
 */
export async function askingClient(
  oauth: OAuthHelpers,
  returnTo: string,
  origin: string,
): Promise<AskingClient | null> {
  const authorizeUrl = new URL(returnTo, origin);
  if (authorizeUrl.pathname !== "/authorize") return null;
  try {
    const authRequest = await oauth.parseAuthRequest(new Request(authorizeUrl));
    const details = await oauth.describeConsent(authRequest);
    return { name: cleanClientName(details.clientName) || details.clientId, domain: details.clientDomain ?? null };
  } catch {
    return null;
  }
}
