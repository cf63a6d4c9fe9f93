import type { RouterContextProvider } from "react-router";
import { requireUser } from "./auth/session.server";
import type { Database } from "./db/client.server";
import { applyInstallationStatus, getUserGithubConfig, lockInstallation, markRepoReach } from "./db/queries.server";
import type { InactiveReason, UserGithubConfig } from "./db/schema";
import {
  type GitHubEnv,
  type InstallationRepo,
  type InstallationStatus,
  installationStatus,
  reachesRepo,
} from "./github/app.server";
import { userGitHubRepos, userWorkspace } from "./user-workspace.server";
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

/** How long a page waits for GitHub's word on an installation before it shows what is stored. */
export const INSTALLATION_CHECK_TIMEOUT_MS = 2000;

/** What the stored config says of its installation, in `installationStatus`'s terms. */
const storedStatus = (reason: InactiveReason | null): InstallationStatus =>
  reason === "installation_deleted" ? "deleted" : reason === "installation_suspended" ? "suspended" : "active";

/**
 * The config once GitHub has said, as the App, how its installation stands now
 * (`installationStatus`, waiting at most `timeoutMs`): an App uninstalled or suspended whose
 * webhook never arrived, or one that came back, is stored as the webhook would store it
 * (`recordInstallationStatus`) and returned so. GitHub silent, failing or slow: the config as it is.
 */
export async function withInstallationStatus(
  env: Env,
  db: Database,
  config: UserGithubConfig,
  timeoutMs = INSTALLATION_CHECK_TIMEOUT_MS,
): Promise<UserGithubConfig> {
  const status = await installationStatus(env, config.installationId, AbortSignal.timeout(timeoutMs)).catch(
    () => undefined,
  );
  if (status === undefined || status === storedStatus(config.inactiveReason)) return config;
  await recordInstallationStatus(env, db, config.installationId, status);
  return (await getUserGithubConfig(db, config.userId)) ?? config;
}

/** Why the repo page has no repos to offer; the page names the fix for each. */
export type RepoListProblem =
  | "installation_deleted"
  | "installation_suspended"
  | "needs-authorization"
  | "no-access"
  | "failed";

const GONE = { deleted: "installation_deleted", suspended: "installation_suspended" } as const;

/**
 * The repos to offer the person (their GitHub account's list through the installation), or
 * why there are none. An installation removed or suspended on GitHub cannot list anything, and
 * its fix is on GitHub (install again, unsuspend), not "connect again": so when the stored
 * config says so, or the list fails or is empty, GitHub is asked as the App how the installation stands
 * (`installationStatus`), and what it says is stored as a webhook would store it (both ways:
 * an installation found active again clears the mark). GitHub unreachable: `failed`.
 */
export async function offeredRepos(
  env: Env,
  db: Database,
  config: UserGithubConfig,
): Promise<{ ok: true; repos: InstallationRepo[] } | { ok: false; problem: RepoListProblem }> {
  const markedGone =
    config.inactiveReason === "installation_deleted" || config.inactiveReason === "installation_suspended";
  if (markedGone) {
    const status = await installationStatus(env, config.installationId).catch(() => undefined);
    if (status === undefined) return { ok: false, problem: "failed" };
    await recordInstallationStatus(env, db, config.installationId, status);
    if (status !== "active") return { ok: false, problem: GONE[status] };
  }
  const listed = await userGitHubRepos(env, config.userId, config.installationId);
  // GitHub lists nothing for a suspended installation: an empty list may mean that too.
  if (listed.ok ? listed.repos.length > 0 : listed.problem === "needs-authorization") return listed;
  const status = await installationStatus(env, config.installationId).catch(() => undefined);
  if (status === undefined || status === "active") return listed;
  await recordInstallationStatus(env, db, config.installationId, status);
  return { ok: false, problem: GONE[status] };
}

/** Stores what GitHub said of an installation, as the webhook does, and tells the workspaces it changed. */
async function recordInstallationStatus(
  env: Env,
  db: Database,
  installationId: number,
  status: "active" | "suspended" | "deleted",
) {
  const affected = await db.transaction(async (tx) => {
    await lockInstallation(tx, installationId);
    return applyInstallationStatus(tx, installationId, status);
  });
  await Promise.all(affected.map(({ userId }) => userWorkspace(env, userId).configChanged()));
}
