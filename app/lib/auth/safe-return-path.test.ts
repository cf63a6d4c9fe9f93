import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { safeReturnPath } from "./safe-return-path";

describe("safeReturnPath", () => {
  it("keeps paths on this site, with their query and hash", () => {
    expect(safeReturnPath("/me")).toBe("/me");
    expect(safeReturnPath("/authorize?client_id=a&scope=ctx%3Aread#x")).toBe(
      "/authorize?client_id=a&scope=ctx%3Aread#x",
    );
  });

  it.each([
    "//evil.example",
    "//evil.example/me",
    "/\\evil.example",
    "\\\\evil.example",
    "https://evil.example",
    "javascript:alert(1)",
    "me",
    "",
    "/%5Cevil.example".replace("%5C", "\\"),
    "/\t/evil.example",
    "/.//evil.example",
    "/..//evil.example",
    "/%2e%2e//evil.example",
    "/%2E//evil.example",
    "/a/..//evil.example",
    "/a/../..//evil.example/me?x=1",
    "/././/evil.example",
    "/\n/evil.example",
    "/\u0000/evil.example",
  ])("refuses %j", (value) => {
    expect(safeReturnPath(value)).toBe("/me");
  });

  it("returns, for any input, our fallback or a path a browser resolves on our own origin", () => {
    // Paths built from the pieces that confuse resolvers: dot segments (plain and encoded),
    // slashes, backslashes, control characters, hosts.
    const piece = fc.constantFrom(
      "/",
      "//",
      ".",
      "..",
      "%2e",
      "%2E",
      "%2e%2e",
      "%2f",
      "%5c",
      "\\",
      "\t",
      "\n",
      "\r",
      "\u0000",
      "evil.example",
      "me",
      "?",
      "#",
      "@",
      ":",
      "a",
    );
    const path = fc.oneof(
      fc.array(piece, { maxLength: 8 }).map((parts) => `/${parts.join("")}`),
      fc.string(),
    );
    fc.assert(
      fc.property(path, (value) => {
        const result = safeReturnPath(value, "/fallback");
        if (result === "/fallback") return;
        expect(result.startsWith("/")).toBe(true);
        expect(result.startsWith("//")).toBe(false);
        // As the browser reads our Location header: same origin, and the path we checked.
        const followed = new URL(result, "https://ctx4.example/some/page");
        expect(followed.origin).toBe("https://ctx4.example");
        expect(`${followed.pathname}${followed.search}${followed.hash}`).toBe(result);
      }),
      { numRuns: 5_000 },
    );
  });

  it("falls back when there is nothing", () => {
    expect(safeReturnPath(null, "/onboarding")).toBe("/onboarding");
  });
});
