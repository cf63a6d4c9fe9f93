import { env } from "cloudflare:workers";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { connectDatabase } from "./client.server";
import { deleteUserGithubConfig, getUserGithubConfig, saveInstallation, saveSelectedRepo } from "./queries.server";
import { userGithubConfigs } from "./schema";

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
