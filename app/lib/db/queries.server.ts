import { and, desc, eq, inArray, isNull, lt, ne, or, type SQL, sql } from "drizzle-orm";
import type { AnyPgColumn } from "drizzle-orm/pg-core";
import type { InstallationStatus } from "../github/app.server";
import type { Database, Transaction } from "./client.server";
import {
  allowedSecretFindings,
  githubWebhookDeliveries,
  type InactiveReason,
  type SecretFindingRow,
  secretFindings,
  type UserGithubConfig,
  userGithubConfigs,
} from "./schema";

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

/** A config once its installation is known to reach its chosen repo, or not (`repo_removed`). */
const repoReach = (reachable: boolean) =>
  reachable
    ? { isActive: true, inactiveReason: null, updatedAt: sql`now()` }
    : { isActive: false, inactiveReason: "repo_removed" as const, updatedAt: sql`now()` };

/**
 * Records whether the user's installation reaches `repoId`, when it is still their chosen
 * repo: unreachable marks the config inactive (`repo_removed`), reachable clears that mark
 * (and only that one). Returns the updated config, or undefined when nothing was updated.
 */
export async function markRepoReach(
  db: Database,
  userId: string,
  repoId: number,
  reachable: boolean,
): Promise<UserGithubConfig | undefined> {
  const [row] = await db
    .update(userGithubConfigs)
    .set(repoReach(reachable))
    .where(
      and(
        eq(userGithubConfigs.userId, userId),
        eq(userGithubConfigs.repoId, repoId),
        reachable ? eq(userGithubConfigs.inactiveReason, "repo_removed") : undefined,
      ),
    )
    .returning();
  return row;
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

/**
 * Records what GitHub now says of the chosen repo (renamed, transferred, another default
 * branch), only if it is still the chosen one. Returns the updated config, or undefined.
 */
export async function updateSelectedRepo(
  db: Database,
  userId: string,
  repo: SelectedRepo,
): Promise<UserGithubConfig | undefined> {
  const [row] = await db
    .update(userGithubConfigs)
    .set({
      repoFullName: repo.repoFullName,
      repoUrl: repo.repoUrl,
      defaultBranch: repo.defaultBranch,
      updatedAt: sql`now()`,
    })
    .where(and(eq(userGithubConfigs.userId, userId), eq(userGithubConfigs.repoId, repo.repoId)))
    .returning();
  return row;
}

/**
 * Records what a tool found when it asked GitHub for access to the chosen repo: `reason`, or
 * null when access works (which clears any problem recorded before, by a webhook or a tool).
 * Only for the repo still chosen. Returns the updated config, or undefined.
 */
export async function recordAccess(
  db: Database,
  userId: string,
  repoId: number,
  reason: InactiveReason | null,
): Promise<UserGithubConfig | undefined> {
  const [row] = await db
    .update(userGithubConfigs)
    .set({ isActive: reason === null, inactiveReason: reason, updatedAt: sql`now()` })
    .where(and(eq(userGithubConfigs.userId, userId), eq(userGithubConfigs.repoId, repoId)))
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

/**
 * Deletes every row of the user's, when they delete their account: `user_github_configs`,
 * `secret_findings` and `allowed_secret_findings` (`github_webhook_deliveries` holds delivery ids
 * only); a new table keyed by user belongs here too (app/routes/account.delete.test.ts checks
 * every table with a `user_id`). Returns how many rows went: none on a retry.
 */
export async function deleteUserRows(db: Database, userId: string): Promise<number> {
  const [configs, findings, allowed] = await Promise.all([
    db.delete(userGithubConfigs).where(eq(userGithubConfigs.userId, userId)).returning({ id: userGithubConfigs.id }),
    db.delete(secretFindings).where(eq(secretFindings.userId, userId)).returning({ id: secretFindings.id }),
    db
      .delete(allowedSecretFindings)
      .where(eq(allowedSecretFindings.userId, userId))
      .returning({ id: allowedSecretFindings.fingerprint }),
  ]);
  return configs.length + findings.length + allowed.length;
}

/** A finding as the workspace records it (no secret in it: see `secret_findings`). */
export type NewSecretFinding = Omit<SecretFindingRow, "id" | "userId" | "refusedAt">;

/** The user's current refused findings become `findings` (none: a push went through). */
export async function replaceSecretFindings(db: Database, userId: string, findings: NewSecretFinding[]): Promise<void> {
  await db.transaction(async (tx) => {
    await tx.delete(secretFindings).where(eq(secretFindings.userId, userId));
    if (findings.length) await tx.insert(secretFindings).values(findings.map((finding) => ({ ...finding, userId })));
  });
}

/** The user's current refused findings, newest first. */
export async function listSecretFindings(db: Database, userId: string): Promise<SecretFindingRow[]> {
  return db
    .select()
    .from(secretFindings)
    .where(eq(secretFindings.userId, userId))
    .orderBy(desc(secretFindings.refusedAt), secretFindings.path, secretFindings.line);
}

/** The fingerprints the user allowed. */
export async function allowedFingerprints(db: Database, userId: string): Promise<Set<string>> {
  const rows = await db
    .select({ fingerprint: allowedSecretFindings.fingerprint })
    .from(allowedSecretFindings)
    .where(eq(allowedSecretFindings.userId, userId));
  return new Set(rows.map((row) => row.fingerprint));
}

/**
 * Allows the user's finding `findingId` (its fingerprint, from now on) and removes it from the
 * refused list. Returns it, or undefined when the user has no such finding (another user's
 * included), which the page answers with 404.
 */
export async function allowSecretFinding(
  db: Database,
  userId: string,
  findingId: string,
): Promise<SecretFindingRow | undefined> {
  return db.transaction(async (tx) => {
    const [finding] = await tx
      .delete(secretFindings)
      .where(and(eq(secretFindings.userId, userId), eq(secretFindings.id, findingId)))
      .returning();
    if (!finding) return undefined;
    await tx
      .insert(allowedSecretFindings)
      .values({ userId, fingerprint: finding.fingerprint, rule: finding.rule, path: finding.path })
      .onConflictDoNothing();
    // The same text may be listed twice (two lines, or two commits): one Allow covers them all.
    await tx
      .delete(secretFindings)
      .where(and(eq(secretFindings.userId, userId), eq(secretFindings.fingerprint, finding.fingerprint)));
    return finding;
  });
}

const affectedUsers = { userId: userGithubConfigs.userId };

/**
 * How long a handled delivery id is remembered. GitHub redelivers (same id) only deliveries of
 * the past 3 days (https://docs.github.com/en/webhooks/testing-and-troubleshooting-webhooks/redelivering-webhooks);
 * a week leaves room for clocks and slow redeliveries. An older replay is still harmless:
 * every change is confirmed with GitHub before it is applied.
 */
export const DELIVERY_RETENTION_DAYS = 7;

/**
 * Records a webhook delivery as handled, in the transaction that applies it; returns false
 * when the id was already recorded (nothing to do). A delivery of the same id still being
 * applied elsewhere makes this wait for its end. Also removes ids older than
 * `DELIVERY_RETENTION_DAYS`, so the table holds about a week of deliveries.
 */
export async function recordDelivery(tx: Transaction, deliveryId: string): Promise<boolean> {
  await tx
    .delete(githubWebhookDeliveries)
    .where(lt(githubWebhookDeliveries.handledAt, sql`now() - make_interval(days => ${DELIVERY_RETENTION_DAYS})`));
  const inserted = await tx
    .insert(githubWebhookDeliveries)
    .values({ deliveryId })
    .onConflictDoNothing()
    .returning({ deliveryId: githubWebhookDeliveries.deliveryId });
  return inserted.length > 0;
}

/** Un-records a delivery whose effects could not all be applied, so that its redelivery is handled. */
export async function forgetDelivery(db: Database, deliveryId: string): Promise<void> {
  await db.delete(githubWebhookDeliveries).where(eq(githubWebhookDeliveries.deliveryId, deliveryId));
}

/**
 * Holds the installation's lock until the transaction ends, so that deliveries about one
 * installation apply what GitHub said in the order they asked it: otherwise an older answer
 * could be written over a newer one.
 */
export async function lockInstallation(tx: Transaction, installationId: number): Promise<void> {
  await tx.execute(sql`select pg_advisory_xact_lock(${installationId}::bigint)`);
}

/**
 * Applies the installation's status to every config on it and returns the users whose config
 * changed. Deleted overrides any other problem; suspended leaves a removed repo flagged (it
 * will still be removed after unsuspending); active clears only installation problems.
 */
export async function applyInstallationStatus(tx: Transaction, installationId: number, status: InstallationStatus) {
  const reason = userGithubConfigs.inactiveReason;
  const change = {
    deleted: { to: "installation_deleted", where: or(isNull(reason), ne(reason, "installation_deleted")) },
    suspended: { to: "installation_suspended", where: or(isNull(reason), eq(reason, "installation_deleted")) },
    active: { to: null, where: inArray(reason, ["installation_deleted", "installation_suspended"]) },
  } as const satisfies Record<InstallationStatus, { to: InactiveReason | null; where: SQL | undefined }>;
  const { to, where } = change[status];
  return tx
    .update(userGithubConfigs)
    .set({ isActive: to === null, inactiveReason: to, updatedAt: sql`now()` })
    .where(and(eq(userGithubConfigs.installationId, installationId), where))
    .returning(affectedUsers);
}

/** Which of `repoIds` some user on the installation has chosen. */
export async function chosenRepoIds(tx: Transaction, installationId: number, repoIds: number[]): Promise<number[]> {
  if (repoIds.length === 0) return [];
  const rows = await tx
    .selectDistinct({ repoId: userGithubConfigs.repoId })
    .from(userGithubConfigs)
    .where(and(eq(userGithubConfigs.installationId, installationId), inArray(userGithubConfigs.repoId, repoIds)));
  return rows.flatMap((row) => (row.repoId === null ? [] : [row.repoId]));
}

/**
 * The installation (active) can or cannot reach these repos now: flags or clears the users who
 * chose them, and returns the users whose config changed.
 */
export async function applyReposReachable(
  tx: Transaction,
  installationId: number,
  repoIds: number[],
  reachable: boolean,
) {
  if (repoIds.length === 0) return [];
  return tx
    .update(userGithubConfigs)
    .set(repoReach(reachable))
    .where(
      and(
        eq(userGithubConfigs.installationId, installationId),
        inArray(userGithubConfigs.repoId, repoIds),
        reachable ? eq(userGithubConfigs.inactiveReason, "repo_removed") : isNull(userGithubConfigs.inactiveReason),
      ),
    )
    .returning(affectedUsers);
}
