import { describe, expect, it } from "vitest";
import { storedUserToken, workspaceOf } from "../../tests/workerd/connected-user";
import { configOf, githubControl, location, onboardedVisitor } from "../../tests/workerd/visitor";

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

  it("asks before disconnecting, then forgets the connection", async () => {
    const { visitor } = await onboardedVisitor("leaver");
    expect(await (await visitor.fetch("/me?disconnect=confirm")).text()).toContain("Yes, disconnect");
    expect(await storedUserToken(await visitor.userId())).toBeDefined();
    expect(location(await visitor.post("/me", { intent: "disconnect" }))).toBe("/onboarding");
    expect(await configOf(visitor)).toBeUndefined();
    expect(await storedUserToken(await visitor.userId())).toBeUndefined();
    expect(location(await visitor.fetch("/me"))).toBe("/onboarding/connect-github");
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
