import type { AuthContext } from "./context";
import { signJwt } from "./jwt";
import type { Session } from "./sessions";
import { type User, userJson } from "./users";

export type AccessTokenResponse = {
  access_token: string;
  token_type: "bearer";
  expires_in: number;
  expires_at: number;
  refresh_token: string;
  user: Record<string, unknown>;
};

/** Starts a session for a user who just proved they own their address. */
export function signIn(context: AuthContext, user: User, method: string): AccessTokenResponse {
  const signedIn = context.users.touch(user, "signedIn");
  return tokenResponse(context, signedIn, context.sessions.create(signedIn.id, method));
}

/** GoTrue's answer to every grant: a fresh access token plus the session's active refresh token. */
export function tokenResponse(context: AuthContext, user: User, session: Session): AccessTokenResponse {
  const issuedAt = Math.floor(context.now() / 1000);
  const expiresAt = issuedAt + context.accessTokenTtlSeconds;
  const claims = {
    iss: `${context.baseUrl}/auth/v1`,
    sub: user.id,
    aud: "authenticated",
    exp: expiresAt,
    iat: issuedAt,
    email: user.email,
    phone: "",
    app_metadata: { provider: "email", providers: ["email"] },
    user_metadata: userJson(user).user_metadata,
    role: "authenticated",
    aal: "aal1",
    amr: session.amr,
    session_id: session.id,
    is_anonymous: false,
  };
  return {
    access_token: signJwt(claims, context.key),
    token_type: "bearer",
    expires_in: context.accessTokenTtlSeconds,
    expires_at: expiresAt,
    refresh_token: session.activeRefreshToken,
    user: userJson(user),
  };
}
