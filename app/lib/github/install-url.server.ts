import { redirect } from "react-router";
import type { SignedInUser } from "../auth/session.server";
import { userWorkspace } from "../user-workspace.server";

/**
 * Sends the person to GitHub's install page for our App with a fresh single-use `state`.
 * For an existing installation GitHub shows its settings and returns `setup_action=update`.
 */
export async function redirectToGitHubInstall(env: Env, user: SignedInUser) {
  return (await gitHubInstallTrip(env, user)).redirect;
}

/** {@link redirectToGitHubInstall}'s redirect, and the `state` it carries. */
export async function gitHubInstallTrip(env: Env, user: SignedInUser): Promise<{ redirect: Response; state: string }> {
  const state = await userWorkspace(env, user.id).issueInstallState(user.sessionId);
  const url = new URL(`/apps/${env.GITHUB_APP_SLUG}/installations/new`, env.GITHUB_WEB_URL);
  url.searchParams.set("state", state);
  return { redirect: redirect(url.toString()), state };
}

/**
 * Sends the person through GitHub's user authorization for our App (the web application
 * flow), with a fresh single-use `state`. GitHub returns to the App's callback URL with `code`
 * and `state` but no `installation_id`: the callback then checks the installation already
 * connected.
 * https://docs.github.com/apps/creating-github-apps/authenticating-with-a-github-app/generating-a-user-access-token-for-a-github-app#using-the-web-application-flow-to-generate-a-user-access-token
 */
export async function redirectToGitHubAuthorization(env: Env, user: SignedInUser) {
  const state = await userWorkspace(env, user.id).issueInstallState(user.sessionId);
  const url = new URL("/login/oauth/authorize", env.GITHUB_WEB_URL);
  url.searchParams.set("client_id", env.GITHUB_APP_CLIENT_ID);
  url.searchParams.set("state", state);
  return redirect(url.toString());
}
