/** The user's own Durable Object: the only way to reach their install state, config cache and sandbox. */
export function userWorkspace(env: Env, userId: string) {
  return env.USER_WORKSPACE.get(env.USER_WORKSPACE.idFromName(userId));
}
