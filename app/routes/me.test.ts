import { describe, expect, it } from "vitest";
import { configOf, installAndReturn, location, newGitHubUser, uniqueEmail, Visitor } from "../../tests/workerd/visitor";

async function ready(name: string) {
  const visitor = new Visitor();
  await visitor.signIn(uniqueEmail(name));
  const github = await newGitHubUser(["ctx"]);
  await installAndReturn(visitor, github.login, ["ctx"]);
  await visitor.post("/onboarding/select-repo", { repoId: String(github.repos[0]?.id) });
  return { visitor, github };
}

describe("the dashboard", () => {
  it("shows the repo, branch, GitHub account and MCP URL, privately", async () => {
    const { visitor, github } = await ready("dash");
    const response = await visitor.fetch("/me");
    expect(response.status).toBe(200);
    expect(response.headers.get("Cache-Control")).toBe("private, no-store");
    const html = await response.text();
    for (const text of [`${github.login}/ctx`, "main", github.login, "/mcp", "claude mcp add --transport http"]) {
      expect(html).toContain(text);
    }
  });

  it("asks before disconnecting, then forgets the connection", async () => {
    const { visitor } = await ready("leaver");
    expect(await (await visitor.fetch("/me?disconnect=confirm")).text()).toContain("Yes, disconnect");
    expect(location(await visitor.post("/me", { intent: "disconnect" }))).toBe("/onboarding");
    expect(await configOf(visitor)).toBeUndefined();
    expect(location(await visitor.fetch("/me"))).toBe("/onboarding/connect-github");
  });

  it("only ever touches the signed-in user's own connection", async () => {
    const first = await ready("first");
    const second = await ready("second");
    await second.visitor.post("/me", { intent: "disconnect" });
    expect(await configOf(first.visitor)).toMatchObject({ repoFullName: `${first.github.login}/ctx` });
    expect(await (await first.visitor.fetch("/me")).text()).not.toContain(second.github.login);
  });

  it("refuses an unknown action", async () => {
    const { visitor } = await ready("poker");
    expect((await visitor.post("/me", { intent: "delete-everything" })).status).toBe(400);
  });
});
