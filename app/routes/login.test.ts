import { describe, expect, it } from "vitest";
import { latestMagicLink, location, SITE, uniqueEmail, Visitor } from "../../tests/workerd/visitor";

describe("signing in by magic link", () => {
  it("sends a signed-out visitor of a private page to login, and back there afterwards", async () => {
    const visitor = new Visitor();
    const guarded = await visitor.fetch("/onboarding/select-repo?x=1");
    expect(guarded.status).toBe(302);
    expect(location(guarded)).toBe(`/login?returnTo=${encodeURIComponent("/onboarding/select-repo?x=1")}`);

    const signedIn = await visitor.signIn(uniqueEmail("alice"), "/onboarding/select-repo?x=1");
    expect(signedIn.status).toBe(302);
    expect(location(signedIn)).toBe("/onboarding/select-repo?x=1");
    const authCookie = signedIn.headers.getSetCookie().find((cookie) => cookie.includes("-auth-token"));
    expect(authCookie).toMatch(/HttpOnly/i);
    expect(authCookie).toMatch(/SameSite=Lax/i);
  });

  it("marks signed-in pages private and sends a user without GitHub to onboarding", async () => {
    const visitor = new Visitor();
    await visitor.signIn(uniqueEmail("bob"));
    const me = await visitor.fetch("/me");
    expect(location(me)).toBe("/onboarding/connect-github");
    const onboarding = await visitor.fetch("/onboarding/connect-github");
    expect(onboarding.status).toBe(200);
    expect(onboarding.headers.get("Cache-Control")).toBe("private, no-store");
    expect(await onboarding.text()).toContain("Install on GitHub");
  });

  it.each(["//evil.example", "/\\evil.example", "https://evil.example"])(
    "never returns to %j after sign-in",
    async (returnTo) => {
      const visitor = new Visitor();
      const signedIn = await visitor.signIn(uniqueEmail("mallory"), returnTo);
      expect(location(signedIn)).toBe("/me");
    },
  );

  it.each(["/.//evil.example", "/..//evil.example", "/%2e%2e//evil.example", "/a/..//evil.example"])(
    "sends a signed-in person asking for %j back to their own page, never off-site",
    async (returnTo) => {
      const visitor = new Visitor();
      await visitor.signIn(uniqueEmail("mallory"));
      const response = await visitor.fetch(`/login?returnTo=${encodeURIComponent(returnTo)}`);
      expect(response.status).toBe(302);
      expect(location(response)).toBe("/me");
    },
  );

  it("refuses a bad email with a message next to the field", async () => {
    const response = await new Visitor().post("/login", { email: "not-an-email" });
    expect(response.status).toBe(400);
    expect(await response.text()).toContain("Enter a valid email address.");
  });

  it("does not sign in a browser that did not ask for the link", async () => {
    const email = uniqueEmail("carol");
    await new Visitor().post("/login", { email });
    const verified = await fetch(await latestMagicLink(email), { redirect: "manual" });
    const landing = await new Visitor().fetch(verified.headers.get("Location")?.replace(SITE, "") ?? "/");
    expect(landing.status).toBe(400);
    expect(await landing.text()).toContain("This sign-in link did not work");
  });

  it("does not accept a link twice", async () => {
    const visitor = new Visitor();
    const email = uniqueEmail("dave");
    await visitor.post("/login", { email });
    const link = await latestMagicLink(email);
    await visitor.fetch((await fetch(link, { redirect: "manual" })).headers.get("Location")?.replace(SITE, "") ?? "");
    const again = await fetch(link, { redirect: "manual" });
    const landing = await new Visitor().fetch(again.headers.get("Location")?.replace(SITE, "") ?? "/");
    expect(landing.status).toBe(400);
  });

  it("ignores a forged session cookie", async () => {
    const visitor = new Visitor();
    await visitor.signIn(uniqueEmail("erin"));
    for (const [name, value] of visitor.cookies) {
      if (name.includes("-auth-token")) visitor.cookies.set(name, value.replace(/.{8}$/, "AAAAAAAA"));
    }
    expect(location(await visitor.fetch("/me"))).toMatch(/^\/login/);
  });

  it("signs out", async () => {
    const visitor = new Visitor();
    await visitor.signIn(uniqueEmail("frank"));
    expect(location(await visitor.fetch("/me"))).toBe("/onboarding/connect-github");
    expect(location(await visitor.post("/logout", {}))).toBe("/");
    expect(location(await visitor.fetch("/me"))).toMatch(/^\/login/);
  });
});
