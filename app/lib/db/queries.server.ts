import { and, eq, inArray, sql } from "drizzle-orm";
import type { AnyPgColumn } from "drizzle-orm/pg-core";
import type { Database } from "./client.server";
import { type InactiveReason, type UserGithubConfig, userGithubConfigs } from "./schema";

export type Installation = {
  installationId: number;
  githubUsername: string | null;
};

export type SelectedRepo = {
  repoId: number;
  repoFullName: string;
  repoUrl: string;
  defaultBranch: string;
};

export async function getUserGithubConfig(db: Database, userId: string): Promise<UserGithubConfig | undefined> {
  const [row] = await db.select().from(userGithubConfigs).where(eq(userGithubConfigs.userId, userId));
  return row;
}

/**
 * Records the user's installation. Re-installing the same installation (GitHub's
 * `setup_action=update`) keeps the chosen repo; a different installation clears it, since
 * the old repo may not be reachable through the new one.
 */
export async function saveInstallation(db: Database, userId: string, installation: Installation) {
  const keepIfSameInstallation = (column: AnyPgColumn, otherwise = sql`null`) =>
    sql`case when ${userGithubConfigs.installationId} = excluded.installation_id then ${column} else ${otherwise} end`;
  const [row] = await db
    .insert(userGithubConfigs)
    .values({ userId, ...installation })
    .onConflictDoUpdate({
      target: userGithubConfigs.userId,
      set: {
        installationId: installation.installationId,
        githubUsername: installation.githubUsername,
        repoId: keepIfSameInstallation(userGithubConfigs.repoId),
        repoFullName: keepIfSameInstallation(userGithubConfigs.repoFullName),
        repoUrl: keepIfSameInstallation(userGithubConfigs.repoUrl),
        defaultBranch: keepIfSameInstallation(userGithubConfigs.defaultBranch, sql`'main'`),
        isActive: true,
        inactiveReason: null,
        updatedAt: sql`now()`,
      },
    })
    .returning();
  return row as UserGithubConfig;
}

/** Stores the repo the user picked. Returns nothing when the user has no installation yet. */
export async function saveSelectedRepo(
  db: Database,
  userId: string,
  repo: SelectedRepo,
): Promise<UserGithubConfig | undefined> {
  const [row] = await db
    .update(userGithubConfigs)
    .set({ ...repo, isActive: true, inactiveReason: null, updatedAt: sql`now()` })
    .where(eq(userGithubConfigs.userId, userId))
    .returning();
  return row;
}

/** Forgets the user's GitHub connection. Returns whether there was one. */
export async function deleteUserGithubConfig(db: Database, userId: string): Promise<boolean> {
  const rows = await db
    .delete(userGithubConfigs)
    .where(eq(userGithubConfigs.userId, userId))
    .returning({ id: userGithubConfigs.id });
  return rows.length > 0;
}

const affectedUsers = { userId: userGithubConfigs.userId };

/**
 * Records that GitHub access stopped (from a webhook). Returns the users affected. Applying
 * the same event twice changes nothing more, so duplicate deliveries are harmless.
 */
export async function markInstallationInactive(db: Database, installationId: number, reason: InactiveReason) {
  return db
    .update(userGithubConfigs)
    .set({ isActive: false, inactiveReason: reason, updatedAt: sql`now()` })
    .where(eq(userGithubConfigs.installationId, installationId))
    .returning(affectedUsers);
}

/** The installation is usable again (unsuspended): re-activates rows it had suspended. */
export async function markInstallationUnsuspended(db: Database, installationId: number) {
  return db
    .update(userGithubConfigs)
    .set({ isActive: true, inactiveReason: null, updatedAt: sql`now()` })
    .where(
      and(
        eq(userGithubConfigs.installationId, installationId),
        eq(userGithubConfigs.inactiveReason, "installation_suspended"),
      ),
    )
    .returning(affectedUsers);
}

/** Repos were taken out of (or put back into) an installation: flags or clears the users who picked them. */
export async function markReposReachable(db: Database, installationId: number, repoIds: number[], reachable: boolean) {
  if (repoIds.length === 0) return [];
  return db
    .update(userGithubConfigs)
    .set(
      reachable
        ? { isActive: true, inactiveReason: null, updatedAt: sql`now()` }
        : { isActive: false, inactiveReason: "repo_removed", updatedAt: sql`now()` },
    )
    .where(
      and(
        eq(userGithubConfigs.installationId, installationId),
        inArray(userGithubConfigs.repoId, repoIds),
        reachable ? eq(userGithubConfigs.inactiveReason, "repo_removed") : sql`true`,
      ),
    )
    .returning(affectedUsers);
}
