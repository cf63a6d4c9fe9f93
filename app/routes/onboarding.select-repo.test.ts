import { describe, expect, inject, it } from "vitest";
import { storedUserToken } from "../../tests/workerd/connected-user";
import { accessToken } from "../../tests/workerd/mcp";
import {
  configOf,
  decideLink,
  gitHubReturn,
  githubControl,
  installAndReturn,
  location,
  newGitHubUser,
  onboardedVisitor,
  startInstall,
  uniqueEmail,
  Visitor,
} from "../../tests/workerd/visitor";

/** How the emulated GitHub answers `GET /user` for a token: 200 while it works, 401 once retired. */
async function gitHubStatus(token: string) {
  return (await fetch(`${inject("stack").githubUrl}/user`, { headers: { authorization: `token ${token}` } })).status;
}

/** What a person reads on a page: its text without tags or the data that hydrates it. */
async function read(visitor: Visitor, path: string) {
  const html = await (await visitor.fetch(path)).text();
  return html
    .replace(/<script[\s\S]*?<\/script>/g, "")
    .replaceAll("<!-- -->", "")
    .replace(/<\/?(strong|a|span|time|code)\b[^>]*>/g, "")
    .replace(/<[^>]+>/g, " ")
    .replaceAll("&#x27;", "'")
    .replace(/\s+/g, " ");
}

/** The repos whose radio is checked when the page opens. */
async function preselected(visitor: Visitor) {
  const html = await (await visitor.fetch("/onboarding/select-repo")).text();
  return [...html.matchAll(/<input type="radio"[^>]*value="(\d+)"[^>]*>/g)]
    .filter(([tag]) => tag.includes("checked"))
    .map(([, id]) => Number(id));
}

