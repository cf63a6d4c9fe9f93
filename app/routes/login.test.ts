import { createCookie } from "react-router";
import { describe, expect, it } from "vitest";
import { registerClient } from "../../tests/workerd/oauth-client";
import { latestMagicLink, latestSignInCode, location, SITE, uniqueEmail, Visitor } from "../../tests/workerd/visitor";

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
    expect(location(await visitor.fetch("/onboarding"))).toBe("/onboarding/connect-github");
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

  it("does not sign in a browser that did not ask for the link, and says to use the code where it was asked", async () => {
    const email = uniqueEmail("carol");
    await new Visitor().post("/login", { email });
    const verified = await fetch(await latestMagicLink(email), { redirect: "manual" });
    const elsewhere = new Visitor();
    const landing = await elsewhere.fetch(verified.headers.get("Location")?.replace(SITE, "") ?? "/");
    expect(landing.status).toBe(400);
    const page = await landing.text();
    expect(page).toContain("Open this link in the browser where you asked for it");
    expect(page).toContain("enter the six-digit code from the same email there");
    expect(location(await elsewhere.fetch("/me"))).toMatch(/^\/login/);
  });

  // The attack: a sign-in link's token forwarded to a victim signed the victim's browser into the
  // attacker's account; the victim then linked their own GitHub installation to it.
  it.each(["signup", "magiclink", "email"])(
    "never signs in with a forwarded link token (token_hash, type=%s)",
    async (type) => {
      const attacker = uniqueEmail("attacker");
      await new Visitor().post("/login", { email: attacker });
      const token = new URL(await latestMagicLink(attacker)).searchParams.get("token") ?? "";
      const victim = new Visitor();
      await victim.post("/login", { email: uniqueEmail("victim") });
      const returnTo = "/onboarding/connect-github";
      const landing = await victim.fetch(`/auth/confirm?${new URLSearchParams({ token_hash: token, type, returnTo })}`);
      expect(landing.status).toBe(400);
      expect(location(await victim.fetch("/me"))).toMatch(/^\/login/);
      // The attacker's token is still theirs to use: nothing was consumed on the victim's side.
      const own = await fetch(await latestMagicLink(attacker), { redirect: "manual" });
      expect(own.headers.get("Location")).toContain("code=");
    },
  );

  it("signs in with the six-digit code, only in the browser that asked for it", async () => {
    const email = uniqueEmail("grace");
    const asker = new Visitor();
    const sent = await asker.post("/login", { intent: "send", email, returnTo: "/onboarding" });
    expect(await sent.text()).toContain("Six-digit code");
    // Reloading the page keeps the code form.
    expect(await (await asker.fetch("/login")).text()).toContain(email);
    const code = await latestSignInCode(email);

    const elsewhere = new Visitor();
    const refused = await elsewhere.post("/login", { intent: "verify", code });
    expect(refused.status).toBe(400);
    expect(await refused.text()).toContain("This browser did not ask for a sign-in email");
    expect(location(await elsewhere.fetch("/me"))).toMatch(/^\/login/);

    const wrong = await asker.post("/login", { intent: "verify", code: code === "000000" ? "000001" : "000000" });
    expect(wrong.status).toBe(400);
    expect(await wrong.text()).toContain("That code is not right");

    const signedIn = await asker.post("/login", { intent: "verify", code: ` ${code} ` });
    expect(signedIn.status).toBe(302);
    expect(location(signedIn)).toBe("/onboarding");
    expect(location(await asker.fetch("/onboarding"))).toBe("/onboarding/connect-github");
    expect(await asker.post("/login", { intent: "verify", code })).toMatchObject({ status: 302 });
  });

  it("stops guessing codes after five tries a minute for one email, even with the right one", async () => {
    const email = uniqueEmail("heidi");
    const asker = new Visitor();
    await asker.post("/login", { email });
    const code = await latestSignInCode(email);
    const wrong = code === "111111" ? "222222" : "111111";
    for (let i = 0; i < 5; i++)
      expect((await asker.post("/login", { intent: "verify", code: wrong })).status).toBe(400);
    const limited = await asker.post("/login", { intent: "verify", code });
    expect(limited.status).toBe(429);
    expect(await limited.text()).toContain("Too many tries");
    expect(location(await asker.fetch("/me"))).toMatch(/^\/login/);
  });

  // React Router refuses an action whose Origin is not the request's own (its CSRF check, before
  // any middleware): a form posted from another site cannot ask for, or use, a sign-in email.
  it("counts code tries per account, whatever the spelling of the email in the attempt cookie", async () => {
    const email = uniqueEmail("judy");
    const asker = new Visitor();
    await asker.post("/login", { email });
    const code = await latestSignInCode(email);
    const wrong = code === "111111" ? "222222" : "111111";
    for (let i = 0; i < 5; i++) await asker.post("/login", { intent: "verify", code: wrong });
    // The attacker writes their own attempt cookie with another spelling of the same address.
    const forger = new Visitor();
    const cookie = await createCookie("ctx4-sign-in").serialize({ email: email.toUpperCase(), returnTo: "/me" });
    forger.cookies.set("ctx4-sign-in", cookie.split(";")[0]?.slice("ctx4-sign-in=".length) ?? "");
    const guess = await forger.post("/login", { intent: "verify", code });
    expect(guess.status).toBe(429);
    expect(location(await forger.fetch("/me"))).toMatch(/^\/login/);
  });

  it("returns only to a path of ours after a code, whatever the attempt cookie says", async () => {
    const email = uniqueEmail("lena");
    const asker = new Visitor();
    await asker.post("/login", { email });
    const cookie = await createCookie("ctx4-sign-in").serialize({ email, returnTo: "//evil.example" });
    asker.cookies.set("ctx4-sign-in", cookie.split(";")[0]?.slice("ctx4-sign-in=".length) ?? "");
    const signedIn = await asker.post("/login", { intent: "verify", code: await latestSignInCode(email) });
    expect(signedIn.status).toBe(302);
    expect(location(signedIn)).toBe("/me");
  });

  it("counts code tries per client address too", async () => {
    const address = new Visitor().ip;
    for (let i = 0; i < 5; i++) {
      const email = uniqueEmail(`kim${i}`);
      const visitor = new Visitor(address);
      await visitor.post("/login", { email });
      const code = await latestSignInCode(email);
      const wrong = code === "111111" ? "222222" : "111111";
      expect((await visitor.post("/login", { intent: "verify", code: wrong })).status).toBe(400);
    }
    const email = uniqueEmail("kim-last");
    const last = new Visitor(address);
    await last.post("/login", { email });
    const refused = await last.post("/login", { intent: "verify", code: await latestSignInCode(email) });
    expect(refused.status).toBe(429);
  });

  it.each(["https://evil.example", "null", "http://localhost.evil.example"])(
    "refuses a form posted from another origin (%s)",
    async (origin) => {
      const visitor = new Visitor();
      const email = uniqueEmail("ivan");
      const response = await visitor.fetch("/login", {
        method: "POST",
        headers: { "Content-Type": "application/x-www-form-urlencoded", Origin: origin },
        body: new URLSearchParams({ email }),
      });
      expect(response.status).toBe(400);
      expect(response.headers.getSetCookie()).toEqual([]);
      await expect(latestMagicLink(email)).rejects.toThrow(/no email/);
    },
  );

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

  it("signs out for good: cookies saved before signing out open no account page", async () => {
    const visitor = new Visitor();
    await visitor.signIn(uniqueEmail("frank"));
    expect(location(await visitor.fetch("/onboarding"))).toBe("/onboarding/connect-github");
    const saved = revisit(visitor);

    expect(location(await visitor.post("/logout", {}))).toBe("/");
    expect(location(await visitor.fetch("/me"))).toMatch(/^\/login/);

    for (const path of ["/me", "/onboarding/connect-github", "/onboarding/select-repo", "/api/github/repos"]) {
      const response = await revisit(saved).fetch(path);
      expect(location(response), path).toBe(`/login?${new URLSearchParams({ returnTo: path })}`);
    }
    expect(location(await revisit(saved).post("/onboarding/connect-github", {}))).toMatch(/^\/login/);
    // Nor does any page show whose account it was.
    for (const path of ["/", "/authorize?client_id=nope&response_type=code"]) {
      const page = await revisit(saved).fetch(path);
      expect(await page.text(), path).not.toContain(visitor.email ?? "?");
    }
    // The dead session's cookies are cleared, so the login page then shows the form, not a loop.
    const browser = revisit(saved);
    await browser.fetch("/me");
    expect((await browser.fetch("/login")).status).toBe(200);
  });
});

