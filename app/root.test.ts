import { describe, expect, it } from "vitest";
import { location, uniqueEmail, Visitor } from "../tests/workerd/visitor";

describe("the error page", () => {
  it("is the site's page with a heading, the signed-in header and a way on, and no internals", async () => {
    const visitor = new Visitor();
    const email = uniqueEmail("erring");
    await visitor.signIn(email);
    // The dashboard refuses a form it does not know (400).
    const response = await visitor.post("/me", { intent: "no-such-intent" });
    expect(response.status).toBe(400);
    const html = await response.text();
    expect(html).toContain("<title>That did not work · ctx4-ai</title>");
    expect(html).toMatch(/<h1[^>]*>That did not work<\/h1>/);
    expect(html).toContain(email);
    expect(html).toContain("Sign out");
    expect(html).toMatch(/<a[^>]*href="\/me"[^>]*>Go to your memory<\/a>/);
    // The refusal's own text travels only in React Router's data for hydration, never on the page.
    expect(html.replace(/<script[\s\S]*?<\/script>/g, "")).not.toContain("Unknown action");
  });
});

describe("a page loaded with its query spelled otherwise than React Router renders it", () => {
  it("is sent to the same query as the server spells it, so both renders agree", async () => {
    const response = await new Visitor().fetch("/login?returnTo=/onboarding");
    expect(response.status).toBe(308);
    expect(location(response)).toBe("/login?returnTo=%2Fonboarding");
    const canonical = await new Visitor().fetch("/login?returnTo=%2Fonboarding");
    expect(canonical.status).toBe(200);
    expect(await canonical.text()).toContain('action="/login?returnTo=%2Fonboarding"');
  });
});
