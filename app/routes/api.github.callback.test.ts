import { runInDurableObject } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { storedUserToken, workspaceOf } from "../../tests/workerd/connected-user";
import {
  configOf,
  confirmationOf,
  decideLink,
  gitHubReturn,
  githubControl,
  installAndReturn,
  location,
  newGitHubUser,
  onboardedVisitor,
  SITE,
  startInstall,
  uniqueEmail,
  Visitor,
} from "../../tests/workerd/visitor";

async function signedIn(name: string, email = uniqueEmail(name)) {
  const visitor = new Visitor();
  await visitor.signIn(email);
  expect(location(await visitor.fetch("/onboarding"))).toBe("/onboarding/connect-github");
  return visitor;
}

/** GitHub's redirect to our callback after `login` installed the App on their own account. */
async function returnFromGitHub(visitor: Visitor, login: string) {
  const control = githubControl();
  const state = await startInstall(visitor);
  const installation = await control.createInstallation(login, { repository_selection: "all" });
  const { path: callback } = await gitHubReturn(control, login, installation.id, "install", state);
  return visitor.fetch(callback);
}

describe("the GitHub callback", () => {
  it("shows both identities and saves nothing until the person presses Link", async () => {
    const email = uniqueEmail("alice");
    const visitor = await signedIn("alice", email);
    const github = await newGitHubUser(["ctx", "notes"]);
    const page = await returnFromGitHub(visitor, github.login);

    expect(page.status).toBe(200);
    expect(page.headers.get("X-Frame-Options")).toBe("DENY");
    const html = await page.text();
    expect(html).toContain(`@${github.login}`);
    expect(html).toContain(`installation on ${github.login}`);
    expect(html).toContain(`to your ctx4-ai account <strong>${email}</strong>?`);
    expect(html).not.toMatch(/gh[usr]_/);
    expect(await configOf(visitor)).toBeUndefined();
    expect(await storedUserToken(await visitor.userId())).toBeUndefined();

    const linked = await decideLink(visitor, html);
    expect(location(linked)).toBe("/onboarding/select-repo");
    expect(await configOf(visitor)).toMatchObject({ githubUsername: github.login, repoId: null });
    expect((await storedUserToken(await visitor.userId()))?.token).toMatch(/^ghu_/);
  });

  it("links an installation that is suspended on GitHub as suspended, not as active", async () => {
    const visitor = await signedIn("paused");
    const github = await newGitHubUser(["ctx"]);
    const control = githubControl();
    const state = await startInstall(visitor);
    const installation = await control.createInstallation(github.login, { repository_selection: "all" });
    await control.suspend(installation.id);
    const { path: callback } = await gitHubReturn(control, github.login, installation.id, "install", state);
    const page = await (await visitor.fetch(callback)).text();

    await decideLink(visitor, page);
    expect(await configOf(visitor)).toMatchObject({
      installationId: installation.id,
      isActive: false,
      inactiveReason: "installation_suspended",
    });
  });

  it("lets a person signed in to someone else's account see it and cancel, so nothing is linked", async () => {
    // Login CSRF: the victim's browser holds the attacker's session (a sign-in link for the
    // attacker's email), and the victim installs the App with their own GitHub account.
    const attackerEmail = uniqueEmail("attacker");
    const victimsBrowser = await signedIn("attacker", attackerEmail);
    const victim = await newGitHubUser(["private-notes"]);
    const page = await (await returnFromGitHub(victimsBrowser, victim.login)).text();

    expect(page).toContain(`Link GitHub account <strong>@${victim.login}</strong>`);
    expect(page).toContain(
      `(installation on ${victim.login}) to your ctx4-ai account <strong>${attackerEmail}</strong>?`,
    );
    const cancelled = await decideLink(victimsBrowser, page, "cancel");
    expect(location(cancelled)).toBe("/onboarding/connect-github");
    expect(await configOf(victimsBrowser)).toBeUndefined();
    expect(await storedUserToken(await victimsBrowser.userId())).toBeUndefined();

    const again = await decideLink(victimsBrowser, page, "link");
    expect(again.status).toBe(400);
    expect(await again.text()).toContain("already used or was not made for you");
    expect(await configOf(victimsBrowser)).toBeUndefined();
  });

  it("saves nothing for a forged, replayed, expired or malformed confirmation", async () => {
    const visitor = await signedIn("forger");
    const forged = await visitor.post("/api/github/callback", {
      confirmation: crypto.randomUUID(),
      decision: "link",
    });
    expect(forged.status).toBe(400);
    expect(await forged.text()).toContain("already used or was not made for you");
    const malformed = await visitor.post("/api/github/callback", { confirmation: "x", decision: "link" });
    expect(malformed.status).toBe(400);
    expect(await malformed.text()).toContain("not filled in as expected");

    const github = await newGitHubUser();
    const page = await (await returnFromGitHub(visitor, github.login)).text();
    const confirmation = confirmationOf(page);
    await runInDurableObject(workspaceOf(await visitor.userId()), async (_instance, state) => {
      const key = `github-link:${confirmation}`;
      const held = await state.storage.get<{ expiresAt: number }>(key);
      await state.storage.put(key, { ...held, expiresAt: Date.now() - 1 });
    });
    const expired = await decideLink(visitor, page);
    expect(expired.status).toBe(400);
    expect(await expired.text()).toContain("This confirmation expired");
    const replayed = await decideLink(visitor, page);
    expect(replayed.status).toBe(400);
    expect(await configOf(visitor)).toBeUndefined();
    expect(await storedUserToken(await visitor.userId())).toBeUndefined();
  });

  it("does not accept a confirmation made for another user or another sign-in session", async () => {
    const attacker = await signedIn("mallory");
    const attackerGitHub = await newGitHubUser();
    const attackersPage = await (await returnFromGitHub(attacker, attackerGitHub.login)).text();
    const victim = await signedIn("victim");
    const foreign = await decideLink(victim, attackersPage);
    expect(foreign.status).toBe(400);
    expect(await configOf(victim)).toBeUndefined();

    const email = uniqueEmail("twobrowsers");
    const laptop = await signedIn("laptop", email);
    const phone = new Visitor();
    await phone.signIn(email);
    const github = await newGitHubUser();
    const laptopsPage = await (await returnFromGitHub(laptop, github.login)).text();
    const fromPhone = await decideLink(phone, laptopsPage);
    expect(fromPhone.status).toBe(400);
    expect(await fromPhone.text()).toContain("belongs to another sign-in");
    expect((await decideLink(laptop, laptopsPage)).status).toBe(400);
    expect(await configOf(laptop)).toBeUndefined();
  });

  it("refuses an installation_id that belongs to another GitHub user", async () => {
    const visitor = await signedIn("mallory");
    const victim = await newGitHubUser();
    const attacker = await newGitHubUser();
    const control = githubControl();
    const victimInstallation = await control.createInstallation(victim.login, {
      repository_selection: "all",
    });

    const { installation } = await installAndReturn(visitor, attacker.login, ["ctx"]);
    const state = await startInstall(visitor);
    const { code } = await control.oauthCode(attacker.login);
    const spoofed = await visitor.fetch(
      `/api/github/callback?${new URLSearchParams({
        code,
        installation_id: String(victimInstallation.id),
        setup_action: "install",
        state,
      })}`,
    );

    expect(spoofed.status).toBe(400);
    expect(await spoofed.text()).toContain("That installation is not yours");
    expect((await configOf(visitor))?.installationId).toBe(installation.id);
  });

  it("refuses a forged state and writes nothing", async () => {
    const visitor = await signedIn("forger");
    const github = await newGitHubUser();
    const control = githubControl();
    const installation = await control.createInstallation(github.login, { repository_selection: "all" });
    const { code } = await control.oauthCode(github.login);
    const response = await visitor.fetch(
      `/api/github/callback?${new URLSearchParams({
        code,
        installation_id: String(installation.id),
        setup_action: "install",
        state: "forged-state-value",
      })}`,
    );
    expect(response.status).toBe(400);
    expect(await response.text()).toContain("already used or was not made for you");
    expect(await configOf(visitor)).toBeUndefined();
  });

  it("links an install started on GitHub, with no state of ours, once the person confirms it", async () => {
    const email = uniqueEmail("fromgithub");
    const visitor = await signedIn("fromgithub", email);
    const github = await newGitHubUser(["ctx"]);
    const control = githubControl();
    const installation = await control.createInstallation(github.login, { repository_selection: "all" });
    const { path: callback } = await gitHubReturn(control, github.login, installation.id);

    const page = await visitor.fetch(callback);
    expect(page.status).toBe(200);
    const html = await page.text();
    expect(html).toContain(`Link GitHub account <strong>@${github.login}</strong>`);
    expect(html).toContain(`to your ctx4-ai account <strong>${email}</strong>?`);
    expect(await configOf(visitor)).toBeUndefined();

    expect(location(await decideLink(visitor, html))).toBe("/onboarding/select-repo");
    expect(await configOf(visitor)).toMatchObject({ installationId: installation.id, githubUsername: github.login });
  });

  it("has a signed-out person back from GitHub sign in first, keeping GitHub's code out of the login URL", async () => {
    const visitor = new Visitor();
    const github = await newGitHubUser(["ctx"]);
    const control = githubControl();
    const installation = await control.createInstallation(github.login, { repository_selection: "all" });
    const { code, path: callback } = await gitHubReturn(control, github.login, installation.id);

    const toLogin = location(await visitor.fetch(callback)) ?? "";
    const returnTo = new URL(toLogin, SITE).searchParams.get("returnTo") ?? "";
    expect(toLogin).toMatch(/^\/login\?/);
    expect(toLogin).not.toContain(code);
    expect(returnTo).toBe(`/api/github/callback?installation_id=${installation.id}&setup_action=install`);

    const email = uniqueEmail("signedout");
    expect(location(await visitor.signIn(email, returnTo))).toBe(returnTo);
    const html = await (await visitor.fetch(returnTo)).text();
    expect(html).toContain(`Link GitHub account <strong>@${github.login}</strong>`);
    expect(html).toContain(`to your ctx4-ai account <strong>${email}</strong>?`);
    expect(await configOf(visitor)).toBeUndefined();
    expect(location(await decideLink(visitor, html))).toBe("/onboarding/select-repo");
    expect((await configOf(visitor))?.installationId).toBe(installation.id);
    // The code was used once: the same return again has nothing to verify with.
    expect(await (await visitor.fetch(returnTo)).text()).toContain("Finish connecting from ctx4-ai");
  });

  it("does not offer to link someone else's installation named in a return from GitHub", async () => {
    const visitor = await signedIn("spoofer");
    const victim = await newGitHubUser();
    const attacker = await newGitHubUser();
    const control = githubControl();
    const victimInstallation = await control.createInstallation(victim.login, { repository_selection: "all" });
    const { path: callback } = await gitHubReturn(control, attacker.login, victimInstallation.id);
    const response = await visitor.fetch(callback);
    expect(response.status).toBe(400);
    expect(await response.text()).toContain("That installation is not yours");
    expect(await configOf(visitor)).toBeUndefined();
  });

  it("says to start from ctx4-ai when GitHub's return cannot say who the person is", async () => {
    const visitor = await signedIn("nostate");
    const response = await visitor.fetch("/api/github/callback?installation_id=1&setup_action=install");
    expect(response.status).toBe(200);
    const html = await response.text();
    expect(html).toContain("Finish connecting from ctx4-ai");
    expect(html).toContain("Start from ctx4-ai: press Connect GitHub");
    expect(html).toContain('action="/onboarding/connect-github"');
    const start = await visitor.post("/onboarding/connect-github", {});
    expect(location(start)).toMatch(/\/apps\/[^/]+\/installations\/new\?state=/);
    expect(await configOf(visitor)).toBeUndefined();
  });

  it("refuses a replayed callback", async () => {
    const visitor = await signedIn("replayer");
    const github = await newGitHubUser();
    const { callback } = await installAndReturn(visitor, github.login, ["ctx"]);
    const replay = await visitor.fetch(callback);
    expect(replay.status).toBe(400);
  });

  it("refuses a state that was issued to another user", async () => {
    const victim = await signedIn("victim");
    const attacker = await signedIn("attacker");
    const github = await newGitHubUser();
    const victimState = await startInstall(victim);
    const control = githubControl();
    const installation = await control.createInstallation(github.login, { repository_selection: "all" });
    const { code } = await control.oauthCode(github.login);

    const response = await attacker.fetch(
      `/api/github/callback?${new URLSearchParams({
        code,
        installation_id: String(installation.id),
        setup_action: "install",
        state: victimState,
      })}`,
    );
    expect(response.status).toBe(400);
    expect(await configOf(attacker)).toBeUndefined();
    expect(await configOf(victim)).toBeUndefined();
  });

  it("refuses a state issued to another sign-in session of the same user", async () => {
    const email = uniqueEmail("twobrowsers");
    const laptop = new Visitor();
    await laptop.signIn(email);
    const phone = new Visitor();
    await phone.signIn(email);
    const state = await startInstall(laptop);
    const response = await phone.fetch(`/api/github/callback?state=${state}&installation_id=1&code=x`);
    expect(response.status).toBe(400);
    expect(await response.text()).toContain("belongs to another sign-in");
  });

  it("refuses an expired state", async () => {
    const visitor = await signedIn("slowpoke");
    const state = await startInstall(visitor);
    const workspace = env.USER_WORKSPACE.get(env.USER_WORKSPACE.idFromName(await visitor.userId()));
    await runInDurableObject(workspace, async (_instance, objectState) => {
      const key = `install-state:${state}`;
      const stored = await objectState.storage.get<{ sessionId: string; expiresAt: number }>(key);
      await objectState.storage.put(key, { ...stored, expiresAt: Date.now() - 1 });
    });
    const response = await visitor.fetch(`/api/github/callback?state=${state}&installation_id=1&code=x`);
    expect(response.status).toBe(400);
    expect(await response.text()).toContain("This GitHub link expired");
  });

  it("refuses a code that was already exchanged", async () => {
    const visitor = await signedIn("reuser");
    const github = await newGitHubUser();
    const { code, installation } = await installAndReturn(visitor, github.login, ["ctx"]);
    const state = await startInstall(visitor);
    const response = await visitor.fetch(
      `/api/github/callback?${new URLSearchParams({ code, installation_id: String(installation.id), setup_action: "update", state })}`,
    );
    expect(response.status).toBe(400);
    expect(await response.text()).toContain("GitHub did not confirm your account");
  });

  it("says so when the person pressed Cancel on GitHub's authorization page", async () => {
    const visitor = await signedIn("canceller");
    const state = await startInstall(visitor);
    const response = await visitor.fetch(
      `/api/github/callback?${new URLSearchParams({ error: "access_denied", error_description: "denied", state })}`,
    );
    expect(response.status).toBe(400);
    expect(await response.text()).toContain("GitHub did not authorize ctx4-ai");
    expect(await configOf(visitor)).toBeUndefined();
  });

  it("says so when an organisation owner must approve the App", async () => {
    const visitor = await signedIn("member");
    const state = await startInstall(visitor);
    const response = await visitor.fetch(`/api/github/callback?setup_action=request&state=${state}`);
    expect(response.status).toBe(202);
    expect(await response.text()).toContain("Waiting for your organisation");
    expect(await configOf(visitor)).toBeUndefined();
  });

  it("accepts an update without a code only for the installation already connected", async () => {
    const visitor = await signedIn("updater");
    const github = await newGitHubUser();
    const other = await newGitHubUser();
    const { installation } = await installAndReturn(visitor, github.login, ["ctx"]);
    const otherInstallation = await githubControl().createInstallation(other.login, { repository_selection: "all" });

    const again = async (installationId: number) => {
      const state = await startInstall(visitor, { path: "/me", fields: { intent: "update-access" } });
      return visitor.fetch(
        `/api/github/callback?${new URLSearchParams({ installation_id: String(installationId), setup_action: "update", state })}`,
      );
    };
    expect(location(await again(installation.id))).toBe("/onboarding/select-repo");
    const foreign = await again(otherInstallation.id);
    expect(foreign.status).toBe(400);
    expect((await configOf(visitor))?.installationId).toBe(installation.id);
  });

  it("shows the repo the person just removed from the installation as unreachable on /me, and active once added back", async () => {
    const { visitor, github, installation } = await onboardedVisitor("remover", ["ctx", "notes"]);
    const control = githubControl();
    // "Update access on GitHub" on /me, the chosen repo unticked, Save, and Link on our page.
    const linkAgain = async () => {
      const state = await startInstall(visitor, { path: "/me", fields: { intent: "update-access" } });
      const { path: callback } = await gitHubReturn(control, github.login, installation.id, "update", state);
      const page = await (await visitor.fetch(callback)).text();
      return decideLink(visitor, page);
    };

    await control.setRepositories(installation.id, { repository_selection: "selected", repositories: ["notes"] });
    expect(location(await linkAgain())).toBe("/me?github=updated");
    expect(await configOf(visitor)).toMatchObject({ isActive: false, inactiveReason: "repo_removed" });
    expect(await (await visitor.fetch("/me")).text()).toContain("The App no longer has access to your repository");

    // Given back on GitHub's own settings page, which returns with no state of ours.
    await control.setRepositories(installation.id, {
      repository_selection: "selected",
      repositories: ["ctx", "notes"],
    });
    const back = await visitor.fetch(`/api/github/callback?installation_id=${installation.id}&setup_action=update`);
    expect(location(back)).toBe("/me?github=updated");
    expect(await configOf(visitor)).toMatchObject({ isActive: true, inactiveReason: null });
  });

  it("says the changes are in only at the end of the Update access trip that left, not after one given up", async () => {
    const { visitor, github, installation } = await onboardedVisitor("wanderer", ["ctx", "notes"]);
    const control = githubControl();
    const returnWith = async (state: string) => {
      const { path: callback } = await gitHubReturn(control, github.login, installation.id, "update", state);
      return (await visitor.fetch(callback)).text();
    };

    // Update access, then the GitHub tab closed; later, Connect GitHub from ctx4-ai, and Link.
    await startInstall(visitor, { path: "/me", fields: { intent: "update-access" } });
    const later = await startInstall(visitor);
    expect(location(await decideLink(visitor, await returnWith(later)))).toBe("/me");

    // Update access twice, the first GitHub tab left open and finished after the second.
    const first = await startInstall(visitor, { path: "/me", fields: { intent: "update-access" } });
    await startInstall(visitor, { path: "/me", fields: { intent: "update-access" } });
    expect(location(await decideLink(visitor, await returnWith(first)))).toBe("/me");

    // A trip followed to its end says so, once.
    const trip = await startInstall(visitor, { path: "/me", fields: { intent: "update-access" } });
    expect(location(await decideLink(visitor, await returnWith(trip)))).toBe("/me?github=updated");
    expect(location(await decideLink(visitor, await returnWith(await startInstall(visitor))))).toBe("/me");
  });

  it("takes people back to /me with a note after they change the App's access on GitHub's own page", async () => {
    const { visitor, installation } = await onboardedVisitor("settings");
    const other = await newGitHubUser();
    const otherInstallation = await githubControl().createInstallation(other.login, { repository_selection: "all" });
    // GitHub's redirect from github.com/settings/installations/<id>: no state, no code.
    const fromSettings = (installationId: number) =>
      visitor.fetch(`/api/github/callback?installation_id=${installationId}&setup_action=update`);

    const back = await fromSettings(installation.id);
    expect(location(back)).toBe("/me?github=updated");
    const me = await visitor.fetch("/me?github=updated");
    expect(await me.text()).toContain("Your changes on GitHub are in");

    const foreign = await fromSettings(otherInstallation.id);
    expect(foreign.status).toBe(200);
    expect(await foreign.text()).toContain("Finish connecting from ctx4-ai");
    expect((await configOf(visitor))?.installationId).toBe(installation.id);
  });
});
