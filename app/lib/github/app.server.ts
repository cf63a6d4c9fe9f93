import { App } from "@octokit/app";
import { Octokit } from "@octokit/core";
import { paginateRest } from "@octokit/plugin-paginate-rest";

/**
 * Everything we ask of GitHub, as the ctx4-ai GitHub App. Base URLs come from configuration
 * only (api.github.com in production, the local emulator in development and tests).
 */
export type GitHubEnv = Pick<
  Env,
  "GITHUB_API_URL" | "GITHUB_APP_ID" | "GITHUB_APP_PRIVATE_KEY" | "GITHUB_APP_CLIENT_ID" | "GITHUB_APP_CLIENT_SECRET"
>;

export type InstallationRepo = {
  id: number;
  fullName: string;
  cloneUrl: string;
  htmlUrl: string;
  defaultBranch: string;
  private: boolean;
};

const PaginatingOctokit = Octokit.plugin(paginateRest);

export function createGitHubApp(env: GitHubEnv) {
  return new App({
    appId: env.GITHUB_APP_ID,
    privateKey: env.GITHUB_APP_PRIVATE_KEY,
    oauth: { clientId: env.GITHUB_APP_CLIENT_ID, clientSecret: env.GITHUB_APP_CLIENT_SECRET },
    Octokit: PaginatingOctokit.defaults({ baseUrl: env.GITHUB_API_URL }),
  });
}

/** Exchanges the `code` GitHub sent to our callback for a user access token. */
export async function exchangeUserCode(env: GitHubEnv, code: string): Promise<string> {
  const { authentication } = await createGitHubApp(env).oauth.createToken({ code });
  return authentication.token;
}

/**
 * The installation, if this GitHub user can access it. GitHub's docs warn that the
 * `installation_id` on the setup URL can be spoofed; only this list is proof.
 */
export async function findUserInstallation(env: GitHubEnv, userToken: string, installationId: number) {
  const octokit = new PaginatingOctokit({ auth: userToken, baseUrl: env.GITHUB_API_URL });
  const installations = await octokit.paginate("GET /user/installations", { per_page: 100 });
  const installation = installations.find((candidate) => candidate.id === installationId);
  if (!installation) return undefined;
  const { data: user } = await octokit.request("GET /user");
  const account = installation.account && "login" in installation.account ? installation.account.login : null;
  return { id: installation.id, account, githubUsername: user.login };
}

/** Every repo the installation can reach, across all pages. */
export async function listInstallationRepos(env: GitHubEnv, installationId: number): Promise<InstallationRepo[]> {
  const octokit = await createGitHubApp(env).getInstallationOctokit(installationId);
  const repos = await octokit.paginate("GET /installation/repositories", { per_page: 100 });
  return repos.map((repo) => ({
    id: Number(repo.id),
    fullName: repo.full_name,
    cloneUrl: repo.clone_url,
    htmlUrl: repo.html_url,
    defaultBranch: repo.default_branch,
    private: repo.private,
  }));
}
