import type { IncomingMessage, ServerResponse } from "node:http";
import { z } from "zod";
import type { AuthContext } from "./context";
import { normalizeEmail } from "./email-address";
import { linkToken } from "./email-tokens";
import { signInEmail } from "./emails";
import { AuthError, badRequest } from "./errors";
import { readJsonBody, requestUrl, sendJson } from "./http";
import { parsePkceChallenge } from "./pkce";

const otpBody = z.looseObject({
  email: z.string().optional(),
  phone: z.string().optional(),
  data: z.record(z.string(), z.unknown()).nullish(),
  create_user: z.boolean().optional(),
  code_challenge: z.string().nullish(),
  code_challenge_method: z.string().nullish(),
});

/**
 * `POST /otp`: emails a sign-in link and code. A first-time (unconfirmed) address gets
 * GoTrue's "confirm signup" email (type `signup`); a confirmed one a magic link.
 */
export async function handleOtp(context: AuthContext, request: IncomingMessage, response: ServerResponse) {
  const body = await readJsonBody(request, otpBody);
  if (body.email && body.phone) {
    throw badRequest("validation_failed", "Only an email address or phone number should be provided");
  }
  const pkce = parsePkceChallenge(body.code_challenge, body.code_challenge_method);
  if (body.phone) throw badRequest("phone_provider_disabled", "Unsupported phone provider");
  if (!body.email) throw badRequest("validation_failed", "One of email or phone must be set");
  const email = normalizeEmail(body.email);

  let user = context.users.findByEmail(email);
  if (!user) {
    if (body.create_user === false) throw new AuthError(422, "otp_disabled", "Signups not allowed for otp");
    user = context.users.create(email, body.data ?? {});
  }
  const type = user.emailConfirmedAt ? "magiclink" : "signup";
  context.users.touch(user, type === "signup" ? "confirmationSent" : "recoverySent");

  const redirectTo = context.redirects.pick(
    requestUrl(request).searchParams.get("redirect_to"),
    request.headers.referer,
  );
  const token = context.emailTokens.issue(user.id, email, type, pkce);
  const link = new URL(`${context.baseUrl}/auth/v1/verify`);
  link.searchParams.set("token", linkToken(token));
  link.searchParams.set("type", type);
  link.searchParams.set("redirect_to", redirectTo);
  context.mailbox.deliver({ to: email, ...signInEmail(type, link.toString(), token.otp) });
  sendJson(response, 200, {});
}
