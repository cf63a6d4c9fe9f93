import type { IncomingMessage, ServerResponse } from "node:http";
import { z } from "zod";
import type { AuthContext } from "./context";
import { AuthError, badRequest, forbidden } from "./errors";
import { requestUrl, sendJson } from "./http";
import { verifyJwt } from "./jwt";
import type { Session } from "./sessions";
import { type User, userJson } from "./users";

const accessClaims = z.object({ sub: z.string(), exp: z.number(), session_id: z.string() });
const logoutScope = z.enum(["global", "local", "others"]);

/** `GET /user`: the signed-in user, checked against live sessions (unlike `getClaims`). */
export function handleUser(context: AuthContext, request: IncomingMessage, response: ServerResponse): void {
  const { user } = authenticate(context, request);
  sendJson(response, 200, userJson(user));
}

/** `POST /logout?scope=`: ends this session, all of the user's, or all the others; 204 like GoTrue. */
export function handleLogout(context: AuthContext, request: IncomingMessage, response: ServerResponse): void {
  const requested = requestUrl(request).searchParams.get("scope") ?? "global";
  const scope = logoutScope.safeParse(requested);
  if (!scope.success) throw badRequest("validation_failed", `Unsupported logout scope ${JSON.stringify(requested)}`);
  const { session } = authenticate(context, request);
  context.sessions.logout(session, scope.data);
  response.writeHead(204).end();
}

/** GoTrue's requireAuthentication: a valid, unexpired access token whose session and user still exist. */
function authenticate(context: AuthContext, request: IncomingMessage): { user: User; session: Session } {
  const match = /^Bearer (\S+)$/i.exec(request.headers.authorization ?? "");
  if (!match?.[1]) throw new AuthError(401, "no_authorization", "This endpoint requires a valid Bearer token");
  const verified = verifyJwt(match[1], context.key);
  if (!verified.ok) throw forbidden("bad_jwt", `invalid JWT: unable to parse or verify signature, ${verified.reason}`);
  const claims = accessClaims.safeParse(verified.payload);
  if (!claims.success)
    throw forbidden("bad_jwt", "invalid JWT: unable to parse or verify signature, token has invalid claims");
  if (claims.data.exp * 1000 <= context.now()) {
    throw forbidden(
      "bad_jwt",
      "invalid JWT: unable to parse or verify signature, token has invalid claims: token is expired",
    );
  }
  const user = context.users.get(claims.data.sub);
  if (!user) throw forbidden("user_not_found", "User from sub claim in JWT does not exist");
  const session = context.sessions.get(claims.data.session_id);
  if (!session || session.userId !== user.id) {
    throw forbidden("session_not_found", "Session from session_id claim in JWT does not exist");
  }
  return { user, session };
}
