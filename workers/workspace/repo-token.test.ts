import { runInDurableObject } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { workspaceOf } from "../../tests/workerd/connected-user";
import { RENEW_BEFORE_EXPIRY_MS, RepoTokenCache, type TokenTarget } from "./repo-token";

/** A cache over a real object's storage, with a mint that counts and returns tokens living `lifetimeMs`. */
function cacheIn(storage: DurableObjectStorage, lifetimeMs: number) {
  const minted: TokenTarget[] = [];
  const mint = async (target: TokenTarget) => {
    minted.push(target);
    return { token: `ghs_token${minted.length}`, expiresAt: Date.now() + lifetimeMs };
  };
  return { cache: new RepoTokenCache(storage, mint), minted };
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
      const failing = new RepoTokenCache(state.storage, async () => {
        throw new Error("uninstalled");
      });
      await expect(failing.renew(target)).rejects.toThrow("uninstalled");
      expect(await state.storage.get("github-token")).toBeUndefined();
    });
  });
});
