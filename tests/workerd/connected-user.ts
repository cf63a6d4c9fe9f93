import { runInDurableObject } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { connectDatabase } from "../../app/lib/db/client.server";
import { getUserGithubConfig, saveInstallation, saveSelectedRepo } from "../../app/lib/db/queries.server";
import { exchangeUserCode } from "../../app/lib/github/app.server";
import { openSandbox } from "../../workers/sandbox/open-sandbox";
import { githubControl } from "./visitor";

/** The user's own Durable Object, as the Worker addresses it. */
export const workspaceOf = (userId: string) => env.USER_WORKSPACE.get(env.USER_WORKSPACE.idFromName(userId));

export type StoredUserToken = { token: string; refreshToken: string; expiresAt: number };

/**
 * The GitHub user token a user's Durable Object keeps (`workers/github-user.ts`), if any,
 * as it was before `change` (when given) rewrote it.
 */
export function storedUserToken(userId: string, change?: (token: StoredUserToken) => StoredUserToken) {
  return runInDurableObject(workspaceOf(userId), async (_instance, state) => {
    const stored = await state.storage.get<StoredUserToken>("github-user-token");
    if (stored && change) await state.storage.put("github-user-token", change(stored));
    return stored;
  });
}

/**
 * A user who finished onboarding, without the browser: a fresh GitHub account with one repo
 * (`ctx` template, one README, or empty), the App installed on it, and their config saved in
 * Postgres as the web flow saves it.
 */
export async function connectedUser(content: "ctx" | "readme" | "empty" = "ctx") {
  const control = githubControl();
  const login = `user-${crypto.randomUUID().slice(0, 8)}`;
  await control.createAccount({ login, type: "User" });
  const repo = await control.createRepo(login, "ctx", content);
  const installation = await control.createInstallation(login, {
    repository_selection: "selected",
    repositories: [repo.name],
  });
  const userId = crypto.randomUUID();
  await saveConfig(userId, installation.id, login, repo);
  return { userId, login, repo, installation, control, workspace: workspaceOf(userId) };
}

/**
 * Saves a user's installation and chosen repo, as the callback and the repo picker do, and
 * keeps `login`'s GitHub user token in their object, as pressing Link does: the tools confirm
 * with it that the person can still open the repo.
 */
export async function saveConfig(
  userId: string,
  installationId: number,
  login: string,
  repo: { id: number; full_name: string; clone_url: string },
) {
  const { code } = await githubControl().oauthCode(login);
  const token = await exchangeUserCode(env, code);
  const sessionId = crypto.randomUUID();
  const workspace = workspaceOf(userId);
  const held = await workspace.holdGitHubLink(
    { installationId, account: login, githubUsername: login },
    token,
    sessionId,
  );
  const settled = await workspace.settleGitHubLink(held, sessionId, "link");
  if (settled.outcome !== "linked") throw new Error(`linking @${login} ended ${settled.outcome}`);
  const database = connectDatabase(env.HYPERDRIVE.connectionString);
  try {
    await saveInstallation(database.db, userId, { installationId, githubUsername: login });
    await saveSelectedRepo(database.db, userId, {
      repoId: repo.id,
      repoFullName: repo.full_name,
      repoUrl: repo.clone_url,
      defaultBranch: "main",
    });
  } finally {
    await database.close();
  }
}

/**
 * Runs a shell command in the user's sandbox directly, outside any tool call: what a command
 * whose commit-and-push never happened (the object evicted in between, a crash) leaves behind.
 * git in it reaches nothing.
 */
export async function execInSandbox(userId: string, command: string): Promise<string> {
  const refuse = async () => new Response("no route in this test", { status: 403 });
  const result = await openSandbox(env, userId, refuse).exec({ command, timeoutMs: 10_000, maxOutputBytes: 65_536 });
  if (result.exitCode !== 0) throw new Error(`sandbox exec failed (${result.exitCode}): ${result.stderr}`);
  return result.stdout;
}

/** The user's GitHub config as stored in Postgres now. */
export async function configOfUser(userId: string) {
  const database = connectDatabase(env.HYPERDRIVE.connectionString);
  try {
    return await getUserGithubConfig(database.db, userId);
  } finally {
    await database.close();
  }
}
