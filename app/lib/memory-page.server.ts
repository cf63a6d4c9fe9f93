import { type RouterContextProvider, redirect } from "react-router";
import { GitHubAccessError } from "./github/app.server";
import { type MemoryReader, openMemory } from "./github/memory.server";
import { loadUserConfig, nextStep } from "./github-config.server";

/**
 * The signed-in person's memory repo, for the Activity and file pages. The repo is the one in
 * their own config row, never one a URL names, so another person's commits and files are
 * simply not there (the pages answer 404). No repo chosen yet: on to onboarding, as `/me`
 * sends them. GitHub refusing the App access: to `/me`, which names the problem and its fix.
 */
export async function loadMemory(
  context: Readonly<RouterContextProvider>,
  request: Request,
): Promise<{ userId: string; env: Env; email: string; fullName: string; webUrl: string; memory: MemoryReader }> {
  const { user, config, env } = await loadUserConfig(context, request);
  if (!config || config.repoId === null || !config.repoFullName) throw redirect(nextStep(config));
  try {
    const memory = await openMemory(env, {
      installationId: config.installationId,
      repoId: config.repoId,
      fullName: config.repoFullName,
      defaultBranch: config.defaultBranch ?? "main",
      githubUsername: config.githubUsername,
    });
    return {
      userId: user.id,
      env,
      email: user.email,
      fullName: config.repoFullName,
      webUrl: new URL(`/${config.repoFullName}`, env.GITHUB_WEB_URL).toString(),
      memory,
    };
  } catch (error) {
    if (error instanceof GitHubAccessError) throw redirect("/me");
    throw error;
  }
}

/** The 404 every memory page answers for what the person's own repo does not hold. */
export function notFound(): Response {
  return new Response("Not Found", { status: 404 });
}