describe("the login page on the way to an AI client's request", () => {
  it("names the app that asks, as text, and says the name is the app's own", async () => {
    const visitor = new Visitor();
    const client = await registerClient(visitor, "Notes <b>Helper</b>");
    const sent = location(await visitor.fetch(client.authorizePath()));
    expect(sent).toMatch(/^\/login\?returnTo=/);
    const page = await visitor.fetch(sent ?? "");
    expect(page.status).toBe(200);
    const html = await page.text();
    expect(html).toContain("Sign in to let Notes &lt;b&gt;Helper&lt;/b&gt; use your ctx4-ai memory");
    expect(html).not.toContain("<b>Helper</b>");
    expect(html).toContain("That is the name the app gave itself; it is not verified.");
  });

  it.each(["/me", "/authorize?client_id=no-such-client&response_type=code", "/authorize/../me"])(
    "names no app on the way to %j",
    async (returnTo) => {
      const page = await new Visitor().fetch(`/login?${new URLSearchParams({ returnTo })}`);
      expect(page.status).toBe(200);
      expect(await page.text()).toMatch(/<h1[^>]*>Sign in<\/h1>/);
    },
  );
});

/** Another browser holding a copy of `visitor`'s cookies as they are now. */
function revisit(visitor: Visitor): Visitor {
  const copy = new Visitor();
  for (const [name, value] of visitor.cookies) copy.cookies.set(name, value);
  return copy;
}
