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

/**
 * A user access token (`ghu_`) and what renews it. GitHub Apps' user tokens last 8 hours and
 * their refresh token 6 months, both as epoch milliseconds here; an App that opted out of
 * expiring tokens gets neither time nor refresh token (null).
 */
export type UserToken = {
  token: string;
  expiresAt: number | null;
  refreshToken: string | null;
  refreshTokenExpiresAt: number | null;
};

function userToken(authentication: {
  token: string;
  expiresAt?: string;
  refreshToken?: string;
  refreshTokenExpiresAt?: string;
}): UserToken {
  return {
    token: authentication.token,
    expiresAt: authentication.expiresAt ? Date.parse(authentication.expiresAt) : null,
    refreshToken: authentication.refreshToken ?? null,
    refreshTokenExpiresAt: authentication.refreshTokenExpiresAt
      ? Date.parse(authentication.refreshTokenExpiresAt)
      : null,
  };
}

/** Exchanges the `code` GitHub sent to our callback for a user access token. Throws when GitHub refuses the code. */
export async function exchangeUserCode(env: GitHubEnv, code: string): Promise<UserToken> {
  const { authentication } = await createGitHubApp(env).oauth.createToken({ code });
  return userToken(authentication);
}

/**
 * A new user token and refresh token for a refresh token, which GitHub then retires together
 * with the user token issued with it. `"refused"` when GitHub refuses the refresh token (used,
 * expired, or the person revoked the App's authorization: GitHub's error body, which Octokit
 * raises with status 400); anything else throws.
 * https://docs.github.com/apps/creating-github-apps/authenticating-with-a-github-app/refreshing-user-access-tokens
 */
export async function refreshUserToken(env: GitHubEnv, refreshToken: string): Promise<UserToken | "refused"> {
  try {
    const { authentication } = await createGitHubApp(env).oauth.refreshToken({ refreshToken });
    return userToken(authentication);
  } catch (error) {
    if (httpStatus(error) === 400) return "refused";
    throw error;
  }
}

/**
 * Revokes a user token at GitHub ("Delete an app token", `DELETE /applications/{client_id}/token`
 * with the App's client id and secret as Basic authentication,
 * https://docs.github.com/rest/apps/oauth-applications#delete-an-app-token). A token GitHub no
 * longer knows (404: revoked, expired, or the person removed the App's authorization) counts as
 * revoked; anything else throws.
 */
