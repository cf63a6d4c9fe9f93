import { loadUserConfig } from "../lib/github-config.server";
import { userGitHubRepos } from "../lib/user-workspace.server";
import type { Route } from "./+types/api.github.repos";

const PROBLEMS = {
  "needs-authorization": [403, "GitHub needs to confirm your account again: open /onboarding/select-repo."],
  "no-access": [403, "Your GitHub account cannot access the connected installation."],
  failed: [502, "GitHub did not list the installation's repositories."],
} as const;

/** The repos of the signed-in user's installation that their GitHub account can open, all pages, as JSON. */
export async function loader({ request, context }: Route.LoaderArgs) {
  const { user, config, env } = await loadUserConfig(context, request);
  const headers = { "Cache-Control": "private, no-store" };
  if (!config) return Response.json({ error: "GitHub is not connected." }, { status: 409, headers });
  const listed = await userGitHubRepos(env, user.id, config.installationId);
  if (listed.ok) return Response.json({ repositories: listed.repos }, { headers });
  const [status, error] = PROBLEMS[listed.problem];
  return Response.json({ error }, { status, headers });
}
