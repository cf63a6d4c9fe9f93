import {
  type GitHubEnv,
  type InstallationRepo,
  listUserInstallationRepos,
  refreshUserToken,
  revokeUserToken,
  type UserToken,
} from "../app/lib/github/app.server";

/** An installation and the GitHub user who proved they can access it. */
export type GitHubLink = { installationId: number; account: string | null; githubUsername: string };

export type LinkDecision = "link" | "cancel";

export type SettledLink =
  | { outcome: "linked" | "cancelled"; link: GitHubLink }
  | { outcome: "unknown" | "expired" | "other-session" };

export type UserRepos =
  | { ok: true; repos: InstallationRepo[] }
  | { ok: false; problem: "needs-authorization" | "no-access" };

/** Whether the person's GitHub account can open a repo through an installation right now. */
export type RepoAccess = "can-open" | "no-access" | "needs-authorization";

type PendingLink = GitHubLink & { token: UserToken; sessionId: string; expiresAt: number };

const LINK_TTL_MS = 10 * 60 * 1000;
/** Renew a user token this long before GitHub's expiry, so it never runs out mid-request. */
const RENEW_BEFORE_MS = 60 * 1000;
const TOKEN_KEY = "github-user-token";
const LINK_PREFIX = "github-link:";

/**
 * One person's GitHub user access token, and the links to GitHub waiting for their
 * confirmation, in their own Durable Object's storage.
 *
 * Why a user token at all: the repos we offer, and the repo we accept, come from GitHub's
 * user-scoped list (`GET /user/installations/{id}/repositories`), so that a member of an
 * organisation sees only the repos they may open; that needs the person's user token whenever
 * they choose a repo, not only in the callback. Why here: this object is addressed by the
 * user's id alone, so no other user's request reads it (a Postgres row would sit beside
 * everyone else's, in reach of every query), and the token never leaves it: the object makes
 * the GitHub calls itself and hands out only repo lists, never a token, and never to the
 * browser. A user token lasts 8 hours; shortly before that it is renewed with the refresh
 * token (single use, 6 months), one renewal at a time. When there is no token, or GitHub
 * refuses the token or the refresh token, it is forgotten and the pages send the person
 * through GitHub's user authorization again (`needs-authorization`).
 * https://docs.github.com/apps/creating-github-apps/authenticating-with-a-github-app/refreshing-user-access-tokens
 *
 * A link is held, not saved, until the person confirms it on our page: the confirmation id is
 * random, single-use, valid for 10 minutes and only for the sign-in session that connected
 * GitHub; a link made for another user is simply unknown here.
 */
export class GitHubUser {
  #renewing: Promise<UserToken | undefined> | undefined;

  constructor(
    private readonly storage: DurableObjectStorage,
    private readonly env: GitHubEnv,
  ) {}

  /** Holds a verified link and its user token until the person decides; returns the confirmation id. */
  async hold(link: GitHubLink, token: UserToken, sessionId: string): Promise<string> {
    const now = Date.now();
    const held = await this.storage.list<PendingLink>({ prefix: LINK_PREFIX });
    const expired = [...held].filter(([, pending]) => pending.expiresAt <= now).map(([key]) => key);
    if (expired.length > 0) await this.storage.delete(expired);

    const id = crypto.randomUUID();
    const { installationId, account, githubUsername } = link;
    await this.storage.put<PendingLink>(`${LINK_PREFIX}${id}`, {
      installationId,
      account,
      githubUsername,
      token,
      sessionId,
      expiresAt: now + LINK_TTL_MS,
    });
    return id;
  }

  /** Uses up a held link whatever the outcome; on "link" its user token becomes the person's. */
  async settle(id: string, sessionId: string, decision: LinkDecision): Promise<SettledLink> {
    const key = `${LINK_PREFIX}${id}`;
    const pending = await this.storage.get<PendingLink>(key);
    if (!pending) return { outcome: "unknown" };
    await this.storage.delete(key);
    if (pending.expiresAt <= Date.now()) return { outcome: "expired" };
    if (pending.sessionId !== sessionId) return { outcome: "other-session" };

    const { installationId, account, githubUsername, token } = pending;
    const link = { installationId, account, githubUsername };
    if (decision === "cancel") return { outcome: "cancelled", link };
    await this.storage.put<UserToken>(TOKEN_KEY, token);
    return { outcome: "linked", link };
  }

