import { createServerClient, parseCookieHeader, serializeCookieHeader } from "@supabase/ssr";
import type { SupabaseClient } from "@supabase/supabase-js";
import { createContext, type MiddlewareFunction, type RouterContextProvider, redirect } from "react-router";
import { workerContext } from "../worker-context";

export type SignedInUser = { id: string; email: string; sessionId: string };

const supabaseContext = createContext<SupabaseClient>();
const userContext = createContext<SignedInUser | null>(null);

/**
 * Runs on every page request: builds the Supabase client on the request's cookies, refreshes
 * the session when needed, and records who is signed in. Identity comes only from
 * `getClaims()`, which verifies the access token's signature against the project's JWKS.
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

export function getUser(context: Readonly<RouterContextProvider>): SignedInUser | null {
  return context.get(userContext);
}

/** The signed-in user, or a redirect to the login page that comes back here afterwards. */
export function requireUser(context: Readonly<RouterContextProvider>, request: Request): SignedInUser {
  const user = getUser(context);
  if (user) return user;
  const url = new URL(request.url);
  throw redirect(`/login?${new URLSearchParams({ returnTo: `${url.pathname}${url.search}` })}`);
}
