import {
  getOAuthApi,
  insufficientScope,
  OAuthProvider,
  type OAuthProviderOptions,
  type OAuthResourceContext,
} from "@cloudflare/workers-oauth-provider";
import { createRequestHandler, RouterContextProvider } from "react-router";
import { connectDatabase } from "../app/lib/db/client.server";
import { currentRequest, inRequest, requestIdOf, userHash, writeLog } from "../app/lib/log.server";
import { ALL_SCOPES, type GrantProps } from "../app/lib/oauth/scopes";
import { withSecurityHeaders } from "../app/lib/security-headers.server";
import { userWorkspace } from "../app/lib/user-workspace.server";
import { type WorkerContext, workerContext } from "../app/lib/worker-context";
import { screenClientRegistration } from "./client-registration";
import { callsWriteTool } from "./mcp/scope-challenge";
import {
  challengeForEndpoint,
  isAuthorizationPath,
  metadataResource,
  RESOURCE_METADATA_PREFIX,
  refuseOtherHost,
  renameMetadata,
  withCanonicalResource,
  withoutTrailingSlash,
} from "./oauth-resource";
import { refreshOnce } from "./refresh-gate";
import { boundTokenRequest } from "./token-request";

// The Sandbox SDK's proxy that hands a container's outbound requests to the Worker (its README).
export { ContainerProxy } from "@cloudflare/sandbox";
export { RefreshGate } from "./refresh-gate";
export { UserSandbox as Sandbox } from "./sandbox/cloudflare";
export { UserWorkspace } from "./user-workspace";

/**
 * Every request, in order:
 * 1. OAuth and MCP paths on a host other than APP_ORIGIN get 400 naming the right URL.
 * 2. The OAuth provider answers its own routes: metadata, `/oauth/register` (after our limits,
 *    `./client-registration.ts`), `/oauth/token` (refreshes one at a time per token,
 *    `./refresh-gate.ts`). The resource is the whole origin so that one token serves both
 *    `/mcp` and `/sse`; each endpoint URL is accepted as its name too (`./oauth-resource.ts`).
 * 3. `/mcp` and `/sse` (trailing slash or not) need a valid access token; with one, the request
 *    goes to the object of the user named in the token's grant (never anything in the request)
 *    and is served there. A write tool called with a read-only grant gets the scope challenge.
 * 4. Everything else, `/authorize` (our consent page) included, is the React Router app.
 *
 * Every answer leaves with the security headers (`withSecurityHeaders`); pages bring their own
 * Content-Security-Policy from `app/entry.server.tsx`.
 */
const handleWebRequest = createRequestHandler(() => import("virtual:react-router/server-build"), import.meta.env.MODE);

const webApp = {
  async fetch(request: Request, env: Env, ctx: ExecutionContext) {
    const database = connectDatabase(env.HYPERDRIVE.connectionString);
    try {
      const context = new RouterContextProvider();
      // The provider adds its helpers to the env of every request it passes here.
      context.set(workerContext, { env: env as WorkerContext["env"], ctx, db: database.db });
      return await handleWebRequest(request, context);
    } finally {
      ctx.waitUntil(database.close());
    }
  },
};

const mcpApi = {
  async fetch(request: Request, env: Env, executionContext: ExecutionContext) {
    // The provider validated the token and hands us what it proved.
    const ctx = executionContext as OAuthResourceContext<GrantProps>;
    // Every Origin is served, browser clients such as MCP Inspector's included, as the
    // provider's CORS answers say. MCP's Origin check (Streamable HTTP, "Security Warning")
    // stops DNS rebinding, a page using the browser's network position or cookies; here only a
    // bearer token in the Authorization header is accepted, which no browser adds by itself, so a
    // page gets in only with a token the person granted its client on our consent page.
    const grant = { clientId: ctx.auth.clientId ?? "", clientName: ctx.props.clientName, scopes: ctx.auth.scope };
    const body =
      request.method === "POST"
        ? await request
            .clone()
            .json()
            .catch(() => undefined)
        : undefined;
    const requestId = currentRequest()?.requestId ?? requestIdOf(request);
    if (!grant.scopes.includes("ctx:write") && callsWriteTool(body)) {
      // The object (which logs every other call) never sees this one.
      writeLog({
        event: "mcp",
        requestId,
        user: await userHash(env, ctx.props.userId),
        client: grant.clientId,
        name: "tools/call",
        outcome: "refused",
        errorClass: "insufficient_scope",
      });
      return insufficientScope(ctx.auth, ALL_SCOPES, "Changing the repository needs ctx:write");
    }
    const workspace = userWorkspace(env, ctx.props.userId);
    // The object cannot see a client hang up on a stream it returned over RPC; tell it.
    const streamId = crypto.randomUUID();
    request.signal.addEventListener("abort", () => ctx.waitUntil(workspace.mcpStreamClosed(streamId)));

    const url = new URL(request.url);
    const path = withoutTrailingSlash(url.pathname);
    if (path === "/mcp") return workspace.mcpStreamableHttp(request, grant, streamId, requestId);
    if (path === "/sse" && request.method === "GET") return workspace.mcpOpenSse(grant, streamId, requestId);
    if (path === "/sse/message" && request.method === "POST") {
      return workspace.mcpPostSse(url.searchParams.get("sessionId") ?? "", grant, body, requestId);
    }
    return Response.json({ error: "Not found" }, { status: 404 });
  },
};