  /** The installation's repos the person's GitHub account can open, as GitHub lists them now. */
  async repos(installationId: number): Promise<UserRepos> {
    return this.#list(installationId);
  }

  /**
   * Whether the person's GitHub account can still open the repo `repoId` through the
   * installation: the same user-scoped list the repo picker offers, read only up to the page
   * that holds the repo (one request unless they can open more than 100 of its repos). Asked by
   * id, so a renamed repo is still found. Why not `GET /repos/{owner}/{repo}` with the user
   * token (https://docs.github.com/rest/repos/repos#get-a-repository), one request: it answers
   * 200 for a public repo to anyone, so a collaborator removed from one would still pass, and
   * it goes by name; `GET /repositories/{id}` is not documented. `"no-access"` whenever GitHub
   * does not list it, the installation's own troubles (removed, suspended) included: the caller
   * tells those apart. `"needs-authorization"` when there is no user token or GitHub refuses it.
   */
  async canOpen(installationId: number, repoId: number): Promise<RepoAccess> {
    const listed = await this.#list(installationId, (repo) => repo.id === repoId);
    if (!listed.ok) return listed.problem;
    return listed.repos.some((repo) => repo.id === repoId) ? "can-open" : "no-access";
  }

  async #list(installationId: number, until?: (repo: InstallationRepo) => boolean): Promise<UserRepos> {
    const token = await this.#token();
    if (!token) return { ok: false, problem: "needs-authorization" };
    const repos = await listUserInstallationRepos(this.env, token.token, installationId, until);
    if (repos === "token-refused") {
      await this.#forgetIfStill(token);
      return { ok: false, problem: "needs-authorization" };
    }
    if (repos === "no-access") return { ok: false, problem: "no-access" };
    return { ok: true, repos };
  }

  /** The person disconnected GitHub: we keep no token of theirs. */
  async forget(): Promise<void> {
    await this.storage.delete(TOKEN_KEY);
  }

  /**
   * Account deletion: GitHub revokes the stored user token, and every token held for a link
   * not yet confirmed, so none works after the person is gone even if a copy survived
   * somewhere. Storage itself is left to the caller, which deletes it all.
   * @throws when GitHub cannot be asked; nothing is revoked for sure then, and a retry asks again.
   */
  async revokeAll(): Promise<void> {
    const stored = await this.storage.get<UserToken>(TOKEN_KEY);
    const held = await this.storage.list<PendingLink>({ prefix: LINK_PREFIX });
    const tokens = new Set([...held.values()].map((pending) => pending.token.token));
    if (stored) tokens.add(stored.token);
    await Promise.all([...tokens].map((token) => revokeUserToken(this.env, token)));
  }

  /** The stored token, renewed first when it is about to run out; none when GitHub refused to renew it. */
  async #token(): Promise<UserToken | undefined> {
    const stored = await this.storage.get<UserToken>(TOKEN_KEY);
    if (!stored || stored.expiresAt === null || stored.expiresAt - RENEW_BEFORE_MS > Date.now()) return stored;
    this.#renewing ??= this.#renew(stored).finally(() => {
      this.#renewing = undefined;
    });
    return this.#renewing;
  }

  async #renew(stored: UserToken): Promise<UserToken | undefined> {
    const usable = stored.refreshTokenExpiresAt === null || stored.refreshTokenExpiresAt > Date.now();
    const renewed = stored.refreshToken && usable ? await refreshUserToken(this.env, stored.refreshToken) : "refused";
    if (renewed === "refused") {
      await this.#forgetIfStill(stored);
      return undefined;
    }
    // A link confirmed meanwhile brought a newer token; it wins.
    const current = await this.storage.get<UserToken>(TOKEN_KEY);
    if (current?.token !== stored.token) return current;
    await this.storage.put<UserToken>(TOKEN_KEY, renewed);
    return renewed;
  }

  /** Forgets a token GitHub refused, unless a newer one replaced it meanwhile. */
  async #forgetIfStill(token: UserToken): Promise<void> {
    if ((await this.storage.get<UserToken>(TOKEN_KEY))?.token === token.token) await this.forget();
  }
}
