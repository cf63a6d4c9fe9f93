/** The user's own Durable Object: the only way to reach their install state, config cache and sandbox. */
export function userWorkspace(env: Env, userId: string) {
  return env.USER_WORKSPACE.get(env.USER_WORKSPACE.idFromName(userId));
}

/**
 * The installation's repos the person's GitHub account can open, as their Durable Object
 * lists them with the user token it keeps: `needs-authorization` when GitHub must confirm
 * who they are again, `no-access` when their GitHub account cannot access the installation,
 * `failed` when GitHub did not answer.
 */
export async function userGitHubRepos(env: Env, userId: string, installationId: number) {
  try {
    return await userWorkspace(env, userId).githubUserRepos(installationId);
  } catch {
    return { ok: false, problem: "failed" } as const;
  }
}
