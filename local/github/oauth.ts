import { timingSafeEqual } from "node:crypto";
import type { IncomingMessage, ServerResponse } from "node:http";
import { z } from "zod";
import type { EmulatorContext } from "./context";
import { type Route, readJson, readParams, route, sendError } from "./http";

/**
 * `POST /login/oauth/access_token`: exchanges the code from the install redirect for a user
 * token (`ghu_`, 8 hours, with a `ghr_` refresh token, as GitHub Apps issue by default), or a
 * refresh token for a new pair (the old refresh token and the user token issued with it stop
 * working). Failures are GitHub's: HTTP 200 with an `error` body.
 */

const USER_TOKEN_TTL_SECONDS = 8 * 60 * 60;
const REFRESH_TOKEN_TTL_SECONDS = 184 * 24 * 60 * 60;
const ERROR_DOCS =
  "https://docs.github.com/apps/managing-oauth-apps/troubleshooting-oauth-app-access-token-request-errors";

/** "Delete an app token": the App, by its client id and secret, revokes one user token. */
const DELETE_TOKEN_DOCS = "https://docs.github.com/rest/apps/oauth-applications#delete-an-app-token";
const deleteTokenBodySchema = z.object({ access_token: z.string().min(1).max(255) });

const ERRORS = {
  incorrect_client_credentials: "The client_id and/or client_secret passed are incorrect.",
  redirect_uri_mismatch: "The redirect_uri MUST match the registered callback URL for this application.",
  bad_verification_code: "The code passed is incorrect or expired.",
  bad_refresh_token: "The refresh token passed is incorrect or expired.",
} as const;

export function oauthRoutes(ctx: EmulatorContext): Route[] {
  return [
    route("POST", /^\/login\/oauth\/access_token$/, async (request, response) => {
      const params = await readParams(request, new URL(request.url ?? "/", ctx.base));
      const one = (name: string) => {
        const value = params[name];
        return typeof value === "string" ? value : undefined;
      };
      const app = ctx.options.app;
      const reply = (body: Record<string, string | number>) => send(request, response, body);
      const fail = (error: keyof typeof ERRORS) =>
        reply({ error, error_description: ERRORS[error], error_uri: `${ERROR_DOCS}/#${error.replaceAll("_", "-")}` });

      if (!same(one("client_id"), app.clientId) || !same(one("client_secret"), app.clientSecret)) {
        return fail("incorrect_client_credentials");
      }
      const redirectUri = one("redirect_uri");
      if (redirectUri !== undefined && !withinCallback(redirectUri, app.callbackUrl))
        return fail("redirect_uri_mismatch");

      let login: string;
      if (one("grant_type") === "refresh_token") {
        const refresh = one("refresh_token");
        const owner = refresh ? ctx.state.redeemRefreshToken(refresh) : undefined;
        if (!owner) return fail("bad_refresh_token");
        login = owner;
      } else {
        const code = one("code");
        const found = code ? ctx.state.takeCode(code) : undefined;
        if (!found || found.clientId !== app.clientId) return fail("bad_verification_code");
        login = found.login;
      }

      const access = ctx.state.issueToken({ kind: "user", login }, USER_TOKEN_TTL_SECONDS);
      const refresh = ctx.state.issueToken(
        { kind: "refresh", login, pairedWith: access.record.hash },
        REFRESH_TOKEN_TTL_SECONDS,
      );
      reply({
        access_token: access.token,
        expires_in: USER_TOKEN_TTL_SECONDS,
        refresh_token: refresh.token,
        refresh_token_expires_in: REFRESH_TOKEN_TTL_SECONDS,
        token_type: "bearer",
        scope: "",
      });
    }),

    // `DELETE /applications/{client_id}/token` (DELETE_TOKEN_DOCS): Basic authentication with
    // the client id and secret, the user token in the JSON body; 204 once it is revoked. The
    // refresh token issued with it is left alone, as the docs speak of one token. Wrong client
    // credentials and a token that is not a live user token of this App are GitHub's 404.
    route("DELETE", /^\/applications\/([^/]+)\/token$/, async (request, response, [clientId = ""]) => {
      const app = ctx.options.app;
      const basic = basicCredentials(request);
      if (
        !same(clientId, app.clientId) ||
        !same(basic?.user, app.clientId) ||
        !same(basic?.password, app.clientSecret)
      ) {
        return sendError(response, 404, "Not Found", DELETE_TOKEN_DOCS);
      }
      const body = await readJson(request, deleteTokenBodySchema);
      if (ctx.state.findToken(body.access_token)?.kind !== "user")
        return sendError(response, 404, "Not Found", DELETE_TOKEN_DOCS);
      ctx.state.revokeToken(body.access_token);
      response.writeHead(204).end();
    }),
  ];
}

/** The user and password of a Basic `Authorization` header (RFC 7617), if it is one. */
function basicCredentials(request: IncomingMessage): { user: string; password: string } | undefined {
  const found = /^basic\s+([A-Za-z0-9+/=]+)$/i.exec(request.headers.authorization?.trim() ?? "");
  if (!found?.[1]) return undefined;
  const decoded = Buffer.from(found[1], "base64").toString("utf8");
  const colon = decoded.indexOf(":");
  return colon < 0 ? undefined : { user: decoded.slice(0, colon), password: decoded.slice(colon + 1) };
}

/** JSON when asked for it, GitHub's form encoding otherwise. */
function send(request: IncomingMessage, response: ServerResponse, body: Record<string, string | number>) {
  const json = (request.headers.accept ?? "").includes("application/json");
  const text = json
    ? JSON.stringify(body)
    : new URLSearchParams(
        Object.entries(body).map(([key, value]): [string, string] => [key, String(value)]),
      ).toString();
  response.writeHead(200, {
    "content-type": json ? "application/json; charset=utf-8" : "application/x-www-form-urlencoded; charset=utf-8",
    "content-length": Buffer.byteLength(text),
    "cache-control": "no-store",
  });
  response.end(text);
}

function same(given: string | undefined, expected: string): boolean {
  if (given === undefined) return false;
  const a = Buffer.from(given);
  const b = Buffer.from(expected);
  return a.length === b.length && timingSafeEqual(a, b);
}

/** GitHub accepts a redirect_uri on the callback URL's host and port, at its path or below it. */
export function withinCallback(candidate: string, callback: string): boolean {
  try {
    const given = new URL(candidate);
    const registered = new URL(callback);
    return given.origin === registered.origin && given.pathname.startsWith(registered.pathname);
  } catch {
    return false;
  }
}
