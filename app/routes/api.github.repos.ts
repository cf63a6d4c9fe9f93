import { listInstallationRepos } from "../lib/github/app.server";
import { loadUserConfig } from "../lib/github-config.server";
import type { Route } from "./+types/api.github.repos";

/** The signed-in user's installation's repositories, all pages, as JSON. */
export async function loader({ request, context }: Route.LoaderArgs) {
  const { config, env } = await loadUserConfig(context, request);
  const headers = { "Cache-Control": "private, no-store" };
  if (!config) return Response.json({ error: "GitHub is not connected." }, { status: 409, headers });
  try {
    const repositories = await listInstallationRepos(env, config.installationId);
    return Response.json({ repositories }, { headers });
  } catch {
    return Response.json({ error: "GitHub did not list the installation's repositories." }, { status: 502, headers });
  }
}
