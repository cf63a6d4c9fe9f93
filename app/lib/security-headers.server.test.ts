import { describe, expect, it } from "vitest";
import { registerClient } from "../../tests/workerd/oauth-client";
import { onboardedVisitor, Visitor } from "../../tests/workerd/visitor";

/** One request of each kind of answer the Worker gives, and the status that shows it is that kind. */
const ANSWERS = {
  "a page": { request: () => new Visitor().fetch("/login"), status: 200 },
  "a redirect": { request: () => new Visitor().fetch("/me"), status: 302 },
  "a JSON route": { request: () => new Visitor().fetch("/healthz"), status: 200 },
  "an error page": { request: () => new Visitor().post("/", {}), status: 405 },
  "the 404 page": { request: () => new Visitor().fetch("/no-such-page"), status: 404 },
  "OAuth metadata": { request: () => new Visitor().fetch("/.well-known/oauth-authorization-server"), status: 200 },
  "the MCP endpoint's challenge": { request: () => new Visitor().fetch("/mcp", { method: "POST" }), status: 401 },
};

describe("the security headers", () => {
  it.each(Object.entries(ANSWERS))("are on %s: no framing, no sniffing, no Referer elsewhere", async (_, answer) => {
    const response = await answer.request();
    expect(response.status).toBe(answer.status);
    expect(response.headers.get("X-Frame-Options")).toBe("DENY");
    expect(response.headers.get("X-Content-Type-Options")).toBe("nosniff");
    expect(response.headers.get("Referrer-Policy")).toBe("same-origin");
    expect(response.headers.get("Content-Security-Policy")).toContain("frame-ancestors 'none'");
  });

  it("let a page run only its own scripts and the inline ones it wrote, each page with a new nonce", async () => {
    const nonces = [];
    for (const path of ["/login", "/login", "/no-such-page"]) {
      const response = await new Visitor().fetch(path);
      const policy = directives(response.headers.get("Content-Security-Policy") ?? "");
      const nonce = policy.get("script-src")?.match(/^'self' 'nonce-([A-Za-z0-9+/=]{24})'$/)?.[1];
      expect(nonce, policy.get("script-src")).toBeDefined();
      nonces.push(nonce);
      const scripts = (await response.text()).match(/<script\b[^>]*>/g) ?? [];
      expect(scripts.length).toBeGreaterThan(0);
      for (const script of scripts) expect(script).toContain(`nonce="${nonce}"`);
      expect(policy.get("object-src")).toBe("'none'");
      expect(policy.get("base-uri")).toBe("'none'");
    }
    expect(new Set(nonces).size).toBe(nonces.length);
  });

  it("allow nothing at all in an answer that is not a page", async () => {
    const response = await new Visitor().fetch("/healthz");
    expect(response.headers.get("Content-Security-Policy")).toBe("default-src 'none'; frame-ancestors 'none'");
  });

  it("keep the consent page's own: its binding cookie and no caching, with the page's policy", async () => {
    const { visitor } = await onboardedVisitor("framed");
    const client = await registerClient(visitor);
    const page = await visitor.fetch(client.authorizePath());
    expect(page.status).toBe(200);
    expect(page.headers.getSetCookie().some((cookie) => cookie.startsWith("__Host-oauth-consent"))).toBe(true);
    expect(page.headers.get("Cache-Control")).toContain("no-store");
    expect(page.headers.get("X-Frame-Options")).toBe("DENY");
    const policy = directives(page.headers.get("Content-Security-Policy") ?? "");
    expect(policy.get("frame-ancestors")).toBe("'none'");
    expect(policy.get("script-src")).toMatch(/'nonce-/);
  });
});

/** A Content-Security-Policy's directives by name. */
function directives(policy: string): Map<string, string> {
  return new Map(
    policy.split(";").map((directive) => {
      const [name = "", ...values] = directive.trim().split(/\s+/);
      return [name, values.join(" ")];
    }),
  );
}
