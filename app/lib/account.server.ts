import type { OAuthHelpers } from "@cloudflare/workers-oauth-provider";
import { createClient } from "@supabase/supabase-js";
import { z } from "zod";
import type { Database } from "./db/client.server";
import { deleteUserRows } from "./db/queries.server";
import type { UserGithubConfig } from "./db/schema";
import { userWorkspace } from "./user-workspace.server";

/** What of a person's stays on GitHub once their ctx4-ai account is gone, with where to remove it. */
export type GitHubLeftovers = {
  /** The chosen repo, if one was chosen, and its page. */
  repo: { fullName: string; url: string } | null;
  /** The account the App is installed on. */
  account: string | null;
  /** GitHub's page of the installation, where "Uninstall" is. */
  uninstallUrl: string;
};

/** A GitHub login or `owner/repo`: what the notice after deletion may name (it travels in a cookie). */
const loginPattern = /^[A-Za-z0-9](?:[A-Za-z0-9-]{0,38})$/;
export const leftoverFacts = z.object({
  installationId: z.number().int().positive().nullable(),
  account: z.string().regex(loginPattern).nullable(),
  githubUsername: z.string().regex(loginPattern).nullable(),
  repoFullName: z
    .string()
    .regex(/^[A-Za-z0-9-]{1,39}\/[A-Za-z0-9._-]{1,100}$/)
    .nullable(),
});
export type LeftoverFacts = z.infer<typeof leftoverFacts>;

/** The facts {@link githubLeftovers} needs, from the person's config (null: they never connected GitHub). */
export function leftoverFactsOf(config: UserGithubConfig | null): LeftoverFacts {
  // An installation's repos all belong to the account it is installed on.
  const owner = config?.repoFullName?.split("/")[0] ?? null;
  return {
    installationId: config?.installationId ?? null,
    account: owner ?? config?.githubUsername ?? null,
    githubUsername: config?.githubUsername ?? null,
    repoFullName: config?.repoFullName ?? null,
  };
}

/**
 * Where GitHub lets the person see and remove the installation: "Reviewing and modifying
 * installed GitHub Apps" (https://docs.github.com/en/apps/using-github-apps/reviewing-and-modifying-installed-github-apps)
 * reaches it from Settings → Applications → Installed GitHub Apps → Configure, which is
 * `/settings/installations/<id>` for an installation on a personal account and
 * `/organizations/<org>/settings/installations/<id>` for one on an organisation. Whose account
 * it is on is not stored: it is the personal one when it is the person's own GitHub login.
 * Without an installation, the list of installed Apps.
 */
export function githubLeftovers(facts: LeftoverFacts, githubWebUrl: string): GitHubLeftovers {
  const web = (path: string) => new URL(path, githubWebUrl).toString();
  const { installationId, account, githubUsername, repoFullName } = facts;
  const onOrganisation = account !== null && githubUsername !== null && account !== githubUsername;
  const uninstallUrl =
    installationId === null
      ? web("/settings/installations")
      : web(
          onOrganisation
            ? `/organizations/${account}/settings/installations/${installationId}`
            : `/settings/installations/${installationId}`,
        );
  return {
    repo: repoFullName ? { fullName: repoFullName, url: web(`/${repoFullName}`) } : null,
    account,
    uninstallUrl,
  };
}

/**
 * Deletes everything ctx4-ai holds of a person, in an order that a failure part-way can be
 * retried from the start, and that never leaves an AI client with access to a user who no
 * longer exists:
 * 1. every OAuth grant, with its tokens (their KV entries), so no client reaches anything again;
 * 2. the user's Durable Object: sandbox, clone and all its storage (`UserWorkspace.erase`);
 * 3. every Postgres row of theirs ({@link deleteUserRows}), only now, so a retry still knows
 *    what stays on GitHub;
 * 4. the sign-in account, with Supabase's admin API (`auth.admin.deleteUser`,
 *    https://supabase.com/docs/reference/javascript/auth-admin-deleteuser), which ends all
 *    their sessions; a user already gone counts as deleted.
 * @throws when a step fails; the steps before it stay done, and running this again finishes.
 */
export async function deleteAccount(
  env: Env & { OAUTH_PROVIDER: OAuthHelpers },
  db: Database,
  userId: string,
): Promise<void> {
  await revokeAllGrants(env.OAUTH_PROVIDER, userId);
  await userWorkspace(env, userId).erase();
  await deleteUserRows(db, userId);
  await deleteAuthUser(env, userId);
}

/**
 * Revokes every grant of the user (each with its access and refresh tokens). All pages are
 * listed before anything is revoked: deleting keys while paging through a KV listing can skip
 * some. Returns how many grants there were.
 */
export async function revokeAllGrants(provider: OAuthHelpers, userId: string): Promise<number> {
  const grantIds: string[] = [];
  let cursor: string | undefined;
  do {
    const page = await provider.listUserGrants(userId, cursor ? { cursor } : {});
    grantIds.push(...page.items.map((grant) => grant.id));
    cursor = page.cursor;
  } while (cursor);
  await Promise.all(grantIds.map((grantId) => provider.revokeGrant(grantId, userId)));
  return grantIds.length;
}

/**
 * Deletes the Supabase Auth user with the secret key (`SUPABASE_SECRET_KEY`, which only the
 * server holds). Resolves when the user is gone, also when they already were (`user_not_found`).
 * @throws the auth server's error otherwise (never one that holds the key).
 */
async function deleteAuthUser(env: Env, userId: string): Promise<void> {
  const admin = createClient(env.SUPABASE_URL, env.SUPABASE_SECRET_KEY, {
    auth: { autoRefreshToken: false, persistSession: false, detectSessionInUrl: false },
  }).auth.admin;
  const { error } = await admin.deleteUser(userId);
  if (error && error.code !== "user_not_found")
    throw new Error(`Supabase Auth refused to delete the user: ${error.message}`);
}
