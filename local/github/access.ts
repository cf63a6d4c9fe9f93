import type { IncomingMessage, ServerResponse } from "node:http";
import type { EmulatorContext } from "./context";
import { type Caller, identify } from "./credentials";
import { sendError } from "./http";
import type { Installation, Repo } from "./state";

/** A caller with a credential GitHub accepted: an installation token, a user token or an App JWT. */
export type AuthenticatedCaller = Exclude<Caller, { kind: "anonymous" | "invalid" }>;

/**
 * The caller, or GitHub's refusal sent: 401 for a missing or bad credential ("Requires
 * authentication", "Bad credentials"), 403 for a suspended installation's token.
 */
export function authenticated(
  ctx: EmulatorContext,
  request: IncomingMessage,
  response: ServerResponse,
): AuthenticatedCaller | undefined {
  const caller = identify(ctx, request);
  if (caller.kind === "anonymous") return void sendError(response, 401, "Requires authentication");
  if (caller.kind === "invalid") return void sendError(response, 401, "Bad credentials");
  if (caller.kind === "installation") {
    const installation = ctx.state.installation(caller.record.installationId ?? 0);
    if (!installation) return void sendError(response, 401, "Bad credentials");
    if (installation.suspendedAt) return void sendError(response, 403, "This installation has been suspended");
  }
  return caller;
}

/**
 * Repos a user token reaches: those both the App (through an installation) and the user can
 * access (https://docs.github.com/apps/creating-github-apps/authenticating-with-a-github-app/generating-a-user-access-token-for-a-github-app).
 */
export function userRepos(ctx: EmulatorContext, login: string, installation?: Installation): Repo[] {
  return (installation ? [installation] : ctx.state.installationsVisibleTo(login))
    .filter((item) => !item.suspendedAt)
    .flatMap((item) => ctx.state.reachableRepos(item))
    .filter((repo) => ctx.state.canAccess(login, repo));
}

/** Every repo the caller may open: its installation token's repos, or its user token's; none for a JWT. */
export function reachableBy(ctx: EmulatorContext, caller: AuthenticatedCaller): Repo[] {
  if (caller.kind === "installation") return ctx.state.tokenRepos(caller.record);
  if (caller.kind === "user") return userRepos(ctx, caller.record.login);
  return [];
}

/**
 * `owner/name` if the caller may open it, else GitHub's 404 sent (a private repo the caller
 * cannot see is hidden behind 404, never 403), as is any credential refusal.
 */
export function visibleRepo(
  ctx: EmulatorContext,
  request: IncomingMessage,
  response: ServerResponse,
  owner: string,
  name: string,
  documentationUrl: string,
): { caller: AuthenticatedCaller; repo: Repo } | undefined {
  const caller = authenticated(ctx, request, response);
  if (!caller) return undefined;
  const repo = ctx.state.repo(owner, name);
  if (!repo || !reachableBy(ctx, caller).some((r) => r.id === repo.id)) {
    return void sendError(response, 404, "Not Found", documentationUrl);
  }
  return { caller, repo };
}
