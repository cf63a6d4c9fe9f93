import { env } from "cloudflare:workers";
import { inArray } from "drizzle-orm";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { connectDatabase } from "./client.server";
import {
  applyInstallationStatus,
  applyReposReachable,
  DELIVERY_RETENTION_DAYS,
  deleteUserGithubConfig,
  getUserGithubConfig,
  recordDelivery,
  saveInstallation,
  saveSelectedRepo,
} from "./queries.server";
import { githubWebhookDeliveries, userGithubConfigs } from "./schema";

let database: ReturnType<typeof connectDatabase>;
beforeEach(() => {
  database = connectDatabase(env.HYPERDRIVE.connectionString);
});
afterEach(() => database.close());

const newUserId = () => crypto.randomUUID();
const repo = {
  repoId: 101,
  repoFullName: "octo/ctx",
  repoUrl: "https://github.com/octo/ctx.git",
  defaultBranch: "trunk",
};

describe("user_github_configs queries", () => {
  it("returns nothing for a user who never connected GitHub", async () => {
    expect(await getUserGithubConfig(database.db, newUserId())).toBeUndefined();
  });

  it("saves an installation, then the chosen repo", async () => {
    const userId = newUserId();
    const installed = await saveInstallation(database.db, userId, { installationId: 7, githubUsername: "octo" });
    expect(installed).toMatchObject({
      userId,
      installationId: 7,
      githubUsername: "octo",
      repoId: null,
      isActive: true,
    });

    await saveSelectedRepo(database.db, userId, repo);
    expect(await getUserGithubConfig(database.db, userId)).toMatchObject({ userId, installationId: 7, ...repo });
  });

  it("keeps one row per user: a second installation updates it", async () => {
    const userId = newUserId();
    await saveInstallation(database.db, userId, { installationId: 7, githubUsername: "octo" });
    await saveInstallation(database.db, userId, { installationId: 8, githubUsername: "octo-org" });

    const config = await getUserGithubConfig(database.db, userId);
    expect(config).toMatchObject({ installationId: 8, githubUsername: "octo-org" });
  });

  it("rejects a second row for the same user", async () => {
    const userId = newUserId();
    await saveInstallation(database.db, userId, { installationId: 7, githubUsername: null });
    await expect(database.db.insert(userGithubConfigs).values({ userId, installationId: 9 })).rejects.toThrow();
  });

  it("keeps the chosen repo when the same installation is updated, and clears it for another one", async () => {
    const userId = newUserId();
    await saveInstallation(database.db, userId, { installationId: 7, githubUsername: "octo" });
    await saveSelectedRepo(database.db, userId, repo);

    await saveInstallation(database.db, userId, { installationId: 7, githubUsername: "octo" });
    expect(await getUserGithubConfig(database.db, userId)).toMatchObject(repo);

    await saveInstallation(database.db, userId, { installationId: 8, githubUsername: "octo" });
    expect(await getUserGithubConfig(database.db, userId)).toMatchObject({
      repoId: null,
      repoFullName: null,
      repoUrl: null,
      defaultBranch: "main",
    });
  });

  it("moves updated_at forward on every change and keeps created_at", async () => {
    const userId = newUserId();
    const first = await saveInstallation(database.db, userId, { installationId: 7, githubUsername: "octo" });
    expect(first.updatedAt.getTime()).toBe(first.createdAt.getTime());

    await new Promise((resolve) => setTimeout(resolve, 20));
    const second = await saveSelectedRepo(database.db, userId, repo);
    expect(second?.createdAt).toEqual(first.createdAt);
    expect(second?.updatedAt.getTime()).toBeGreaterThan(first.updatedAt.getTime());
  });

  it("does not invent a config when choosing a repo without an installation", async () => {
    const userId = newUserId();
    expect(await saveSelectedRepo(database.db, userId, repo)).toBeUndefined();
    expect(await getUserGithubConfig(database.db, userId)).toBeUndefined();
  });

  it("deletes a user's config and only theirs", async () => {
    const [alice, bob] = [newUserId(), newUserId()];
    await saveInstallation(database.db, alice, { installationId: 7, githubUsername: "alice" });
    await saveInstallation(database.db, bob, { installationId: 8, githubUsername: "bob" });

    expect(await deleteUserGithubConfig(database.db, alice)).toBe(true);
    expect(await deleteUserGithubConfig(database.db, alice)).toBe(false);
    expect(await getUserGithubConfig(database.db, alice)).toBeUndefined();
    expect(await getUserGithubConfig(database.db, bob)).toMatchObject({ installationId: 8 });
  });
});

