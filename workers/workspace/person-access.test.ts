import { abortAllDurableObjects } from "cloudflare:test";
import { describe, expect, it, vi } from "vitest";
import { connectedUser, saveConfig, storedUserToken, workspaceOf } from "../../tests/workerd/connected-user";
import { accessToken, callTool, openSession } from "../../tests/workerd/mcp";
import {
  decideLink,
  gitHubReturn,
  githubControl,
  location,
  newGitHubUser,
  startInstall,
  uniqueEmail,
  Visitor,
} from "../../tests/workerd/visitor";
import { RECONFIRM_AFTER_MS } from "./repo-token";

/**
 * An organisation with the App on all its repos, and a plain member of it (no access of their
 * own) who was made collaborator on `org/handbook`.
 */
async function organisationMember() {
  const control = githubControl();
  const owner = await newGitHubUser([]);
  const member = await newGitHubUser([]);
  const org = `org-${crypto.randomUUID().slice(0, 8)}`;
  await control.createAccount({ login: org, type: "Organization", owners: [owner.login], members: [member.login] });
  const repo = await control.createRepo(org, "handbook", "ctx");
  await control.addCollaborator(repo.full_name, member.login);
  const installation = await control.createInstallation(org, { repository_selection: "all" });
  return { control, member, repo, installation };
}

/** The member's own ctx4-ai account, with handbook chosen, without the browser. */
async function memberWorkspace() {
  const org = await organisationMember();
  const userId = crypto.randomUUID();
  await saveConfig(userId, org.installation.id, org.member.login, org.repo);
  return { ...org, userId, workspace: workspaceOf(userId) };
}

const textOf = (answer: { result?: Record<string, unknown> }) =>
  ((answer.result?.content ?? []) as { text: string }[]).map((part) => part.text).join("\n");

const lostAccess = (login: string, repo: string) =>
  `Your GitHub account @${login} can no longer open ${repo} through the ctx4-ai GitHub App`;

