import { runInDurableObject } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import {
  configOf,
  githubControl,
  installAndReturn,
  location,
  newGitHubUser,
  startInstall,
  uniqueEmail,
  Visitor,
} from "../../tests/workerd/visitor";

async function signedIn(name: string) {
  const visitor = new Visitor();
  await visitor.signIn(uniqueEmail(name));
  const me = await visitor.fetch("/me");
  expect(location(me)).toBe("/onboarding/connect-github");
  return visitor;
}

describe("the GitHub callback", () => {
  it("connects the installation the person just made, and goes on to choosing a repo", async () => {
    const visitor = await signedIn("alice");
    const github = await newGitHubUser(["ctx", "notes"]);
    const { response, installation } = await installAndReturn(visitor, github.login, ["ctx"]);

    expect(location(response)).toBe("/onboarding/select-repo");
    expect(await configOf(visitor)).toMatchObject({
      installationId: installation.id,
      githubUsername: github.login,
      repoId: null,
    });
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

  it("refuses a missing state", async () => {
    const visitor = await signedIn("nostate");
    const response = await visitor.fetch("/api/github/callback?installation_id=1&setup_action=install&code=x");
    expect(response.status).toBe(400);
    expect(await response.text()).toContain("did not come from ctx4-ai");
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
});