describe("webhook deliveries", () => {
  const record = (deliveryId: string) => database.db.transaction((tx) => recordDelivery(tx, deliveryId));
  const daysAgo = (days: number) => new Date(Date.now() - days * 24 * 60 * 60 * 1000);

  it("records an id once; an id whose transaction failed is not recorded", async () => {
    const handled = crypto.randomUUID();
    expect(await record(handled)).toBe(true);
    expect(await record(handled)).toBe(false);

    const failed = crypto.randomUUID();
    const halfway = database.db.transaction(async (tx) => {
      await recordDelivery(tx, failed);
      throw new Error("GitHub could not be reached");
    });
    await expect(halfway).rejects.toThrow("GitHub could not be reached");
    expect(await record(failed)).toBe(true);
  });

  it(`forgets ids older than ${DELIVERY_RETENTION_DAYS} days as new ones come in`, async () => {
    const [old, recent] = [crypto.randomUUID(), crypto.randomUUID()];
    await database.db.insert(githubWebhookDeliveries).values([
      { deliveryId: old, handledAt: daysAgo(DELIVERY_RETENTION_DAYS + 1) },
      { deliveryId: recent, handledAt: daysAgo(DELIVERY_RETENTION_DAYS - 1) },
    ]);
    await record(crypto.randomUUID());
    const kept = await database.db
      .select({ deliveryId: githubWebhookDeliveries.deliveryId })
      .from(githubWebhookDeliveries)
      .where(inArray(githubWebhookDeliveries.deliveryId, [old, recent]));
    expect(kept).toEqual([{ deliveryId: recent }]);
  });
});

describe("applying GitHub's state to configs", () => {
  it("keeps a removed repo flagged through a suspension, lets an uninstall override it, and clears only installation problems", async () => {
    const installationId = 80_000_000 + Math.floor(Math.random() * 1_000_000);
    const [chose, other] = [newUserId(), newUserId()];
    for (const [userId, repoId] of [
      [chose, 101],
      [other, 102],
    ] as const) {
      await saveInstallation(database.db, userId, { installationId, githubUsername: "octo" });
      await saveSelectedRepo(database.db, userId, { ...repo, repoId });
    }
    const apply = (step: Parameters<typeof applyInstallationStatus>[2] | "removed") =>
      database.db.transaction((tx) =>
        step === "removed"
          ? applyReposReachable(tx, installationId, [101], false)
          : applyInstallationStatus(tx, installationId, step),
      );
    const reasons = async () => [
      (await getUserGithubConfig(database.db, chose))?.inactiveReason,
      (await getUserGithubConfig(database.db, other))?.inactiveReason,
    ];

    expect(await apply("removed")).toEqual([{ userId: chose }]);
    expect(await apply("suspended")).toEqual([{ userId: other }]);
    expect(await reasons()).toEqual(["repo_removed", "installation_suspended"]);
    expect(await apply("suspended")).toEqual([]);

    expect(await apply("active")).toEqual([{ userId: other }]);
    expect(await reasons()).toEqual(["repo_removed", null]);
    expect(await apply("active")).toEqual([]);

    expect(await apply("deleted")).toHaveLength(2);
    expect(await reasons()).toEqual(["installation_deleted", "installation_deleted"]);
  });
});
