import type { IncomingMessage, ServerResponse } from "node:http";
import { ADMIN_USER_PATH, handleAdminUser } from "./admin";
import type { AuthContext } from "./context";
import { CONTROL_PREFIX, handleControl } from "./control";
import { AuthError, sendAuthError } from "./errors";
import { requestUrl, sendJson } from "./http";
import { handleOtp } from "./otp";
import { handleToken } from "./token";
import { handleLogout, handleUser } from "./user";
import { handleVerifyLink, handleVerifyOtp } from "./verify";

type Handler = (context: AuthContext, request: IncomingMessage, response: ServerResponse) => void | Promise<void>;

const ROUTES: { method: string; path: string; handler: Handler }[] = [
  { method: "GET", path: "/auth/v1/health", handler: handleHealth },
  { method: "GET", path: "/auth/v1/.well-known/jwks.json", handler: handleJwks },
  { method: "POST", path: "/auth/v1/otp", handler: handleOtp },
  { method: "GET", path: "/auth/v1/verify", handler: handleVerifyLink },
  { method: "POST", path: "/auth/v1/verify", handler: handleVerifyOtp },
  { method: "POST", path: "/auth/v1/token", handler: handleToken },
  { method: "GET", path: "/auth/v1/user", handler: handleUser },
  { method: "POST", path: "/auth/v1/logout", handler: handleLogout },
];

const AUTH_PREFIX = "/auth/v1/";

/**
 * Paths Supabase's gateway serves without an API key: the email link is opened by a browser
 * that has no key, and the JWKS is public.
 */
const OPEN_PATHS = new Set(["/auth/v1/verify", "/auth/v1/.well-known/jwks.json"]);

export function createAuthHandler(context: AuthContext) {
  return (request: IncomingMessage, response: ServerResponse): void => {
    route(context, request, response).catch((error: unknown) => {
      if (error instanceof AuthError) return sendAuthError(request, response, error);
      console.error("auth emulator: unexpected failure", error);
      sendAuthError(request, response, new AuthError(500, "unexpected_failure", "Unexpected failure"));
    });
  };
}

async function route(context: AuthContext, request: IncomingMessage, response: ServerResponse): Promise<void> {
  const { pathname } = requestUrl(request);
  if (pathname.startsWith(CONTROL_PREFIX)) return handleControl(context, request, response);
  if (!pathname.startsWith(AUTH_PREFIX))
    return sendJson(response, 404, { message: "no Route matched with those values" });

  allowAnyOrigin(request, response);
  if (request.method === "OPTIONS") return void response.writeHead(204).end();

  if (!OPEN_PATHS.has(pathname)) {
    const apiKeyProblem = checkApiKey(context, request);
    if (apiKeyProblem) return sendJson(response, 401, { message: apiKeyProblem });
  }
  const adminUser = ADMIN_USER_PATH.exec(pathname);
  if (adminUser?.[1]) return handleAdminUser(context, request, response, adminUser[1]);
  const onPath = ROUTES.filter((candidate) => candidate.path === pathname);
  const found = onPath.find((candidate) => candidate.method === request.method);
  if (!found) {
    throw onPath.length
      ? new AuthError(405, "method_not_allowed", "Method Not Allowed")
      : new AuthError(404, "not_found", "Not Found");
  }
  await found.handler(context, request, response);
}

/** The gateway's key check: the `apikey` header (or query parameter) must be the publishable or the secret key. */
function checkApiKey(context: AuthContext, request: IncomingMessage): string | undefined {
  const given = request.headers.apikey ?? requestUrl(request).searchParams.get("apikey");
  if (!given) return "No API key found in request";
  if (given !== context.publishableKey && (!context.secretKey || given !== context.secretKey)) return "Invalid API key";
  return undefined;
}

/** GoTrue allows any origin (it sets no cookies), so browser-side clients work against it too. */
function allowAnyOrigin(request: IncomingMessage, response: ServerResponse): void {
  response.setHeader("access-control-allow-origin", "*");
  response.setHeader("access-control-expose-headers", "x-supabase-api-version, x-sb-error-code");
  if (request.method !== "OPTIONS") return;
  response.setHeader("access-control-allow-methods", "GET, POST, PUT, DELETE, OPTIONS");
  response.setHeader("access-control-allow-headers", request.headers["access-control-request-headers"] ?? "*");
  response.setHeader("access-control-max-age", "600");
}

function handleHealth(_context: AuthContext, _request: IncomingMessage, response: ServerResponse): void {
  sendJson(response, 200, {
    version: "ctx4-auth-emulator",
    name: "GoTrue",
    description: "GoTrue is a user registration and authentication API",
  });
}

function handleJwks(context: AuthContext, _request: IncomingMessage, response: ServerResponse): void {
  response.setHeader("cache-control", "public, max-age=600");
  sendJson(response, 200, { keys: [context.key.publicJwk] });
}
