import { createExecutionContext, waitOnExecutionContext } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { describe, expect, inject, it } from "vitest";
import { storedUserToken, workspaceOf } from "../../tests/workerd/connected-user";
import { accessToken, mcpPost } from "../../tests/workerd/mcp";
import {
  configOf,
  gitHubReturn,
  githubControl,
  installAndReturn,
  location,
  Visitor as NewVisitor,
  newGitHubUser,
  onboardedVisitor,
  SITE,
  startInstall,
  uniqueEmail,
  type Visitor,
} from "../../tests/workerd/visitor";
import worker from "../../workers/app";
import { connectDatabase } from "../lib/db/client.server";
import { recordAccess } from "../lib/db/queries.server";
import { INACTIVE_REASONS, type InactiveReason } from "../lib/db/schema";

/** What a person reads on a page: its text without tags or the data that hydrates it. */
async function read(visitor: Visitor, path: string) {
  const html = await (await visitor.fetch(path)).text();
  return html
    .replace(/<script[\s\S]*?<\/script>/g, "")
    .replaceAll("<!-- -->", "")
    .replace(/<\/?(strong|a|span|time|code)\b[^>]*>/g, "")
    .replace(/<[^>]+>/g, " ")
    .replaceAll("&#x27;", "'")
    .replaceAll("&quot;", '"')
    .replaceAll("&amp;", "&")
    .replace(/\s+/g, " ");
}

/** `/me` for `visitor`, served by a Worker whose GitHub API is at `githubApiUrl`. */
async function meWithGitHubAt(visitor: Visitor, githubApiUrl: string) {
  const cookies = [...visitor.cookies].map(([name, value]) => `${name}=${value}`).join("; ");
  const request = new Request(new URL("/me", SITE), { headers: { Cookie: cookies } });
  const ctx = createExecutionContext();
  // As the runtime hands it over; the test has no Cloudflare edge to add `cf`.
  const incoming = request as Parameters<typeof worker.fetch>[0];
  const response = await worker.fetch(incoming, { ...env, GITHUB_API_URL: githubApiUrl }, ctx);
  await waitOnExecutionContext(ctx);
  return response;
}

/** Marks the visitor's config as a tool or webhook would on finding `reason`. */
async function markProblem(visitor: Visitor, repoId: number, reason: InactiveReason) {
  const database = connectDatabase(env.HYPERDRIVE.connectionString);
  try {
    await recordAccess(database.db, await visitor.userId(), repoId, reason);
  } finally {
    await database.close();
  }
}

/** The fix buttons in /me's problem notice: forms (their action and intent) and links. */
async function fixButtons(visitor: Visitor) {
  const html = await (await visitor.fetch("/me")).text();
  const notice = /<div role="alert"[\s\S]*?<\/div><\/div><\/div>/.exec(html)?.[0] ?? "";
  const forms = [...notice.matchAll(/<form([^>]*)>([\s\S]*?)<\/form>/g)].map(([, attributes = "", body = ""]) => ({
    action: /action="([^"]+)"/.exec(attributes)?.[1] ?? "/me",
    intent: /<button[^>]*name="intent"[^>]*>/.exec(body)?.[0].match(/value="([^"]+)"/)?.[1],
    label: />([^<>]+)<\/button>/.exec(body)?.[1],
  }));
  const links = [...notice.matchAll(/<a[^>]*href="([^"]+)"[^>]*>([^<]+)<\/a>/g)].map(([, href, label]) => ({
    href,
    label,
  }));
  return { forms, links };
}

/** Whether an MCP access token still opens a session. */
async function works(token: string) {
  const response = await mcpPost(token, {
    jsonrpc: "2.0",
    id: 1,
    method: "initialize",
    params: { protocolVersion: "2025-06-18", capabilities: {}, clientInfo: { name: "test", version: "1" } },
  });
  await response.text();
  return response.status === 200;
}

/** The Revoke forms' grant ids, in page order. */
async function grantIds(visitor: Visitor) {
  const html = await (await visitor.fetch("/me")).text();
  return [...html.matchAll(/name="grantId" value="([^"]+)"/g)].map(([, id]) => id ?? "");
}

/** The grant id in the Revoke form of the client named `name`. */
async function grantOf(visitor: Visitor, name: string) {
  const html = await (await visitor.fetch("/me")).text();
  return new RegExp(`name="grantId" value="([^"]+)"/><button[^>]*aria-label="Revoke ${name}"`).exec(html)?.[1] ?? "";
}