describe("the person's own access to the repo", () => {
  it("ends the tools' access when an organisation removes the member, over MCP; given back, they work again", async () => {
    const { control, member, repo, installation } = await organisationMember();
    const visitor = new Visitor();
    await visitor.signIn(uniqueEmail("member"));
    const state = await startInstall(visitor);
    const { path: callback } = await gitHubReturn(control, member.login, installation.id, "install", state);
    await decideLink(visitor, await (await visitor.fetch(callback)).text());
    expect(location(await visitor.post("/onboarding/select-repo", { repoId: String(repo.id) }))).toBe("/me");
    const token = await accessToken(visitor, true);

    await control.removeCollaborator(repo.full_name, member.login);
    const session = await openSession(token);
    const bash = await callTool(token, session, "ctx_bash", { command: "echo still-here > after-removal.md" });
    expect(bash.result?.isError).toBe(true);
    expect(textOf(bash)).toContain(lostAccess(member.login, repo.full_name));
    expect(textOf(bash)).toContain("choose another repository on your ctx4-ai dashboard");
    const instructions = await callTool(token, session, "ctx_instructions", {});
    expect(instructions.result?.isError).toBe(true);
    expect(textOf(instructions)).toContain(lostAccess(member.login, repo.full_name));
    expect(textOf(instructions)).not.toContain("I am a software engineer");
    expect(await control.readFile(repo.full_name, "after-removal.md")).toBeUndefined();

    await control.addCollaborator(repo.full_name, member.login);
    const again = await callTool(token, session, "ctx_bash", { command: "echo back > back.md", comment: "Back" });
    expect(again.result?.isError).toBe(false);
    expect(await control.readFile(repo.full_name, "back.md")).toBe("back\n");
    const read = await callTool(token, session, "ctx_instructions", {});
    expect(textOf(read)).toContain("I am a software engineer");
  });

  it("is asked again once 10 minutes have passed, and a token minted before the removal serves no more", async () => {
    const { control, member, repo, workspace } = await memberWorkspace();
    expect(await workspace.bash({ command: "echo a > a.md" })).toMatchObject({ publish: { state: "pushed" } });
    await control.removeCollaborator(repo.full_name, member.login);

    vi.useFakeTimers({ toFake: ["Date"] });
    try {
      vi.setSystemTime(Date.now() + RECONFIRM_AFTER_MS);
      const refused = await workspace.bash({ command: "echo late > late.md" });
      expect(refused).toEqual({
        ran: false,
        problem: expect.stringContaining(lostAccess(member.login, repo.full_name)),
      });
      const read = await workspace.instructions();
      expect(read).toMatchObject({
        ready: false,
        problem: expect.stringContaining(lostAccess(member.login, repo.full_name)),
      });
    } finally {
      vi.useRealTimers();
    }
    expect(await control.readFile(repo.full_name, "late.md")).toBeUndefined();
  });

  it("is asked again on the first call after the object restarts", async () => {
    const { control, member, repo, userId, workspace } = await memberWorkspace();
    expect(await workspace.bash({ command: "true" })).toMatchObject({ ran: true });
    await control.removeCollaborator(repo.full_name, member.login);
    await abortAllDurableObjects();

    const refused = await workspaceOf(userId).bash({ command: "echo late > late.md" });
    expect(refused).toEqual({ ran: false, problem: expect.stringContaining(lostAccess(member.login, repo.full_name)) });
    expect(await control.readFile(repo.full_name, "late.md")).toBeUndefined();
  });

  it("finds the repo past GitHub's first page of a large installation", async () => {
    const control = githubControl();
    const owner = await newGitHubUser([]);
    const org = `org-${crypto.randomUUID().slice(0, 8)}`;
    await control.createAccount({ login: org, type: "Organization", owners: [owner.login] });
    await Promise.all(Array.from({ length: 100 }, (_, index) => control.createRepo(org, `repo-${index}`, "empty")));
    const repo = await control.createRepo(org, "handbook", "ctx");
    const installation = await control.createInstallation(org, { repository_selection: "all" });
    const userId = crypto.randomUUID();
    await saveConfig(userId, installation.id, owner.login, repo);

    const result = await workspaceOf(userId).bash({ command: "echo a > a.md" });
    expect(result).toMatchObject({ ran: true, publish: { state: "pushed" } });
  });

  it("sends the person to confirm their GitHub account when GitHub refuses their user token", async () => {
    const { userId, login, repo, installation, control, workspace } = await connectedUser();
    const stored = await storedUserToken(userId);
    await control.revokeToken(stored?.token ?? "");
    await control.revokeToken(stored?.refreshToken ?? "");

    const refused = await workspace.bash({ command: "echo a > a.md" });
    expect(refused).toEqual({
      ran: false,
      problem: `GitHub needs to confirm your GitHub account again before ctx4-ai reads or writes ${repo.full_name} for you (the App's authorization was withdrawn or has run out). On your ctx4-ai dashboard, choose Change repository, then Confirm on GitHub.`,
    });
    expect(await control.readFile(repo.full_name, "a.md")).toBeUndefined();

    // The person confirms on GitHub and presses Link: the callback tells the object.
    await saveConfig(userId, installation.id, login, repo);
    await workspace.configChanged();
    expect(await workspace.bash({ command: "echo a > a.md" })).toMatchObject({ publish: { state: "pushed" } });
  });

  it("names a suspended or removed installation as such, not as the person's lost access", async () => {
    const { control, installation, workspace } = await memberWorkspace();
    await control.suspend(installation.id);
    const suspended = await workspace.bash({ command: "true" });
    expect(suspended).toMatchObject({
      ran: false,
      problem: expect.stringMatching(/^The ctx4-ai GitHub App is suspended/),
    });

    await control.unsuspend(installation.id);
    expect(await workspace.bash({ command: "true" })).toMatchObject({ ran: true });
    await control.deleteInstallation(installation.id);
    await workspace.configChanged();
    const deleted = await workspace.bash({ command: "true" });
    expect(deleted).toMatchObject({ ran: false, problem: expect.stringMatching(/no longer installed/) });
  });
});
