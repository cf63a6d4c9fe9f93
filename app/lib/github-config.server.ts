import type { RouterContextProvider } from "react-router";
import { requireUser } from "./auth/session.server";
import { getUserGithubConfig } from "./db/queries.server";
import { workerContext } from "./worker-context";

/** The signed-in user and their GitHub config (if any), for pages behind the sign-in guard. */
export async function loadUserConfig(context: Readonly<RouterContextProvider>, request: Request) {
  const user = await requireUser(context, request);
  const { db, env } = context.get(workerContext);
  const config = (await getUserGithubConfig(db, user.id)) ?? null;
  return { user, config, env, db };
}

/** Where a user belongs in onboarding: the first step not done yet, or the dashboard. */
export function nextStep(config: { repoId: number | null } | null): string {
  if (!config) return "/onboarding/connect-github";
  if (config.repoId === null) return "/onboarding/select-repo";
  return "/me";
}
