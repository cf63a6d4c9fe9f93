/**
 * The one protected resource, by every name a client may call it.
 *
 * The OAuth provider binds each token to one resource, and one token must serve both `/mcp`
 * and `/sse`, so the provider's resource (the token audience) is the app's origin. Clients name
 * it differently: MCP 2025-11-25 ("Authorization", Canonical Server URI) tells them to send the
 * endpoint URL (`<origin>/mcp`) as `resource` (RFC 8707), and RFC 9728 §3.3 tells them to reject
 * a metadata document whose `resource` is not the URL it was found for. So:
 *
 * - every endpoint URL, with or without a trailing slash, has its own metadata document naming
 *   exactly that URL, and a 401 or 403 from an endpoint points at that document;
 * - `/authorize` and `/oauth/token` accept any of those names (and the bare origin) as
 *   `resource`, and the provider sees the origin: the same server, the same data, one audience.
 *
 * Only the app's own host serves any of this. Another host name of the same deployment (a custom
 * domain beside workers.dev, `127.0.0.1` beside `localhost`) is refused on every OAuth and MCP
 * path with 400 naming the right URL, before discovery, so no one consents on a host whose
 * tokens would then be refused.
 */

/** The MCP endpoints. `/sse/message` belongs to `/sse`. */
const ENDPOINTS = ["/mcp", "/sse"] as const;

/** RFC 9728 §3.1: a resource's metadata lives at this prefix followed by the resource's path. */
export const RESOURCE_METADATA_PREFIX = "/.well-known/oauth-protected-resource";

/**
 * Paths that belong to OAuth or MCP, and so are served only on the app's own host. `.data` is
 * where React Router's browser code fetches a page's data (`/authorize.data`): it runs the same
 * loader and action as the page, and so must be refused where the page is.
 */
const OAUTH_AND_MCP_PATHS = /^\/(?:mcp|sse|authorize|oauth|\.well-known)(?:\/|\.data$|$)/;

/**
 * The consent page's paths, whose query carries the authorization request: `/authorize`, and
 * `/authorize.data`, React Router's data URL for the same page (its browser code fetches the
 * loader's and action's data there), which runs the same loader and action.
 */
export function isAuthorizationPath(pathname: string): boolean {
  return pathname === "/authorize" || pathname === "/authorize.data";
}

/**
 * The endpoint path a request URL was made to, as the client spelled it (`/mcp`, `/mcp/`, `/sse`,
 * `/sse/`; `/sse/message` counts as `/sse`), or undefined for any other path.
 */
export function endpointPath(pathname: string): string | undefined {
  for (const endpoint of ENDPOINTS) {
    if (pathname === endpoint || pathname === `${endpoint}/`) return pathname;
    if (pathname.startsWith(`${endpoint}/`)) return endpoint;
  }
  return undefined;
}

/** The endpoint the router serves for a path the client spelled with a trailing slash. */
export function withoutTrailingSlash(pathname: string): string {
  return pathname.length > 1 && pathname.endsWith("/") ? pathname.slice(0, -1) : pathname;
}

/** Every spelling of the resource a client may send: the origin and each endpoint URL. */
function resourceNames(origin: string): Set<string> {
  const paths = ["/", ...ENDPOINTS.flatMap((endpoint) => [endpoint, `${endpoint}/`])];
  return new Set(paths.map((path) => new URL(path, origin).href));
}

/**
 * `value` as the provider's resource (the origin) when it names this server, else unchanged, so
 * that the provider answers anything else with `invalid_target` (RFC 8707 §2). Scheme and host
 * compare case-insensitively (RFC 3986 §6.2.2.1); path, port, query and fragment exactly.
 */
export function canonicalResource(value: string, origin: string): string {
  if (!URL.canParse(value)) return value;
  return resourceNames(origin).has(new URL(value).href) ? origin : value;
}

/**
 * The request with its single `resource` parameter turned into the provider's resource by
 * {@link canonicalResource}: in the query of `/authorize` (the only place the provider reads it
 * there), or in the form body of `/oauth/token` (likewise; a query there is not read, so it
 * cannot stand in for the body's). Anything else (no `resource`, several, another body type)
 * goes to the provider unchanged, to be judged there.
 */
