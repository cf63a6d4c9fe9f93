import type { IncomingMessage, ServerResponse } from "node:http";
import { z } from "zod";
import type { AuthContext } from "./context";
import { AuthError, badRequest, forbidden } from "./errors";
import { readJsonBody, requestUrl, sendJson } from "./http";
import { type User, userJson } from "./users";

/** GoTrue's `/admin/users/{user_id}` path. */
export const ADMIN_USER_PATH = /^\/auth\/v1\/admin\/users\/([^/]+)$/;

const deleteParams = z.object({ should_soft_delete: z.boolean().optional() });

/**
 * `/admin/users/{user_id}` as supabase-js's `auth.admin.deleteUser(id)` uses it
 * (https://supabase.com/docs/reference/javascript/auth-admin-deleteuser): it reads the user
 * (`GET`, GoTrue's adminUserGet) and then deletes them (`DELETE`, adminUserDelete). Like GoTrue:
 * an admin bearer only (401 `no_authorization`, 403 `not_admin`), `user_id` a UUID (400
 * `validation_failed`), an unknown user 404 `user_not_found`. Deleting ends all the user's
 * sessions (their refresh tokens with them) and answers 200 `{}`; the email is then free, and
 * signing in with it again creates a new user with a new id. Soft deletion is not emulated (400).
 */
export async function handleAdminUser(
  context: AuthContext,
  request: IncomingMessage,
  response: ServerResponse,
  rawUserId: string,
): Promise<void> {
  requireAdmin(context, request);
  if (request.method === "GET") return sendJson(response, 200, userJson(loadUser(context, rawUserId)));
  if (request.method !== "DELETE") throw new AuthError(405, "method_not_allowed", "Method Not Allowed");
  const user = loadUser(context, rawUserId);
  const hasBody = Number(request.headers["content-length"] ?? 0) > 0 || request.headers["transfer-encoding"];
  const params = hasBody ? await readJsonBody(request, deleteParams) : {};
  if (params.should_soft_delete) throw badRequest("validation_failed", "The emulator does not soft-delete users");
  context.sessions.endAllOf(user.id);
  context.users.remove(user.id);
  sendJson(response, 200, {});
}

/** GoTrue's loadUser: the path's user, or why not. */
function loadUser(context: AuthContext, rawUserId: string): User {
  const userId = z.uuid().safeParse(decodeURIComponent(rawUserId));
  if (!userId.success) throw badRequest("validation_failed", "user_id must be an UUID");
  const user = context.users.get(userId.data);
  if (!user) throw new AuthError(404, "user_not_found", "User not found");
  return user;
}

/**
 * GoTrue's requireAdmin behind Supabase's gateway. A secret key (`sb_secret_…`) is not a JWT: sent
 * as the `apikey`, with no bearer or itself as the bearer (supabase-js sends both), the gateway
 * hands GoTrue a `service_role` token instead (https://supabase.com/docs/guides/api/api-keys).
 * Any other bearer, a user's own access token included, is not an admin.
 */
function requireAdmin(context: AuthContext, request: IncomingMessage): void {
  const bearer = /^Bearer (\S+)$/i.exec(request.headers.authorization ?? "")?.[1];
  const apiKey = request.headers.apikey ?? requestUrl(request).searchParams.get("apikey");
  const secretKey = context.secretKey;
  if (secretKey && apiKey === secretKey && (bearer === undefined || bearer === secretKey)) return;
  if (!bearer) throw new AuthError(401, "no_authorization", "This endpoint requires a Bearer token");
  throw forbidden("not_admin", "User not allowed");
}
