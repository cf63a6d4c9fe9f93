import type { IncomingMessage, ServerResponse } from "node:http";
import { z } from "zod";
import type { AuthContext } from "./context";
import { badRequest, forbidden } from "./errors";
import { readJsonBody, requestUrl, sendJson } from "./http";
import { signIn, tokenResponse } from "./tokens";

const pkceBody = z.looseObject({ auth_code: z.string().optional(), code_verifier: z.string().optional() });
const refreshBody = z.looseObject({ refresh_token: z.string().optional() });

/** `POST /token`: the two grants our flows use, `pkce` and `refresh_token`. */
export async function handleToken(context: AuthContext, request: IncomingMessage, response: ServerResponse) {
  const grantType = requestUrl(request).searchParams.get("grant_type");
  if (grantType === "pkce") return sendJson(response, 200, await pkceGrant(context, request));
  if (grantType === "refresh_token") return sendJson(response, 200, await refreshGrant(context, request));
  throw badRequest("validation_failed", "unsupported_grant_type");
}

async function pkceGrant(context: AuthContext, request: IncomingMessage) {
  const body = await readJsonBody(request, pkceBody);
  if (!body.auth_code || !body.code_verifier) {
    throw badRequest("validation_failed", "invalid request: both auth code and code verifier should be non-empty");
  }
  const { userId, method } = context.authCodes.redeem(body.auth_code, body.code_verifier);
  const user = context.users.get(userId);
  if (!user) throw forbidden("user_not_found", "User from flow state does not exist");
  return signIn(context, user, method);
}

async function refreshGrant(context: AuthContext, request: IncomingMessage) {
  const body = await readJsonBody(request, refreshBody);
  if (!body.refresh_token) throw badRequest("validation_failed", "refresh_token required");
  const session = context.sessions.refresh(body.refresh_token);
  const user = context.users.get(session.userId);
  if (!user) throw forbidden("user_not_found", "User from sub claim in JWT does not exist");
  return tokenResponse(context, user, session);
}
