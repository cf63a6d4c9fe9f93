import type { RouterContextProvider } from "react-router";
import { requireUser } from "./auth/session.server";
import type { Database } from "./db/client.server";
import { getUserGithubConfig, markRepoReach } from "./db/queries.server";
import type { UserGithubConfig } from "./db/schema";
import { type GitHubEnv, reachesRepo } from "./github/app.server";
import { workerContext } from "./worker-context";

/** The signed-in user and their GitHub config (if any), for pages behind the sign-in guard. */
export async function loadUserConfig(context: Readonly<RouterContextProvider>, request: Request) {
  const user = await requireUser(context, request);
  const { db, env } = context.get(workerContext);
  const config = (await getUserGithubConfig(db, user.id)) ?? null;
  return { user, config, env, db };
}

/** Where a user belongs in onboarding: the first step not done yet, or the dashboard. */
export function nextStep(config: { repoId: number | null } | null): string {
  if (!config) return "/onboarding/connect-github";
  if (config.repoId === null) return "/onboarding/select-repo";
  return "/me";
}

/**
 * The config once GitHub has said whether its installation still reaches the chosen repo, for
 * a person back from changing the App's access on GitHub. An installation linked again keeps
 * the chosen repo (`saveInstallation`), so that is asked (`reachesRepo`), not assumed: a repo
 * just removed is marked `repo_removed` and one given back is cleared, as the webhook would,
 * whichever arrives first. GitHub unreachable: the config as it is.
 */
export async function withRepoReach(env: GitHubEnv, db: Database, config: UserGithubConfig): Promise<UserGithubConfig> {
  if (config.repoId === null) return config;
  const reachable = await reachesRepo(env, config.installationId, config.repoId).catch(() => undefined);
  if (reachable === undefined) return config;
  return (await markRepoReach(db, config.userId, config.repoId, reachable)) ?? config;
}