/** Offered repos as the page lists them (radio labels). */
async function offered(visitor: Visitor) {
  const html = await (await visitor.fetch("/onboarding/select-repo")).text();
  return [...html.matchAll(/<span class="font-mono text-sm">([^<]+)<\/span>/g)].map(([, name]) => name);
}

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

  it("offers an organisation member only the repos they can open, and refuses another repo of the installation", async () => {
    const control = githubControl();
    const owner = await newGitHubUser([]);
    const member = await newGitHubUser([]);
    const org = `org-${crypto.randomUUID().slice(0, 8)}`;
    await control.createAccount({ login: org, type: "Organization", owners: [owner.login], members: [member.login] });
    const repos = await Promise.all(["handbook", "payroll", "secrets"].map((repo) => control.createRepo(org, repo)));
    await control.addCollaborator(`${org}/handbook`, member.login);
    const installation = await control.createInstallation(org, { repository_selection: "all" });

    const link = async (login: string) => {
      const visitor = new Visitor();
      await visitor.signIn(uniqueEmail(login));
      const state = await startInstall(visitor);
      const { path: callback } = await gitHubReturn(control, login, installation.id, "install", state);
      const page = await (await visitor.fetch(callback)).text();
      expect(page).toContain(`installation on ${org}`);
      expect(location(await decideLink(visitor, page))).toBe("/onboarding/select-repo");
      return visitor;
    };
    const memberVisitor = await link(member.login);
    const ownerVisitor = await link(owner.login);

    expect(await offered(memberVisitor)).toEqual([`${org}/handbook`]);
    const list = (await (await memberVisitor.fetch("/api/github/repos")).json()) as {
      repositories: { fullName: string }[];
    };
    expect(list.repositories.map((repo) => repo.fullName)).toEqual([`${org}/handbook`]);
    expect((await offered(ownerVisitor)).sort()).toEqual(repos.map((repo) => repo.full_name).sort());

    const payroll = repos.find((repo) => repo.name === "payroll");
    const refused = await memberVisitor.post("/onboarding/select-repo", { repoId: String(payroll?.id) });
    expect(refused.status).toBe(403);
    expect(await refused.text()).toContain(
      `You cannot use that repository: your GitHub account @${member.login} cannot open it through the ctx4-ai installation.`,
    );
    expect(await configOf(memberVisitor)).toMatchObject({ repoId: null });

    const handbook = repos.find((repo) => repo.name === "handbook");
    expect(location(await memberVisitor.post("/onboarding/select-repo", { repoId: String(handbook?.id) }))).toBe("/me");
    expect(await configOf(memberVisitor)).toMatchObject({ repoFullName: `${org}/handbook` });
  });

  it("renews an expiring GitHub user token with its refresh token, and GitHub retires the old one", async () => {
    const { visitor, github } = await connected("renewer", ["ctx"]);
    const before = await storedUserToken(await visitor.userId(), (token) => ({
      ...token,
      expiresAt: Date.now() + 30_000,
    }));
    expect(await offered(visitor)).toEqual([`${github.login}/ctx`]);

    const after = await storedUserToken(await visitor.userId());
    expect(after?.token).toMatch(/^ghu_/);
    expect(after?.token).not.toBe(before?.token);
    expect(after?.refreshToken).not.toBe(before?.refreshToken);
    expect(await gitHubStatus(before?.token ?? "")).toBe(401);
    expect(await gitHubStatus(after?.token ?? "")).toBe(200);
  });

  it("sends the person through GitHub's authorization again when GitHub refuses their token, then lists again", async () => {
    const { visitor, github, installation } = await connected("revoked", ["ctx"]);
    const stored = await storedUserToken(await visitor.userId());
    await githubControl().revokeToken(stored?.token ?? "");
    await githubControl().revokeToken(stored?.refreshToken ?? "");

    const page = await (await visitor.fetch("/onboarding/select-repo")).text();
    expect(page).toContain("Confirm your GitHub account");
    expect(page).not.toContain(`${github.login}/ctx`);
    expect(await storedUserToken(await visitor.userId())).toBeUndefined();
    const refused = await visitor.post("/onboarding/select-repo", { repoId: String(github.repos[0]?.id) });
    expect(refused.status).toBe(403);
    expect(await configOf(visitor)).toMatchObject({ repoId: null });

    const toGitHub = new URL(
      (await visitor.post("/onboarding/select-repo", { intent: "authorize-github" })).headers.get("Location") ?? "",
    );
    expect(`${toGitHub.origin}${toGitHub.pathname}`).toBe(`${inject("stack").githubUrl}/login/oauth/authorize`);
    const state = toGitHub.searchParams.get("state") ?? "";
    const { code } = await githubControl().oauthCode(github.login);
    const confirm = await (await visitor.fetch(`/api/github/callback?${new URLSearchParams({ code, state })}`)).text();
    expect(confirm).toContain(`Link GitHub account <strong>@${github.login}</strong>`);
    expect(location(await decideLink(visitor, confirm))).toBe("/onboarding/select-repo");
    expect(await configOf(visitor)).toMatchObject({ installationId: installation.id });
    expect(await offered(visitor)).toEqual([`${github.login}/ctx`]);
  });

  it("preselects the only repo there is, and none of several", async () => {
    const single = await connected("single", ["ctx"]);
    expect(await preselected(single.visitor)).toEqual([single.github.repos[0]?.id]);
    const several = await connected("several", ["ctx", "notes"]);
    expect(await preselected(several.visitor)).toEqual([]);
  });

  it("says which AI clients move to the new repo, offers a way back unchanged, then says what changed", async () => {
    const { visitor, github } = await onboardedVisitor("mover", ["ctx", "notes"]);
    expect(await read(visitor, "/onboarding/select-repo")).toContain(
      "No AI client is connected yet: none is affected by the change.",
    );
    await accessToken(visitor, true, "Claude");
    const page = await read(visitor, "/onboarding/select-repo");
    expect(page).toContain("Change your repository");
    expect(page).toContain(`Your AI uses ${github.login}/ctx now.`);
    expect(page).toContain("This AI client will use the repository you choose from its next call: Claude.");
    expect(page).toContain(`Keep ${github.login}/ctx`);
    expect(await (await visitor.fetch("/onboarding/select-repo")).text()).toMatch(/<a[^>]*href="\/me"[^>]*>Keep /);
    expect(await preselected(visitor)).toEqual([github.repos[0]?.id]);

    const notes = github.repos.find((repo) => repo.name === "notes");
    expect(location(await visitor.post("/onboarding/select-repo", { repoId: String(notes?.id) }))).toBe("/me");
    const me = await read(visitor, "/me");
    expect(me).toContain(`Now using ${github.login}/notes. Claude uses it from its next call.`);
    expect(await read(visitor, "/me")).not.toContain("Now using");
  });

  it("sends someone without an installation back to connect GitHub", async () => {
    const visitor = new Visitor();
    await visitor.signIn(uniqueEmail("early"));
    expect(location(await visitor.fetch("/onboarding/select-repo"))).toBe("/onboarding/connect-github");
    expect(location(await visitor.post("/onboarding/select-repo", { repoId: "1" }))).toBe("/onboarding/connect-github");
    expect((await visitor.fetch("/api/github/repos")).status).toBe(409);
  });
});
