import { redirect } from "react-router";
import type { SignedInUser } from "../auth/session.server";
import { userWorkspace } from "../user-workspace.server";

/**
 * Sends the person to GitHub's install page for our App with a fresh single-use `state`.
 * For an existing installation GitHub shows its settings and returns `setup_action=update`.
 */
export async function redirectToGitHubInstall(env: Env, user: SignedInUser) {
  const state = await userWorkspace(env, user.id).issueInstallState(user.sessionId);
  const url = new URL(`/apps/${env.GITHUB_APP_SLUG}/installations/new`, env.GITHUB_WEB_URL);
  url.searchParams.set("state", state);
  return redirect(url.toString());
}
