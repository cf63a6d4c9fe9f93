import { env } from "cloudflare:workers";
import { afterAll, describe, expect, it } from "vitest";
import { connectDatabase } from "../app/lib/db/client.server";
import { deleteUserGithubConfig, saveInstallation } from "../app/lib/db/queries.server";

const database = connectDatabase(env.HYPERDRIVE.connectionString);
afterAll(() => database.close());

const workspaceOf = (userId: string) => env.USER_WORKSPACE.get(env.USER_WORKSPACE.idFromName(userId));

describe("UserWorkspace", () => {
  it("reads its own user's config from Postgres", async () => {
    const [alice, bob] = [crypto.randomUUID(), crypto.randomUUID()];
    await saveInstallation(database.db, alice, { installationId: 11, githubUsername: "alice" });
    await saveInstallation(database.db, bob, { installationId: 22, githubUsername: "bob" });

    expect(await workspaceOf(alice).config()).toMatchObject({ userId: alice, installationId: 11 });
    expect(await workspaceOf(bob).config()).toMatchObject({ userId: bob, installationId: 22 });
  });

  it("keeps the config it read until told that it changed", async () => {
    const userId = crypto.randomUUID();
    await saveInstallation(database.db, userId, { installationId: 11, githubUsername: "octo" });
    const workspace = workspaceOf(userId);
    expect(await workspace.config()).toMatchObject({ installationId: 11 });

    await deleteUserGithubConfig(database.db, userId);
    expect(await workspace.config()).toMatchObject({ installationId: 11 });

    await workspace.configChanged();
    expect(await workspace.config()).toBeNull();
  });
});
