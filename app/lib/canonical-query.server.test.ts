import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { canonicalSearch } from "./canonical-query.server";

describe("canonicalSearch", () => {
  it.each([
    ["", ""],
    ["?", ""],
    ["?returnTo=/onboarding", "?returnTo=%2Fonboarding"],
    ["?returnTo=%2Fonboarding", "?returnTo=%2Fonboarding"],
    ["?q=a b", "?q=a+b"],
    ["?q=a%20b", "?q=a+b"],
    ["?index", "?index="],
  ])("spells %j as %j", (search, canonical) => {
    expect(canonicalSearch(search)).toBe(canonical);
  });

  it("keeps every value, and is its own spelling (no redirect loop)", () => {
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.string(), fc.string())), (pairs) => {
        const search = `?${pairs.map(([key, value]) => `${key}=${value}`).join("&")}`;
        const once = canonicalSearch(search);
        expect(canonicalSearch(once)).toBe(once);
        expect([...new URLSearchParams(once)]).toEqual([...new URLSearchParams(search)]);
      }),
    );
  });
});