export async function revokeUserToken(env: GitHubEnv, token: string): Promise<void> {
  try {
    await createGitHubApp(env).oauth.deleteToken({ token });
  } catch (error) {
    if (httpStatus(error) !== 404) throw error;
  }
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

/**
 * The installation's repos this GitHub user can open, across all pages: GitHub's "List
 * repositories accessible to the user access token", the repos both the App and the user can
 * access (for a personal installation, all of its repos; for an organisation's, only those the
 * member may open). With `until`, no further page is read once a repo on the last one matches
 * it. `"token-refused"` when GitHub refuses the token (401: expired, revoked or the
 * authorization removed), `"no-access"` when this user cannot access the installation (404);
 * anything else throws.
 * https://docs.github.com/rest/apps/installations#list-repositories-accessible-to-the-user-access-token
 */
export async function listUserInstallationRepos(
  env: GitHubEnv,
  userToken: string,
  installationId: number,
  until?: (repo: InstallationRepo) => boolean,
): Promise<InstallationRepo[] | "token-refused" | "no-access"> {
  const octokit = new PaginatingOctokit({ auth: userToken, baseUrl: env.GITHUB_API_URL });
  try {
    return await octokit.paginate(
      "GET /user/installations/{installation_id}/repositories",
      { installation_id: installationId, per_page: 100 },
      (response, done) => {
        const repos = response.data.map(installationRepo);
        if (until && repos.some(until)) done();
        return repos;
      },
    );
  } catch (error) {
    const status = httpStatus(error);
    if (status === 401) return "token-refused";
    if (status === 404) return "no-access";
    throw error;
  }
}

/**
 * The repo with id `repoId` as GitHub describes it now (its full name and default branch may
 * have changed since it was chosen: a rename, a transfer, a renamed default branch), read with
 * an installation token narrowed to it, which lists exactly that repo
 * (https://docs.github.com/rest/apps/installations#list-repositories-accessible-to-the-app-installation).
 * Undefined when the token no longer reaches it.
 */
export async function findTokenRepo(
  env: GitHubEnv,
  token: string,
  repoId: number,
): Promise<InstallationRepo | undefined> {
  const octokit = new PaginatingOctokit({ auth: token, baseUrl: env.GITHUB_API_URL });
  const repos = await octokit.paginate("GET /installation/repositories", { per_page: 100 });
  const repo = repos.find((candidate) => Number(candidate.id) === repoId);
  return repo && installationRepo(repo);
}

/** A repository as GitHub's REST API describes it, in our shape. */
function installationRepo(repo: {
  id: number | bigint;
  full_name: string;
  clone_url: string;
  html_url: string;
  default_branch: string;
  private: boolean;
}): InstallationRepo {
  return {
    id: Number(repo.id),
    fullName: repo.full_name,
    cloneUrl: repo.clone_url,
    htmlUrl: repo.html_url,
    defaultBranch: repo.default_branch,
    private: repo.private,
  };
}

export type RepoToken = { token: string; expiresAt: number };

export type GitHubAccessProblem =
  | "installation_missing"
  | "installation_suspended"
  | "repo_unreachable"
  | "person_lost_repo"
  | "person_unconfirmed";

/** GitHub refused us access to the user's repo; the message says what the person can do about it. */
export class GitHubAccessError extends Error {
  override readonly name = "GitHubAccessError";
  constructor(
    readonly problem: GitHubAccessProblem,
    message: string,
  ) {
    super(message);
  }
}

const NOT_INSTALLED: [GitHubAccessProblem, string] = [
  "installation_missing",
  "The ctx4-ai GitHub App is no longer installed on your account. Install it again from your ctx4-ai dashboard.",
];
const SUSPENDED: [GitHubAccessProblem, string] = [
  "installation_suspended",
  "The ctx4-ai GitHub App is suspended on your account. Unsuspend it in GitHub's settings (Applications).",
];
const UNREACHABLE: [GitHubAccessProblem, string] = [
  "repo_unreachable",
  "The ctx4-ai GitHub App can no longer reach your repository (it was removed from the installation or deleted). Fix access or choose another repository on your ctx4-ai dashboard.",
];
const ACCESS_PROBLEMS: Record<number, [GitHubAccessProblem, string]> = {
  404: NOT_INSTALLED,
  403: SUSPENDED,
  422: UNREACHABLE,
};

/** What minting a token says of a repo the installation no longer reaches. */
export const repoUnreachableError = () => new GitHubAccessError(...UNREACHABLE);

/**
 * A fresh installation token that reaches only the one repo, with `contents: write` (or
 * `read`, for pages that only read) and nothing else (GitHub adds `metadata: read`). Valid for an hour.
 */
export async function mintRepoToken(
  env: GitHubEnv,
  installationId: number,
  repoId: number,
  contents: "read" | "write" = "write",
): Promise<RepoToken> {
  try {
    const { data } = await createGitHubApp(env).octokit.request(
      "POST /app/installations/{installation_id}/access_tokens",
      { installation_id: installationId, repository_ids: [repoId], permissions: { contents } },
    );
    return { token: data.token, expiresAt: Date.parse(data.expires_at) };
  } catch (error) {
    const problem = ACCESS_PROBLEMS[httpStatus(error) ?? 0];
    if (problem) throw new GitHubAccessError(...problem);
    throw error;
  }
}

/** What GitHub says of an installation now. */
export type InstallationStatus = "active" | "suspended" | "deleted";

/**
 * Asks GitHub, as the App, how the installation stands now:
 * `GET /app/installations/{installation_id}` (https://docs.github.com/en/rest/apps/apps#get-an-installation-for-the-authenticated-app).
 * 404 is deleted, a `suspended_at` is suspended, anything else found is active. Throws when
 * GitHub cannot be reached, answers otherwise, or `signal` aborts first.
 */
export async function installationStatus(
  env: GitHubEnv,
  installationId: number,
  signal?: AbortSignal,
): Promise<InstallationStatus> {
  try {
    const { data } = await createGitHubApp(env).octokit.request("GET /app/installations/{installation_id}", {
      installation_id: installationId,
      request: { signal },
    });
    return data.suspended_at ? "suspended" : "active";
  } catch (error) {
    if (httpStatus(error) === 404) return "deleted";
    throw error;
  }
}

/**
 * Whether an active installation reaches the repo now, with the access our tools need. It asks
 * exactly what the tools ask (a token for this repo id, `contents: write`): one App request,
 * whatever the number of repos the installation holds, and by id, so a rename changes nothing
 * (https://docs.github.com/en/rest/apps/apps#create-an-installation-access-token-for-an-app:
 * 422 when the installation cannot reach the repo). The token is revoked at once
 * (https://docs.github.com/en/rest/apps/installations#revoke-an-installation-access-token).
 * Throws when GitHub cannot be reached or answers otherwise (the installation was suspended or
 * deleted meanwhile included).
 */
export async function reachesRepo(env: GitHubEnv, installationId: number, repoId: number): Promise<boolean> {
  let token: string;
  try {
    ({ token } = await mintRepoToken(env, installationId, repoId));
  } catch (error) {
    if (error instanceof GitHubAccessError && error.problem === "repo_unreachable") return false;
    throw error;
  }
  // The answer stands either way; a token not revoked expires within the hour, unseen.
  await new Octokit({ auth: token, baseUrl: env.GITHUB_API_URL })
    .request("DELETE /installation/token")
    .catch(() => undefined);
  return true;
}

export type BotIdentity = { name: string; email: string };

/**
 * Who our commits are by: the App's bot user, with the noreply address GitHub links to it
 * (`<id>+<slug>[bot]@users.noreply.github.com`). Any token may read it; we use the
 * installation's so the call counts against its rate limit rather than an anonymous one.
 */
export async function findBotIdentity(env: Pick<Env, "GITHUB_API_URL" | "GITHUB_APP_SLUG">, token: string) {
  const octokit = new Octokit({ auth: token, baseUrl: env.GITHUB_API_URL });
  const { data } = await octokit.request("GET /users/{username}", { username: `${env.GITHUB_APP_SLUG}[bot]` });
  return { name: data.login, email: `${data.id}+${data.login}@users.noreply.github.com` } satisfies BotIdentity;
}

/** The HTTP status Octokit's error carries, if any. */
export function httpStatus(error: unknown): number | undefined {
  if (typeof error !== "object" || error === null || !("status" in error)) return undefined;
  return typeof error.status === "number" ? error.status : undefined;
}