export async function withCanonicalResource(
  request: Request,
  origin: string,
  carriedIn: "query" | "body",
): Promise<Request> {
  if (carriedIn === "query") {
    const url = new URL(request.url);
    const query = url.searchParams.getAll("resource");
    if (query.length !== 1 || query[0] === undefined) return request;
    url.searchParams.set("resource", canonicalResource(query[0], origin));
    return new Request(url, request);
  }
  if (request.method !== "POST" || !isFormEncoded(request)) return request;
  const form = new URLSearchParams(new TextDecoder().decode(await request.clone().arrayBuffer()));
  const named = form.getAll("resource");
  if (named.length !== 1 || named[0] === undefined) return request;
  form.set("resource", canonicalResource(named[0], origin));
  return new Request(request, { body: form });
}

/**
 * Whether a request's body is form-encoded, judged as the provider judges it: the media type
 * alone, case-insensitive (RFC 9110 §8.3.1). A narrower test would let a spelling the provider
 * takes go around the gate.
 */
export function isFormEncoded(request: Request): boolean {
  const type = request.headers.get("Content-Type") ?? "";
  return type.split(";")[0]?.trim().toLowerCase() === "application/x-www-form-urlencoded";
}

/**
 * For `/.well-known/oauth-protected-resource<endpoint>`: the endpoint URL that document is for
 * (RFC 9728 §3.1), or undefined for the origin's own document or any other path.
 */
export function metadataResource(url: URL): string | undefined {
  if (!url.pathname.startsWith(`${RESOURCE_METADATA_PREFIX}/`)) return undefined;
  const path = url.pathname.slice(RESOURCE_METADATA_PREFIX.length);
  return endpointPath(path) === path ? new URL(path, url.origin).href : undefined;
}

/**
 * The provider's metadata document for the origin, renamed for the endpoint `resource` it was
 * asked for. Everything else in it (authorization servers, scopes) is the same resource's.
 */
export async function renameMetadata(response: Response, resource: string): Promise<Response> {
  // A HEAD request's answer has no document to rename.
  if (!response.ok || !response.body) return response;
  const document = (await response.json()) as Record<string, unknown>;
  const headers = new Headers(response.headers);
  headers.delete("Content-Length");
  return Response.json({ ...document, resource }, { headers });
}

/**
 * A 401 or 403 from an endpoint, its challenge's `resource_metadata` (RFC 9728 §5.1) pointed at
 * the document for the endpoint URL the client used, whose `resource` is that URL (§3.3).
 */
export function challengeForEndpoint(response: Response, url: URL): Response {
  const challenge = response.headers.get("WWW-Authenticate");
  const endpoint = endpointPath(url.pathname);
  if (!challenge || !endpoint) return response;
  const origin = `${url.origin}${RESOURCE_METADATA_PREFIX}`;
  const pointed = challenge.replace(`resource_metadata="${origin}"`, `resource_metadata="${origin}${endpoint}"`);
  const answer = new Response(response.body, response);
  answer.headers.set("WWW-Authenticate", pointed);
  return answer;
}

/**
 * 400 `invalid_request` for an OAuth or MCP path on a host other than the app's, naming the URL
 * to use instead; undefined when the request may go on. Not 421 Misdirected Request (RFC 9110
 * §15.5.20), the precise status: Node's fetch (undici) then failed the SDK client's POST with
 * "fetch failed" (RequestContentLengthMismatchError) in 2 of 3 end-to-end runs, so the client
 * never saw the message; with 400, 0 of 3. Its tokens would be
 * refused here (their audience is the app's origin), so refusing before discovery keeps a client
 * from reaching consent, or a 401 after it.
 */
export function refuseOtherHost(request: Request, appOrigin: string): Response | undefined {
  const url = new URL(request.url);
  if (url.origin === new URL(appOrigin).origin || !OAUTH_AND_MCP_PATHS.test(url.pathname)) return undefined;
  // A browser client (MCP Inspector) reads the refusal only if its preflight passes and the
  // answer allows its origin; without that it sees a bare network error. Nothing here is private.
  const cors = { "Access-Control-Allow-Origin": "*" };
  if (request.method === "OPTIONS") {
    return new Response(null, {
      status: 204,
      headers: {
        ...cors,
        "Access-Control-Allow-Methods": "GET, POST, DELETE, OPTIONS",
        "Access-Control-Allow-Headers": request.headers.get("Access-Control-Request-Headers") ?? "*",
        "Access-Control-Max-Age": "600",
      },
    });
  }
  const right = new URL(`${url.pathname}${url.search}`, appOrigin).href;
  return Response.json(
    {
      error: "invalid_request",
      error_description: `This server's MCP and OAuth address is ${appOrigin}. Connect your AI client to ${right} instead.`,
    },
    { status: 400, headers: cors },
  );
}
