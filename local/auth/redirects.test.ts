import { describe, expect, it } from "vitest";
import { createRedirectPolicy } from "./redirects";

describe("redirect policy", () => {
  const policy = createRedirectPolicy("http://localhost:5173", [
    "http://127.0.0.1:5173/**",
    "https://*.preview.example/auth/callback",
  ]);

  it("allows the site URL's host on any path and port, as GoTrue does", () => {
    expect(policy.pick("http://localhost:5173/auth/confirm?next=/me")).toBe(
      "http://localhost:5173/auth/confirm?next=/me",
    );
    expect(policy.pick("http://localhost:3000/x")).toBe("http://localhost:3000/x");
  });

  it("matches allow-list globs, with * kept within one part", () => {
    expect(policy.pick("http://127.0.0.1:5173/a/b")).toBe("http://127.0.0.1:5173/a/b");
    expect(policy.pick("https://pr-1.preview.example/auth/callback")).toBe(
      "https://pr-1.preview.example/auth/callback",
    );
    expect(policy.pick("https://a.b.preview.example/auth/callback")).toBe("http://localhost:5173");
  });

  it("falls back to the next candidate, then to the site URL", () => {
    expect(policy.pick("https://evil.example/", "http://localhost:5173/from-referer")).toBe(
      "http://localhost:5173/from-referer",
    );
    expect(policy.pick("https://evil.example/", undefined, null)).toBe("http://localhost:5173");
    expect(policy.pick("javascript://localhost/%0aalert(1)")).toBe("http://localhost:5173");
    expect(policy.pick("not a url")).toBe("http://localhost:5173");
  });
});
