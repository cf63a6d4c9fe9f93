import { createServerClient, parseCookieHeader, serializeCookieHeader } from "@supabase/ssr";
import { isAuthApiError, isAuthSessionMissingError, type SupabaseClient } from "@supabase/supabase-js";
import { createContext, type MiddlewareFunction, type RouterContextProvider, redirect } from "react-router";
import { workerContext } from "../worker-context";

export type SignedInUser = { id: string; email: string; sessionId: string };

const supabaseContext = createContext<SupabaseClient>();
const userContext = createContext<SignedInUser | null>(null);
const confirmedContext = createContext<Promise<boolean> | null>(null);

/**
 * Runs on every page request: builds the Supabase client on the request's cookies, refreshes
 * the session when needed, and records who the cookies claim is signed in. That claim comes only
 * from `getClaims()`, which verifies the access token's signature against the project's JWKS but
 * cannot know whether the session has since ended; {@link currentUser} asks the auth server.
 */
export const sessionMiddleware: MiddlewareFunction<Response> = async ({ request, context }, next) => {
  const { env } = context.get(workerContext);
  const cookies: { name: string; value: string; options: Parameters<typeof serializeCookieHeader>[2] }[] = [];
  const headers: Record<string, string> = {};
  const supabase = createServerClient(env.SUPABASE_URL, env.SUPABASE_PUBLISHABLE_KEY, {
    cookies: {
      getAll: () => parseCookieHeader(request.headers.get("Cookie") ?? ""),
      setAll(toSet, cacheHeaders) {
        cookies.push(...toSet);
        Object.assign(headers, cacheHeaders);
      },
    },
    cookieOptions: {
      httpOnly: true,
      sameSite: "lax",
      secure: new URL(request.url).protocol === "https:",
      path: "/",
    },
  });

  const { data } = await supabase.auth.getClaims();
  const claims = data?.claims;
  const user =
    claims && typeof claims.email === "string" && typeof claims.session_id === "string"
      ? { id: claims.sub, email: claims.email, sessionId: claims.session_id }
      : null;
  context.set(supabaseContext, supabase);
  context.set(userContext, user);

  const response = await next();
  for (const { name, value, options } of cookies) {
    response.headers.append("Set-Cookie", serializeCookieHeader(name, value, options));
  }
  for (const [name, value] of Object.entries(headers)) response.headers.set(name, value);
  if (user) response.headers.set("Cache-Control", "private, no-store");
  return response;
};

export function getSupabase(context: Readonly<RouterContextProvider>): SupabaseClient {
  return context.get(supabaseContext);
}

/**
 * Who the cookies claim is signed in (signature checked, session not confirmed: see
 * {@link currentUser}), or null; for logs, which must not cost a request to the auth server.
 */
export function claimedUserId(context: Readonly<RouterContextProvider>): string | null {
  return context.get(userContext)?.id ?? null;
}

/**
 * The signed-in user, or null. The cookies' claim is confirmed with the auth server
 * (`GET /auth/v1/user`, which refuses a token whose session was signed out or revoked), at most
 * once per request: a signed access token outlives sign-out, and no page may show or change
 * account data on the strength of one. A dead session's cookies are cleared.
 * @throws when the auth server cannot be reached.
 */
export async function currentUser(context: Readonly<RouterContextProvider>): Promise<SignedInUser | null> {
  const user = context.get(userContext);
  if (!user) return null;
  let confirmed = context.get(confirmedContext);
  if (!confirmed) {
    confirmed = sessionIsLive(getSupabase(context));
    context.set(confirmedContext, confirmed);
  }
  return (await confirmed) ? user : null;
}

/**
 * The signed-in user ({@link currentUser}), or a redirect to the login page that comes back here.
 * @throws a redirect `Response` to `/login?returnTo=…`; the auth server being unreachable rejects.
 */
export async function requireUser(context: Readonly<RouterContextProvider>, request: Request): Promise<SignedInUser> {
  const user = await currentUser(context);
  if (user) return user;
  const url = new URL(request.url);
  throw redirect(`/login?${new URLSearchParams({ returnTo: `${url.pathname}${url.search}` })}`);
}

/** Whether the auth server still knows the session; a dead one is removed from the cookies. */
async function sessionIsLive(supabase: SupabaseClient): Promise<boolean> {
  const { error } = await supabase.auth.getUser();
  if (!error) return true;
  // `session_not_found` arrives as this error, with the session already removed from the cookies.
  if (isAuthSessionMissingError(error)) return false;
  // 401/403: the token or its user is no longer valid (GoTrue's requireAuthentication).
  if (!isAuthApiError(error) || (error.status !== 401 && error.status !== 403)) throw error;
  await supabase.auth.signOut({ scope: "local" });
  return false;
}
