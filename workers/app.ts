import { OAuthProvider, type OAuthResourceContext } from "@cloudflare/workers-oauth-provider";
import { createRequestHandler, RouterContextProvider } from "react-router";
import { connectDatabase } from "../app/lib/db/client.server";
import { ALL_SCOPES, type GrantProps } from "../app/lib/oauth/scopes";
import { withSecurityHeaders } from "../app/lib/security-headers.server";
import { userWorkspace } from "../app/lib/user-workspace.server";
import { type WorkerContext, workerContext } from "../app/lib/worker-context";
import { screenClientRegistration } from "./client-registration";

// The Sandbox SDK's proxy that hands a container's outbound requests to the Worker (its README).
export { ContainerProxy } from "@cloudflare/sandbox";
export { UserSandbox as Sandbox } from "./sandbox/cloudflare";
export { UserWorkspace } from "./user-workspace";

/**
 * Every request, in order:
 * 1. The OAuth provider answers its own routes: metadata, `/oauth/register` (after our limits,
 *    `./client-registration.ts`), `/oauth/token`. The resource is the whole origin so that one
 *    token serves both `/mcp` and `/sse`.
 * 2. `/mcp` and `/sse` need a valid access token; with one, the request goes to the object of
 *    the user named in the token's grant (never anything in the request) and is served there.
 * 3. Everything else, `/authorize` (our consent page) included, is the React Router app.
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
    const origin = request.headers.get("Origin");
    if (origin && origin !== env.APP_ORIGIN) {
      return Response.json({ error: "This origin may not call the MCP endpoint." }, { status: 403 });
    }
    const grant = { clientId: ctx.auth.clientId ?? "", scopes: ctx.auth.scope };
    const workspace = userWorkspace(env, ctx.props.userId);
    // The object cannot see a client hang up on a stream it returned over RPC; tell it.
    const streamId = crypto.randomUUID();
    request.signal.addEventListener("abort", () => ctx.waitUntil(workspace.mcpStreamClosed(streamId)));

    const url = new URL(request.url);
    if (url.pathname === "/mcp") return workspace.mcpStreamableHttp(request, grant, streamId);
    if (url.pathname === "/sse" && request.method === "GET") return workspace.mcpOpenSse(grant, streamId);
    if (url.pathname === "/sse/message" && request.method === "POST") {
      const body = await request.json().catch(() => undefined);
      return workspace.mcpPostSse(url.searchParams.get("sessionId") ?? "", grant, body);
    }
    return Response.json({ error: "Not found" }, { status: 404 });
  },
};

let provider: OAuthProvider<Env> | undefined;

/** The resource is the origin, whose metadata lives at the bare well-known path. */
const RESOURCE_METADATA = "/.well-known/oauth-protected-resource";
const ENDPOINT_METADATA = new Set([`${RESOURCE_METADATA}/mcp`, `${RESOURCE_METADATA}/sse`]);
const REGISTRATION_ENDPOINT = "/oauth/register";

export default {
  async fetch(incoming, env, ctx) {
    // Clients that look for the endpoint's own metadata document (RFC 9728 §3.1) get the origin's.
    const url = new URL(incoming.url);
    const request = ENDPOINT_METADATA.has(url.pathname)
      ? new Request(new URL(RESOURCE_METADATA, url), incoming)
      : incoming;
    const screened =
      url.pathname === REGISTRATION_ENDPOINT && request.method === "POST"
        ? await screenClientRegistration(request, env.CLIENT_REGISTRATIONS)
        : request;

    provider ??= new OAuthProvider<Env>({
      apiRoute: ["/mcp", "/sse"],
      apiHandler: mcpApi,
      defaultHandler: webApp,
      authorizeEndpoint: "/authorize",
      tokenEndpoint: "/oauth/token",
      clientRegistrationEndpoint: REGISTRATION_ENDPOINT,
      scopesSupported: ALL_SCOPES,
      resourceMetadata: { resource: env.APP_ORIGIN, resource_name: "ctx4-ai" },
    });
    const response = screened instanceof Response ? screened : await provider.fetch(screened, env, ctx);
    // A request answered without reading its body (a 401, a refused registration) must still be
    // read to the end, or the local runtime stalls the next request on the same keep-alive
    // connection. Nothing of it is kept: it may be large.
    if (request.body && !request.bodyUsed) await request.body.pipeTo(new WritableStream());
    return withSecurityHeaders(response);
  },
} satisfies ExportedHandler<Env>;
