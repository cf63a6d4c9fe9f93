import { runInDurableObject } from "cloudflare:test";
import { describe, expect, it, vi } from "vitest";
import { workspaceOf } from "../../tests/workerd/connected-user";
import { RECONFIRM_AFTER_MS, RENEW_BEFORE_EXPIRY_MS, RepoTokenCache, type TokenTarget } from "./repo-token";

/**
 * A cache over a real object's storage, with a mint that counts and returns tokens living
 * `lifetimeMs`, and a confirmation of the person's access that counts and throws while `access.lost`.
 */
function cacheIn(storage: DurableObjectStorage, lifetimeMs: number, access = { lost: false }) {
  const minted: TokenTarget[] = [];
  const confirmed: TokenTarget[] = [];
  const mint = async (target: TokenTarget) => {
    minted.push(target);
    return { token: `ghs_token${minted.length}`, expiresAt: Date.now() + lifetimeMs };
  };
  const confirm = async (target: TokenTarget) => {
    confirmed.push(target);
    if (access.lost) throw new Error("no longer a collaborator");
  };
  return { cache: new RepoTokenCache(storage, mint, confirm), minted, confirmed };
}

const target = { installationId: 7, repoId: 42 };

describe("RepoTokenCache", () => {
  it("mints once, then serves the cached token, also to a new cache over the same storage", async () => {
    await runInDurableObject(workspaceOf(crypto.randomUUID()), async (_instance, state) => {
      const first = cacheIn(state.storage, 3_600_000);
      expect(await first.cache.token(target)).toBe("ghs_token1");
      expect(await first.cache.token(target)).toBe("ghs_token1");
      expect(first.minted).toHaveLength(1);

      // The object was evicted: a new instance reads the token back from storage.
      const revived = cacheIn(state.storage, 3_600_000);
      expect(await revived.cache.token(target)).toBe("ghs_token1");
      expect(revived.minted).toHaveLength(0);
    });
  });

  it("mints again a few minutes before expiry, for another repo, on renew, and after discard", async () => {
    await runInDurableObject(workspaceOf(crypto.randomUUID()), async (_instance, state) => {
      const nearEnd = cacheIn(state.storage, RENEW_BEFORE_EXPIRY_MS - 1_000);
      await nearEnd.cache.token(target);
      await nearEnd.cache.token(target);
      expect(nearEnd.minted).toHaveLength(2);

      const { cache, minted } = cacheIn(state.storage, 3_600_000);
      await cache.token(target);
      await cache.token({ installationId: 7, repoId: 43 });
      await cache.renew({ installationId: 7, repoId: 43 });
      await cache.discard();
      expect(await state.storage.get("github-token")).toBeUndefined();
      await cache.token({ installationId: 7, repoId: 43 });
      expect(minted).toHaveLength(4);
      expect(cache.mints).toBe(4);
    });
  });

  it("forgets the token when minting fails", async () => {
    await runInDurableObject(workspaceOf(crypto.randomUUID()), async (_instance, state) => {
      const { cache } = cacheIn(state.storage, 3_600_000);
      await cache.token(target);
      const failing = new RepoTokenCache(
        state.storage,
        async () => {
          throw new Error("uninstalled");
        },
        async () => undefined,
      );
      await expect(failing.renew(target)).rejects.toThrow("uninstalled");
      expect(await state.storage.get("github-token")).toBeUndefined();
    });
  });

  it("confirms the person's access before each mint, on first use after a restart and every 10 minutes", async () => {
    await runInDurableObject(workspaceOf(crypto.randomUUID()), async (_instance, state) => {
      const access = { lost: false };
      const first = cacheIn(state.storage, 3_600_000, access);
      await first.cache.token(target);
      await first.cache.token(target);
      await first.cache.renew(target);
      expect(first.confirmed).toEqual([target, target]);
      expect(first.minted).toHaveLength(2);

      // The object was evicted: the stored token is kept, the person's access is asked again.
      const revived = cacheIn(state.storage, 3_600_000, access);
      expect(await revived.cache.token(target)).toBe("ghs_token2");
      expect(await revived.cache.token(target)).toBe("ghs_token2");
      expect(revived.confirmed).toHaveLength(1);
      expect(revived.minted).toHaveLength(0);

      vi.useFakeTimers({ toFake: ["Date"] });
      try {
        vi.setSystemTime(Date.now() + RECONFIRM_AFTER_MS - 1_000);
        await revived.cache.token(target);
        expect(revived.confirmed).toHaveLength(1);
        vi.setSystemTime(Date.now() + 2_000);
        access.lost = true;
        await expect(revived.cache.token(target)).rejects.toThrow("no longer a collaborator");
      } finally {
        vi.useRealTimers();
      }
      expect(await state.storage.get("github-token")).toBeUndefined();
      expect(revived.cache.knownTokens()).toEqual([]);
      await expect(revived.cache.token(target)).rejects.toThrow("no longer a collaborator");
      expect(revived.minted).toHaveLength(0);

      access.lost = false;
      expect(await revived.cache.token(target)).toBe("ghs_token1");
      expect(revived.minted).toHaveLength(1);
    });
  });
});
