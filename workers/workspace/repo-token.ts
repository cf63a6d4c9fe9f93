import type { RepoToken } from "../../app/lib/github/app.server";

export type TokenTarget = { installationId: number; repoId: number };
type StoredToken = RepoToken & TokenTarget;

const STORAGE_KEY = "github-token";
/** A token is replaced this long before it expires, so a command never starts with one about to die. */
export const RENEW_BEFORE_EXPIRY_MS = 5 * 60_000;
/** How long the person's own access to the repo, once confirmed, is trusted (see RepoTokenCache). */
export const RECONFIRM_AFTER_MS = 10 * 60_000;

/**
 * The installation token of one user's repo: minted only when none is cached or the cached
 * one is near its end, and kept in the object's storage so an evicted object does not mint
 * again. Only git calls that talk to GitHub ever receive it.
 *
 * The token is the App's access, but the tools use it for one person, so `confirm` (throws
 * when the person's own GitHub account may no longer use the repo) runs before every mint, on
 * the first use after the object started (the confirmation is kept in memory only), and again
 * once the last confirmation is older than {@link RECONFIRM_AFTER_MS}; when it throws, the
 * token is forgotten and nothing is handed out. Why re-confirm within a token's hour: an
 * organisation that removes a member's access expects it to end, not to go on for up to 55
 * minutes through us; 10 minutes bounds that, at most 6 requests an hour with the person's
 * user token while the tools are in use (GitHub allows 5,000), and no request within a burst
 * of calls. Re-confirming does not mint: the App's access did not change.
 */
export class RepoTokenCache {
  #cached: StoredToken | null | undefined;
  #confirmed: (TokenTarget & { at: number }) | undefined;
  #mints = 0;

  constructor(
    private readonly storage: DurableObjectStorage,
    private readonly mint: (target: TokenTarget) => Promise<RepoToken>,
    private readonly confirm: (target: TokenTarget) => Promise<void>,
  ) {}

  /** How many tokens this object minted since it started. */
  get mints(): number {
    return this.#mints;
  }

  /** A token for `target` valid for at least a few more minutes, once the person's access is confirmed. */
  async token(target: TokenTarget): Promise<string> {
    if (this.#cached === undefined) this.#cached = (await this.storage.get<StoredToken>(STORAGE_KEY)) ?? null;
    const cached = this.#cached;
    const usable =
      cached &&
      cached.installationId === target.installationId &&
      cached.repoId === target.repoId &&
      cached.expiresAt - Date.now() > RENEW_BEFORE_EXPIRY_MS;
    if (!usable) return this.#mintFor(target);
    const confirmed = this.#confirmed;
    const fresh =
      confirmed?.installationId === target.installationId &&
      confirmed.repoId === target.repoId &&
      Date.now() - confirmed.at < RECONFIRM_AFTER_MS;
    if (!fresh) await this.#confirm(target);
    return cached.token;
  }

  /** A new token even if the cached one looks valid: GitHub refused it (revoked, or the clock lied). */
  async renew(target: TokenTarget): Promise<string> {
    return this.#mintFor(target);
  }

  /** Forgets the token, here and in storage. */
  async discard(): Promise<void> {
    this.#cached = null;
    this.#confirmed = undefined;
    await this.storage.delete(STORAGE_KEY);
  }

  /** Every token this cache may have handed out, for redaction. */
  knownTokens(): string[] {
    return this.#cached ? [this.#cached.token] : [];
  }

  async #confirm(target: TokenTarget): Promise<void> {
    try {
      await this.confirm(target);
    } catch (error) {
      await this.discard();
      throw error;
    }
    this.#confirmed = { ...target, at: Date.now() };
  }

  async #mintFor(target: TokenTarget): Promise<string> {
    await this.#confirm(target);
    this.#mints += 1;
    let minted: RepoToken;
    try {
      minted = await this.mint(target);
    } catch (error) {
      await this.discard();
      throw error;
    }
    this.#cached = { ...minted, ...target };
    await this.storage.put(STORAGE_KEY, this.#cached);
    return minted.token;
  }
}
