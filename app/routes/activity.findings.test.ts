import { describe, expect, it } from "vitest";
import { githubToken, write } from "../../tests/test-secrets";
import { workspaceOf } from "../../tests/workerd/connected-user";
import { githubControl, onboardedVisitor, Visitor } from "../../tests/workerd/visitor";

/** The page's text without markup, as a person reads it. */
async function read(visitor: Visitor, path: string) {
  const response = await visitor.fetch(path);
  expect(response.status).toBe(200);
  return (await response.text())
    .replace(/<script[\s\S]*?<\/script>/g, "")
    .replaceAll("<!-- -->", "")
    .replace(/<[^>]+>/g, " ")
    .replace(/\s+/g, " ");
}

/** The finding ids the page offers to allow. */
async function offeredIds(visitor: Visitor): Promise<string[]> {
  const html = await (await visitor.fetch("/activity/findings")).text();
  return [...html.matchAll(/name="finding" value="([0-9a-f-]{36})"/g)].map((match) => match[1] ?? "");
}

describe("/activity/findings", () => {
  it("lists a refused write masked; Allow pushes it with the next command; another person gets 404", async () => {
    const owner = await onboardedVisitor("findings-owner");
    const stranger = await onboardedVisitor("findings-stranger");
    const workspace = workspaceOf(await owner.visitor.userId());
    const token = githubToken();
    const text = `# API docs\n\nThe example token is ${token}\n`;
    const refused = await workspace.bash({ command: write("notes/api.md", text), comment: "API docs" });
    expect(refused).toMatchObject({ ran: true, publish: { state: "refused" } });

    const page = await read(owner.visitor, "/activity/findings");
    expect(page).toContain("notes/api.md:3");
    expect(page).toContain("github/GITHUB_TOKEN");
    expect(page).toContain("The example token is ghp_****");
    expect(page).not.toContain(token.slice(4));
    const [id = ""] = await offeredIds(owner.visitor);
    expect(id).not.toBe("");

    expect(await read(stranger.visitor, "/activity/findings")).toContain("Nothing is refused now.");
    expect((await stranger.visitor.post("/activity/findings", { intent: "allow", finding: id })).status).toBe(404);
    expect(await offeredIds(owner.visitor)).toEqual([id]);
    expect((await owner.visitor.post("/activity/findings", { intent: "allow", finding: "not-an-id" })).status).toBe(
      400,
    );

    const allowed = await owner.visitor.post("/activity/findings", { intent: "allow", finding: id });
    expect(allowed.status).toBe(200);
    expect(await allowed.text()).toContain("is allowed from now on");
    expect(await offeredIds(owner.visitor)).toEqual([]);

    const pushed = await workspace.bash({ command: "true" });
    expect(pushed).toMatchObject({ ran: true, publish: { state: "pushed" } });
    expect(await githubControl().readFile(owner.repo.full_name, "notes/api.md")).toBe(text);
  });

  it("asks a visitor who is not signed in to sign in", async () => {
    const response = await new Visitor().fetch("/activity/findings");
    expect(response.status).toBe(302);
    expect(response.headers.get("location")).toMatch(/^\/login/);
  });
});
