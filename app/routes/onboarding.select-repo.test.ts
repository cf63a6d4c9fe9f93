import { describe, expect, inject, it } from "vitest";
import {
  configOf,
  decideLink,
  githubControl,
  installAndReturn,
  location,
  newGitHubUser,
  startInstall,
  uniqueEmail,
  Visitor,
} from "../../tests/workerd/visitor";

async function connected(name: string, repos: string[], granted = repos) {
  const visitor = new Visitor();
  await visitor.signIn(uniqueEmail(name));
  const github = await newGitHubUser(repos);
  const { installation } = await installAndReturn(visitor, github.login, granted);
  return { visitor, github, installation };
}

describe("choosing the repository", () => {
  it("lists the installation's repos and saves what GitHub says about the chosen one", async () => {
    const { visitor, github } = await connected("picker", ["ctx", "notes", "secret"], ["ctx", "notes"]);
    const page = await visitor.fetch("/onboarding/select-repo");
    const html = await page.text();
    expect(html).toContain(`${github.login}/ctx`);
    expect(html).toContain(`${github.login}/notes`);
    expect(html).not.toContain(`${github.login}/secret`);

    const chosen = github.repos.find((repo) => repo.name === "notes");
    const saved = await visitor.post("/onboarding/select-repo", { repoId: String(chosen?.id) });
    expect(location(saved)).toBe("/me");
    expect(await configOf(visitor)).toMatchObject({
      repoId: chosen?.id,
      repoFullName: `${github.login}/notes`,
      repoUrl: chosen?.clone_url,
      defaultBranch: "main",
    });
    const me = await (await visitor.fetch("/me")).text();
    expect(me).toContain(`${github.login}/notes`);
    expect(me).toContain(`${inject("stack").site}/mcp`);
  });

  it("refuses a repo id outside the installation and keeps the config as it was", async () => {
    const { visitor, github } = await connected("sneaky", ["ctx", "private"], ["ctx"]);
    const outside = github.repos.find((repo) => repo.name === "private");
    const refused = await visitor.post("/onboarding/select-repo", { repoId: String(outside?.id) });
    expect(refused.status).toBe(403);
    expect(await refused.text()).toContain(
      `your GitHub account @${github.login} cannot open it through the ctx4-ai installation`,
    );
    expect(await configOf(visitor)).toMatchObject({ repoId: null });

    const garbage = await visitor.post("/onboarding/select-repo", { repoId: "1; drop table" });
    expect(garbage.status).toBe(400);
  });

  it("does not let a second user choose the first user's repo", async () => {
    const { github } = await connected("owner", ["ctx"]);
    const { visitor: other } = await connected("intruder", ["mine"]);
    const refused = await other.post("/onboarding/select-repo", { repoId: String(github.repos[0]?.id) });
    expect(refused.status).toBe(403);
    const list = (await (await other.fetch("/api/github/repos")).json()) as { repositories: { fullName: string }[] };
    expect(list.repositories.map((repo) => repo.fullName)).toEqual([expect.stringMatching(/\/mine$/)]);
  });

  it("lists every repo of a large installation, across GitHub's pages", async () => {
    const visitor = new Visitor();
    await visitor.signIn(uniqueEmail("bigorg"));
    const owner = await newGitHubUser([]);
    const control = githubControl();
    const org = `org-${crypto.randomUUID().slice(0, 8)}`;
    await control.createAccount({ login: org, type: "Organization", owners: [owner.login] });
    await Promise.all(Array.from({ length: 130 }, (_, index) => control.createRepo(org, `repo-${index}`, "empty")));
    const state = await startInstall(visitor);
    const installation = await control.createInstallation(org, { repository_selection: "all" });
    const { code } = await control.oauthCode(owner.login);
    const callback = await visitor.fetch(
      `/api/github/callback?${new URLSearchParams({ code, installation_id: String(installation.id), setup_action: "install", state })}`,
    );
    expect(location(await decideLink(visitor, await callback.text()))).toBe("/onboarding/select-repo");

    const list = (await (await visitor.fetch("/api/github/repos")).json()) as { repositories: unknown[] };
    expect(list.repositories).toHaveLength(130);
    const page = await (await visitor.fetch("/onboarding/select-repo")).text();
    expect(page).toContain("Search repositories");
    expect(page).toContain(`${org}/repo-129`);
  });

  it("sends someone without an installation back to connect GitHub", async () => {
    const visitor = new Visitor();
    await visitor.signIn(uniqueEmail("early"));
    expect(location(await visitor.fetch("/onboarding/select-repo"))).toBe("/onboarding/connect-github");
    expect(location(await visitor.post("/onboarding/select-repo", { repoId: "1" }))).toBe("/onboarding/connect-github");
    expect((await visitor.fetch("/api/github/repos")).status).toBe(409);
  });
});
