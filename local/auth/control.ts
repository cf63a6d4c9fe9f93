import type { IncomingMessage, ServerResponse } from "node:http";
import { checkLocalRequest } from "../guard";
import type { AuthContext } from "./context";
import { requestUrl, sendJson } from "./http";

export const CONTROL_PREFIX = "/_local/";

/**
 * The emulator's own API for the local stack's tools and tests (not a GoTrue route):
 * `GET /_local/users` lists users, `DELETE /_local/users` removes them all with their
 * sessions. Guarded like every private local route: loopback Host plus the stack secret.
 */
export function handleControl(context: AuthContext, request: IncomingMessage, response: ServerResponse) {
  const verdict = checkLocalRequest(request, context.localSecret);
  if (!verdict.ok) return sendJson(response, verdict.status, { message: verdict.message });
  if (requestUrl(request).pathname !== `${CONTROL_PREFIX}users`)
    return sendJson(response, 404, { message: "Not found" });
  if (request.method === "GET") {
    const users = context.users.list().map((user) => ({
      id: user.id,
      email: user.email,
      createdAt: user.createdAt,
      emailConfirmedAt: user.emailConfirmedAt,
      lastSignInAt: user.lastSignInAt,
    }));
    return sendJson(response, 200, users);
  }
  if (request.method === "DELETE") {
    for (const user of context.users.list()) context.sessions.endAllOf(user.id);
    context.users.clear();
    return void response.writeHead(204).end();
  }
  sendJson(response, 405, { message: "Method not allowed" });
}