describe("the dashboard", () => {
  it("shows the repo, branch, GitHub account and MCP URL, privately", async () => {
    const { visitor, github } = await onboardedVisitor("dash");
    const response = await visitor.fetch("/me");
    expect(response.status).toBe(200);
    expect(response.headers.get("Cache-Control")).toBe("private, no-store");
    const html = await response.text();
    for (const text of [`${github.login}/ctx`, "main", github.login, "/mcp", "claude mcp add --transport http"]) {
      expect(html).toContain(text);
    }
  });

  it("asks before disconnecting, then forgets the connection and says so", async () => {
    const { visitor } = await onboardedVisitor("leaver");
    expect(await (await visitor.fetch("/me?disconnect=confirm")).text()).toContain("Yes, disconnect");
    expect(await storedUserToken(await visitor.userId())).toBeDefined();
    expect(location(await visitor.post("/me", { intent: "disconnect" }))).toBe("/me");
    expect(await configOf(visitor)).toBeUndefined();
    expect(await storedUserToken(await visitor.userId())).toBeUndefined();
    const page = await read(visitor, "/me");
    expect(page).toContain("Disconnected from GitHub.");
    expect(page).toContain("GitHub not connected");
    expect(page).toContain("Connect GitHub");
    expect(page).not.toContain("Active");
    // Said once: a reload shows the state, not the news.
    expect(await read(visitor, "/me")).not.toContain("Disconnected from GitHub");
  });

  it("keeps the AI clients listed and revocable after a disconnect that leaves them", async () => {
    const { visitor } = await onboardedVisitor("keeper");
    const claude = await accessToken(visitor, true, "Claude");
    await accessToken(visitor, false, "Cursor");
    const offer = await read(visitor, "/me?disconnect=confirm");
    // Newest first: the two may have been allowed within one second.
    expect(offer).toMatch(/Also revoke access for 2 connected AI clients: (Claude and Cursor|Cursor and Claude)\./);

    await visitor.post("/me", { intent: "disconnect" });
    const page = await read(visitor, "/me");
    expect(page).toContain("Disconnected from GitHub.");
    expect(page).toMatch(/Still connected: (Claude and Cursor|Cursor and Claude)\./);
    expect(page).toContain("GitHub not connected");
    expect(page).toContain("The AI clients below keep their access");
    expect(await works(claude)).toBe(true);

    const claudeGrant = await grantOf(visitor, "Claude");
    expect(location(await visitor.post("/me", { intent: "revoke", grantId: claudeGrant }))).toBe("/me");
    const after = await read(visitor, "/me");
    expect(after).toContain("Revoked Claude's access.");
    expect(after).toContain("GitHub not connected");
    expect(await works(claude)).toBe(false);
    expect(await grantIds(visitor)).toHaveLength(1);
  });

  it("revokes every AI client with the disconnect when asked, and says how many", async () => {
    const { visitor } = await onboardedVisitor("cleaner");
    const tokens = [await accessToken(visitor, true, "Claude"), await accessToken(visitor, true, "Cursor")];
    expect(location(await visitor.post("/me", { intent: "disconnect", revokeClients: "on" }))).toBe("/me");
    const page = await read(visitor, "/me");
    expect(page).toContain("Disconnected from GitHub; 2 AI clients revoked.");
    expect(page).toContain("None yet.");
    for (const token of tokens) expect(await works(token)).toBe(false);
  });

  it("says a client was already revoked, and revokes nobody else's", async () => {
    const first = await onboardedVisitor("owner");
    const second = await onboardedVisitor("other");
    const token = await accessToken(first.visitor, true, "Claude");
    const [grant] = await grantIds(first.visitor);
    await second.visitor.post("/me", { intent: "revoke", grantId: grant ?? "" });
    expect(await read(second.visitor, "/me")).toContain("That AI client was already revoked.");
    expect(await works(token)).toBe(true);
  });

  it("shows an installation without a chosen repo as such, with the step that chooses one", async () => {
    const visitor = new NewVisitor();
    await visitor.signIn(uniqueEmail("halfway"));
    const github = await newGitHubUser(["ctx"]);
    await installAndReturn(visitor, github.login, ["ctx"]);
    const page = await read(visitor, "/me");
    expect(page).toContain("No repository chosen");
    expect(page).toContain(`GitHub is connected as @${github.login}`);
    expect(page).toContain("Choose a repository");
    expect(page).not.toContain("Active");
  });

  it("offers only a working fix once the App is uninstalled: install it again", async () => {
    const { visitor, installation } = await onboardedVisitor("uninstalled", ["ctx", "other"]);
    await githubControl().deleteInstallation(installation.id);
    // No webhook reaches the tests' Worker: the repo page finds out, as the tools would.
    const choose = await read(visitor, "/onboarding/select-repo");
    expect(choose).toContain("The ctx4-ai App was removed from GitHub");
    expect(choose).toContain("Install the App again");
    expect(choose).not.toContain("We could not list your repositories");
    expect(await configOf(visitor)).toMatchObject({ isActive: false, inactiveReason: "installation_deleted" });

    const html = await (await visitor.fetch("/me")).text();
    const page = await read(visitor, "/me");
    expect(page).toContain("The ctx4-ai App was removed from GitHub");
    expect(page).toContain("Needs attention");
    expect(page).not.toContain("Choose another repository");
    expect(page).not.toContain("Change repository");
    expect(html).toMatch(/<form[^>]*action="\/onboarding\/connect-github"[^>]*>\s*<button[^>]*>Install the App again/);
    const toGitHub = new URL((await visitor.post("/onboarding/connect-github", {})).headers.get("Location") ?? "");
    expect(toGitHub.pathname).toMatch(/\/apps\/[^/]+\/installations\/new$/);
  });

  it("sends a suspended installation to its settings on GitHub, never to a list that cannot load", async () => {
    const { visitor, installation } = await onboardedVisitor("suspended");
    await githubControl().suspend(installation.id);
    const choose = await read(visitor, "/onboarding/select-repo");
    expect(choose).toContain("The ctx4-ai App is suspended on GitHub");
    expect(choose).toContain("Open the App's settings on GitHub");
    const page = await read(visitor, "/me");
    expect(page).toContain("Open the App's settings on GitHub");
    expect(page).not.toContain("Choose another repository");

    await githubControl().unsuspend(installation.id);
    expect(await read(visitor, "/onboarding/select-repo")).toContain("Use this repository");
    expect(await configOf(visitor)).toMatchObject({ isActive: true, inactiveReason: null });
  });

  it("asks GitHub how the installation stands when no webhook said so, and shows the stored state when GitHub cannot answer", async () => {
    const { visitor, installation } = await onboardedVisitor("unwarned", ["ctx"]);
    const control = githubControl();
    // No webhook reaches the tests' Worker, and no tool or repo list has met the change.
    await control.suspend(installation.id);
    const suspended = await read(visitor, "/me");
    expect(suspended).toContain("The ctx4-ai App is suspended on GitHub");
    expect(suspended).not.toContain("Active");
    expect(await configOf(visitor)).toMatchObject({ isActive: false, inactiveReason: "installation_suspended" });

    await control.unsuspend(installation.id);
    expect(await read(visitor, "/me")).toContain("Active");
    expect(await configOf(visitor)).toMatchObject({ isActive: true, inactiveReason: null });

    // GitHub out of reach: the page shows what is stored, and no error.
    await control.deleteInstallation(installation.id);
    const unreachable = await meWithGitHubAt(visitor, "http://127.0.0.1:9");
    expect(unreachable.status).toBe(200);
    expect(await unreachable.text()).toContain("Active");
    expect(await configOf(visitor)).toMatchObject({ isActive: true, inactiveReason: null });

    const removed = await read(visitor, "/me");
    expect(removed).toContain("The ctx4-ai App was removed from GitHub");
    expect(await configOf(visitor)).toMatchObject({ isActive: false, inactiveReason: "installation_deleted" });
  });

  it.each(INACTIVE_REASONS)("offers for %s only fixes that lead to a working step", async (reason) => {
    const { visitor, repo, github, installation } = await onboardedVisitor(`fix-${reason}`, ["ctx", "other"]);
    // /me asks GitHub how the installation stands: those two must be true there.
    if (reason === "installation_deleted") await githubControl().deleteInstallation(installation.id);
    else if (reason === "installation_suspended") await githubControl().suspend(installation.id);
    else await markProblem(visitor, repo.id, reason);
    const { forms, links } = await fixButtons(visitor);
    expect(forms.length + links.length).toBeGreaterThan(0);
    const { githubUrl } = inject("stack");
    for (const form of forms) {
      const sent = await visitor.post(form.action, form.intent ? { intent: form.intent } : {});
      const to = new URL(sent.headers.get("Location") ?? "", visitor.site);
      // Every form here opens a step on GitHub that our callback takes back.
      expect(`${to.origin}`, form.label).toBe(githubUrl);
      expect(to.pathname).toMatch(/^\/(apps\/[^/]+\/installations\/new|login\/oauth\/authorize)$/);
      expect(to.searchParams.get("state")).toBeTruthy();
    }
    for (const link of links) {
      const page = await visitor.fetch(link.href ?? "");
      expect(page.status, link.label).toBe(200);
      expect(await page.text()).toContain(`${github.login}/other`);
    }
    const fixes = [...forms.map((form) => form.label), ...links.map((link) => link.label)];
    const expected: Record<InactiveReason, string[]> = {
      installation_deleted: ["Install the App again"],
      installation_suspended: ["Open the App&#x27;s settings on GitHub"],
      repo_removed: ["Give access on GitHub", "Choose another repository"],
      person_lost_repo: ["Choose another repository"],
      person_unconfirmed: ["Confirm on GitHub"],
    };
    expect(fixes).toEqual(expected[reason]);
  });

  it("says the changes made on GitHub are in, back from Update access", async () => {
    const { visitor, github, installation } = await onboardedVisitor("updater", ["ctx", "notes"]);
    const state = await startInstall(visitor, { path: "/me", fields: { intent: "update-access" } });
    await githubControl().setRepositories(installation.id, { repository_selection: "all" });
    const { path: callback } = await gitHubReturn(githubControl(), github.login, installation.id, "update", state);
    const confirm = await (await visitor.fetch(callback)).text();
    const linked = await visitor.post("/api/github/callback", {
      confirmation: /name="confirmation" value="([^"]+)"/.exec(confirm)?.[1] ?? "",
      decision: "link",
    });
    expect(location(linked)).toBe("/me?github=updated");
    expect(await read(visitor, "/me?github=updated")).toContain("Your changes on GitHub are in");
  });

  it("ignores feedback it did not write", async () => {
    const { visitor } = await onboardedVisitor("forger");
    visitor.cookies.set("ctx4_feedback", btoa(JSON.stringify({ kind: "revoked", client: 42 })));
    expect(await read(visitor, "/me")).not.toContain("Revoked");
    expect(await read(visitor, "/me?feedback=revoked&client=Evil")).not.toContain("Evil");
  });

  it("only ever touches the signed-in user's own connection", async () => {
    const first = await onboardedVisitor("first");
    const second = await onboardedVisitor("second");
    await second.visitor.post("/me", { intent: "disconnect" });
    expect(await configOf(first.visitor)).toMatchObject({ repoFullName: `${first.github.login}/ctx` });
    expect(await (await first.visitor.fetch("/me")).text()).not.toContain(second.github.login);
  });

  it("refuses an unknown action", async () => {
    const { visitor } = await onboardedVisitor("poker");
    expect((await visitor.post("/me", { intent: "delete-everything" })).status).toBe(400);
  });

  it("shows what the tools found on GitHub, and clears it when access works again", async () => {
    const { visitor, installation, repo } = await onboardedVisitor("found", ["ctx", "other"]);
    const workspace = workspaceOf(await visitor.userId());
    const control = githubControl();
    expect(await workspace.bash({ command: "true" })).toMatchObject({ ran: true });

    // The person takes the repo out of the installation on GitHub; no webhook reaches us.
    await control.setRepositories(installation.id, { repository_selection: "selected", repositories: ["other"] });
    await workspace.configChanged();
    const refused = await workspace.bash({ command: "echo x > x.md" });
    expect(refused).toMatchObject({ ran: false });
    expect((await configOf(visitor))?.inactiveReason).toBe("repo_removed");
    const page = await (await visitor.fetch("/me")).text();
    expect(page).toContain("The App no longer has access to your repository");
    expect(page).toContain("Needs attention");

    await control.setRepositories(installation.id, { repository_selection: "selected", repositories: [repo.name] });
    expect(await workspace.bash({ command: "echo y > y.md" })).toMatchObject({
      ran: true,
      publish: { state: "pushed" },
    });
    expect(await configOf(visitor)).toMatchObject({ isActive: true, inactiveReason: null });
    expect(await (await visitor.fetch("/me")).text()).not.toContain("Needs attention");
  });

  it("shows a repo deleted on GitHub once a tool finds it, with a way to choose another", async () => {
    const { visitor, github } = await onboardedVisitor("deleted");
    const workspace = workspaceOf(await visitor.userId());
    expect(await workspace.bash({ command: "true" })).toMatchObject({ ran: true });

    await githubControl().deleteRepo(`${github.login}/ctx`);
    await workspace.configChanged();
    const refused = await workspace.instructions();
    expect(refused).toMatchObject({ ready: false });
    const page = await (await visitor.fetch("/me")).text();
    expect(page).toContain("The App no longer has access to your repository");
    expect(page).toContain("Choose another repository");
  });
});
