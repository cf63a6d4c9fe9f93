import type { IncomingMessage, ServerResponse } from "node:http";
import { z } from "zod";
import type { AuthContext } from "./context";
import { normalizeEmail } from "./email-address";
import { type EmailToken, type EmailTokenType, PKCE_PREFIX } from "./email-tokens";
import { type AuthError, badRequest, forbidden } from "./errors";
import { readJsonBody, redirect, requestUrl, sendJson } from "./http";
import { signIn } from "./tokens";

/** Which of our tokens each GoTrue verification type can match; the others name flows we never start. */
const MATCHING_TYPES: Record<string, readonly EmailTokenType[]> = {
  email: ["signup", "magiclink"],
  signup: ["signup"],
  magiclink: ["magiclink"],
  recovery: [],
  invite: [],
  email_change: [],
  sms: [],
  phone_change: [],
};
const LINK_TYPES = new Set(["signup", "invite", "recovery", "magiclink", "email_change"]);

const verifyQuery = z.object({
  token: z.string().optional(),
  type: z.string().optional(),
  redirect_to: z.string().optional(),
});

/**
 * `GET /verify`: the link in the email. A PKCE link redirects with `?code=` for
 * `/token?grant_type=pkce`; an implicit one with the session in the fragment. A bad or
 * used link redirects with GoTrue's error parameters instead.
 */
export function handleVerifyLink(context: AuthContext, request: IncomingMessage, response: ServerResponse) {
  const query = verifyQuery.parse(Object.fromEntries(requestUrl(request).searchParams));
  const redirectTo = context.redirects.pick(query.redirect_to, request.headers.referer);
  if (!query.token) throw badRequest("validation_failed", "Verify requires a token or a token hash");
  if (!query.type) throw badRequest("validation_failed", "Verify requires a verification type");
  if (!LINK_TYPES.has(query.type)) throw badRequest("validation_failed", "Invalid email verification type");
  const isPkce = query.token.startsWith(PKCE_PREFIX);

  const token = context.emailTokens.consumeByHash(query.token, MATCHING_TYPES[query.type] ?? []);
  const user = token && context.users.get(token.userId);
  if (!token || !user) {
    const error = forbidden("otp_expired", "Email link is invalid or has expired");
    return redirect(response, errorRedirect(redirectTo, error, isPkce));
  }

  const target = new URL(redirectTo);
  if (token.pkce) {
    const confirmed = context.users.touch(user, "confirmed");
    target.searchParams.set("code", context.authCodes.issue(confirmed.id, token.pkce, authenticationMethod(token)));
    return redirect(response, target.toString());
  }
  const session = signIn(context, user, "otp");
  target.hash = new URLSearchParams({
    access_token: session.access_token,
    expires_at: String(session.expires_at),
    expires_in: String(session.expires_in),
    refresh_token: session.refresh_token,
    token_type: session.token_type,
    type: query.type,
  }).toString();
  redirect(response, target.toString());
}

const verifyBody = z.looseObject({
  type: z.string().optional(),
  token: z.string().optional(),
  token_hash: z.string().optional(),
  email: z.string().optional(),
  phone: z.string().optional(),
});

/** `POST /verify` (`auth.verifyOtp`): the emailed code or the link's token hash, answered with a session. */
export async function handleVerifyOtp(context: AuthContext, request: IncomingMessage, response: ServerResponse) {
  const body = await readJsonBody(request, verifyBody);
  if (!body.type) throw badRequest("validation_failed", "Verify requires a verification type");
  const types = MATCHING_TYPES[body.type];
  if (!types) throw badRequest("validation_failed", "Unsupported verification type");

  let token: EmailToken | undefined;
  if (body.token) {
    if (body.phone) throw badRequest("phone_provider_disabled", "Unsupported phone provider");
    token = context.emailTokens.consumeByOtp(normalizeEmail(body.email), body.token, types);
  } else if (body.token_hash) {
    token = context.emailTokens.consumeByHash(body.token_hash, types);
  } else {
    throw badRequest("validation_failed", "Verify requires either a token or a token hash");
  }
  const user = token && context.users.get(token.userId);
  if (!user) throw forbidden("otp_expired", "Token has expired or is invalid");
  sendJson(response, 200, signIn(context, user, "otp"));
}

function authenticationMethod(token: EmailToken): string {
  return token.type === "signup" ? "email/signup" : "magiclink";
}

/** GoTrue puts errors in the fragment, and for PKCE flows (read on the server) in the query too. */
function errorRedirect(redirectTo: string, error: AuthError, isPkce: boolean): string {
  const target = new URL(redirectTo);
  const params = new URLSearchParams({
    error: "access_denied",
    error_code: error.errorCode,
    error_description: error.message,
  }).toString();
  target.search = isPkce ? params : "";
  target.hash = params;
  return target.toString();
}
