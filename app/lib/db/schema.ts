import { bigint, boolean, index, integer, pgTable, primaryKey, text, timestamp, uuid } from "drizzle-orm/pg-core";

/**
 * Why a config cannot be used now. The first three come from GitHub's webhooks and the tools
 * alike; the person_* ones from the tools, which check the person's own access.
 */
export const INACTIVE_REASONS = [
  "installation_deleted",
  "installation_suspended",
  "repo_removed",
  "person_lost_repo",
  "person_unconfirmed",
] as const;
export type InactiveReason = (typeof INACTIVE_REASONS)[number];

/**
 * One row per user: their GitHub App installation and the ctx repo they picked.
 *
 * The repo columns are nullable although the seed marks them NOT NULL: the seed's own flow
 * saves the installation in the callback and the repo one step later, so a row without a
 * repo is a real state ("installed, repo not chosen yet"). `user_id` is Supabase's
 * `auth.users.id`; there is no foreign key because the local stack has no `auth` schema.
 * Row level security is on with no policies: only the server's database role reads it.
 */
export const userGithubConfigs = pgTable("user_github_configs", {
  id: uuid("id").primaryKey().defaultRandom(),
  userId: uuid("user_id").notNull().unique(),

  installationId: bigint("installation_id", { mode: "number" }).notNull(),
  githubUsername: text("github_username"),

  repoFullName: text("repo_full_name"),
  repoId: bigint("repo_id", { mode: "number" }),
  repoUrl: text("repo_url"),
  defaultBranch: text("default_branch").default("main"),

  isActive: boolean("is_active").notNull().default(true),
  // Why GitHub access stopped, from webhooks; null while active. The dashboard shows the fix.
  inactiveReason: text("inactive_reason", { enum: INACTIVE_REASONS }),
  createdAt: timestamp("created_at", { withTimezone: true }).notNull().defaultNow(),
  updatedAt: timestamp("updated_at", { withTimezone: true }).notNull().defaultNow(),
}).enableRLS();

export type UserGithubConfig = typeof userGithubConfigs.$inferSelect;

/**
 * GitHub webhook deliveries we have handled, by their `X-GitHub-Delivery` GUID, which a
 * redelivery repeats (https://docs.github.com/en/webhooks/using-webhooks/best-practices-for-using-webhooks#use-the-x-github-delivery-header).
 * A row is written in the transaction that applies the delivery, so one that failed halfway
 * leaves none and its redelivery is handled. Rows older than `DELIVERY_RETENTION_DAYS` are
 * removed as new ones come in. Row level security is on with no policies, as above.
 */
export const githubWebhookDeliveries = pgTable(
  "github_webhook_deliveries",
  {
    deliveryId: uuid("delivery_id").primaryKey(),
    handledAt: timestamp("handled_at", { withTimezone: true }).notNull().defaultNow(),
  },
  (table) => [index("github_webhook_deliveries_handled_at_idx").on(table.handledAt)],
).enableRLS();

/**
 * Likely secrets the user's last push would have added, so it was refused
 * (workers/workspace/secret-scan.ts): what `/activity/findings` lists. Replaced on each refusal
 * and emptied once a push goes through. No secret is stored: `excerpt` is its masked line and
 * `fingerprint` a hash of rule, path and a hash of the matched text. Row level security as above.
 */
export const secretFindings = pgTable(
  "secret_findings",
  {
    id: uuid("id").primaryKey().defaultRandom(),
    userId: uuid("user_id").notNull(),
    fingerprint: text("fingerprint").notNull(),
    /** secretlint's rule and message id, e.g. `github/GITHUB_TOKEN`. */
    rule: text("rule").notNull(),
    path: text("path").notNull(),
    line: integer("line").notNull(),
    excerpt: text("excerpt").notNull(),
    commitSha: text("commit_sha").notNull(),
    /** The AI client whose commit added it, from the commit's `Ctx4-Client:` trailer. */
    clientName: text("client_name"),
    refusedAt: timestamp("refused_at", { withTimezone: true }).notNull().defaultNow(),
  },
  (table) => [index("secret_findings_user_id_idx").on(table.userId)],
).enableRLS();

export type SecretFindingRow = typeof secretFindings.$inferSelect;

/**
 * Findings the person allowed from `/activity/findings` (a false positive): a push adding text
 * with one of these fingerprints goes through. Row level security as above.
 */
export const allowedSecretFindings = pgTable(
  "allowed_secret_findings",
  {
    userId: uuid("user_id").notNull(),
    fingerprint: text("fingerprint").notNull(),
    rule: text("rule").notNull(),
    path: text("path").notNull(),
    allowedAt: timestamp("allowed_at", { withTimezone: true }).notNull().defaultNow(),
  },
  (table) => [primaryKey({ columns: [table.userId, table.fingerprint] })],
).enableRLS();