let provider: OAuthProvider<Env> | undefined;

const REGISTRATION_ENDPOINT = "/oauth/register";
const TOKEN_ENDPOINT = "/oauth/token";

export default {
  /** Every request is served in a log context of its own (`requestIdOf`: Cloudflare's Ray ID). */
  fetch: (incoming, env, ctx) => inRequest({ requestId: requestIdOf(incoming) }, () => serve(incoming, env, ctx)),
} satisfies ExportedHandler<Env>;

async function serve(incoming: Request, env: Env, ctx: ExecutionContext): Promise<Response> {
  const url = new URL(incoming.url);
  const misdirected = refuseOtherHost(incoming, env.APP_ORIGIN);
  if (misdirected) {
    await readToEnd(incoming);
    return withSecurityHeaders(misdirected);
  }
  // A token request's body is read once, and only up to a limit: we and the provider parse it.
  const bounded = url.pathname === TOKEN_ENDPOINT ? await boundTokenRequest(incoming) : incoming;
  if (bounded instanceof Response) return withSecurityHeaders(bounded);
  // An endpoint's own metadata document (RFC 9728 §3.1) is the origin's, renamed for it.
  const endpointResource = metadataResource(url);
  const request = endpointResource
    ? new Request(new URL(RESOURCE_METADATA_PREFIX, url), bounded)
    : isAuthorizationPath(url.pathname)
      ? await withCanonicalResource(bounded, env.APP_ORIGIN, "query")
      : url.pathname === TOKEN_ENDPOINT
        ? await withCanonicalResource(bounded, env.APP_ORIGIN, "body")
        : bounded;
  const screened =
    url.pathname === REGISTRATION_ENDPOINT && request.method === "POST"
      ? await screenClientRegistration(request, env.CLIENT_REGISTRATIONS)
      : request;

  const options: OAuthProviderOptions<Env> = {
    apiRoute: ["/mcp", "/sse"],
    apiHandler: mcpApi,
    defaultHandler: webApp,
    authorizeEndpoint: "/authorize",
    tokenEndpoint: TOKEN_ENDPOINT,
    clientRegistrationEndpoint: REGISTRATION_ENDPOINT,
    clientIdMetadataDocumentEnabled: true,
    scopesSupported: ALL_SCOPES,
    // Both, in the 401 and the resource metadata: the product is a memory the AI reads and
    // writes; the person may still grant read only, and a client then steps up for ctx_bash.
    requiredScopes: ALL_SCOPES,
    resourceMetadata: { resource: env.APP_ORIGIN, resource_name: "ctx4-ai" },
  };
  provider ??= new OAuthProvider<Env>(options);
  const oauth = provider;
  // A replayed refresh answer is given only while its access token is still valid: revoking
  // the grant on /me deletes it, and the client must hear that from the refresh.
  const granted = async (accessToken: string) => (await getOAuthApi(options, env).unwrapToken(accessToken)) !== null;
  const answer =
    screened instanceof Response
      ? screened
      : url.pathname === TOKEN_ENDPOINT
        ? await refreshOnce(screened, env.REFRESH_GATE, (tokenRequest) => oauth.fetch(tokenRequest, env, ctx), granted)
        : await oauth.fetch(screened, env, ctx);
  const response = challengeForEndpoint(
    endpointResource ? await renameMetadata(answer, endpointResource) : answer,
    url,
  );
  await readToEnd(request);
  return withSecurityHeaders(response);
}

/**
 * A request answered without reading its body (a 401, another host, a refused registration) must still
 * be read to the end, or the local runtime stalls or fails the next request on the same
 * keep-alive connection. Nothing of it is kept: it may be large.
 */
async function readToEnd(request: Request): Promise<void> {
  if (request.body && !request.bodyUsed) await request.body.pipeTo(new WritableStream());
}
