import type { RepoToken } from "../../app/lib/github/app.server";

export type TokenTarget = { installationId: number; repoId: number };
type StoredToken = RepoToken & TokenTarget;

const STORAGE_KEY = "github-token";
/** A token is replaced this long before it expires, so a command never starts with one about to die. */
export const RENEW_BEFORE_EXPIRY_MS = 5 * 60_000;

/**
 * The installation token of one user's repo: minted only when none is cached or the cached
 * one is near its end, and kept in the object's storage so an evicted object does not mint
 * again. Only git calls that talk to GitHub ever receive it.
 */
export class RepoTokenCache {
  #cached: StoredToken | null | undefined;
  #mints = 0;

  constructor(
    private readonly storage: DurableObjectStorage,
    private readonly mint: (target: TokenTarget) => Promise<RepoToken>,
  ) {}

  /** How many tokens this object minted since it started. */
  get mints(): number {
    return this.#mints;
  }

  /** A token for `target` valid for at least a few more minutes. */
  async token(target: TokenTarget): Promise<string> {
    if (this.#cached === undefined) this.#cached = (await this.storage.get<StoredToken>(STORAGE_KEY)) ?? null;
    const cached = this.#cached;
    const usable =
      cached &&
      cached.installationId === target.installationId &&
      cached.repoId === target.repoId &&
      cached.expiresAt - Date.now() > RENEW_BEFORE_EXPIRY_MS;
    if (usable) return cached.token;
    return this.#mintFor(target);
  }

  /** A new token even if the cached one looks valid: GitHub refused it (revoked, or the clock lied). */
  async renew(target: TokenTarget): Promise<string> {
    return this.#mintFor(target);
  }

  /** Forgets the token, here and in storage. */
  async discard(): Promise<void> {
    this.#cached = null;
    await this.storage.delete(STORAGE_KEY);
  }

  /** Every token this cache may have handed out, for redaction. */
  knownTokens(): string[] {
    return this.#cached ? [this.#cached.token] : [];
  }

  async #mintFor(target: TokenTarget): Promise<string> {
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
