import { exports } from "cloudflare:workers";
import { SSEClientTransport } from "@modelcontextprotocol/sdk/client/sse.js";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import { connectWithConsent, SdkOAuthClient } from "../sdk-oauth-client";
import type { Visitor } from "./visitor";

export { REDIRECT_URL, SdkOAuthClient } from "../sdk-oauth-client";

/** The Worker's real `fetch`, as the network an SDK client talks to. */
export const workerFetch = (url: string | URL, init?: RequestInit) => exports.default.fetch(url, init);

export type Kind = "Streamable HTTP" | "SSE";

/** A transport of `kind` to `url` through the Worker's fetch, authorized by `oauth`. */
export function sdkTransport(kind: Kind, url: string, oauth: SdkOAuthClient) {
  return kind === "SSE"
    ? new SSEClientTransport(new URL(url), { authProvider: oauth, fetch: workerFetch })
    : new StreamableHTTPClientTransport(new URL(url), { authProvider: oauth, fetch: workerFetch });
}

/**
 * Connects an SDK client of `kind` to `url` through the Worker's fetch, as a person's AI
 * client does (see connectWithConsent).
 */
export function connectedClient(
  visitor: Visitor,
  kind: Kind,
  url: string,
  answer: { write: boolean },
  oauth = new SdkOAuthClient(),
) {
  return connectWithConsent(visitor, () => sdkTransport(kind, url, oauth), answer, oauth);
}
