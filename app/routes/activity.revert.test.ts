import { beforeEach, describe, expect, it } from "vitest";
import { holdClock } from "../../tests/workerd/clock";
import { execInSandbox, workspaceOf } from "../../tests/workerd/connected-user";
import { accessToken, callTool, openSession } from "../../tests/workerd/mcp";
import { githubControl, location, onboardedVisitor, SITE, Visitor } from "../../tests/workerd/visitor";
import { takeFeedback } from "../lib/feedback.server";

const webAuthor = { name: "Web Person", email: "web@example.com" };

/** What the page the visitor lands on next would say (the flash cookie `feedback.server` reads). */
async function pendingFeedback(visitor: { cookies: Map<string, string> }) {
  const cookie = [...visitor.cookies].map(([name, value]) => `${name}=${value}`).join("; ");
  return (await takeFeedback(new Request(SITE, { headers: { Cookie: cookie } }))).feedback;
}

/** A person whose AI client ("Claude Code") wrote one note through MCP's ctx_bash. */
async function personWithNote(name: string) {
  const onboarded = await onboardedVisitor(name);
  const userId = await onboarded.visitor.userId();
  const token = await accessToken(onboarded.visitor, true, "Claude Code");
  const sessionId = await openSession(token);
  const called = await callTool(token, sessionId, "ctx_bash", {
    command: "echo 'Flight at 9' > trips.md",
    comment: "Note the flight",
  });
  expect(called.result?.isError).toBe(false);
  const control = githubControl();
  const [note] = await control.commits(onboarded.repo.full_name);
  if (!note) throw new Error("no commit");
  return { ...onboarded, userId, control, note };
}

describe("revert from the web", () => {
  it("names the AI client in its MCP commit, confirms, reverts as the bot, and lands on the new commit", async () => {
    const { visitor, userId, repo, control, note } = await personWithNote("rita");
    expect(note.message).toBe("Note the flight\n\nCtx4-Client: Claude Code");
    expect(
      await execInSandbox(userId, `git -C repo log -1 --format=%B ${note.sha} | git interpret-trailers --parse`),
    ).toBe("Ctx4-Client: Claude Code\n");

    const page = await visitor.fetch(`/activity/${note.sha}/revert`);
    expect(page.status).toBe(200);
    const html = await page.text();
    expect(html).toContain("Revert this change?");
    expect(html).toContain("Note the flight");
    expect(html).toContain("trips.md");

    const reverted = await visitor.post(`/activity/${note.sha}/revert`, {});
    expect(reverted.status).toBe(302);
    const [top] = await control.commits(repo.full_name);
    expect(location(reverted)).toBe(`/activity/${top?.sha}`);
    expect(top?.message).toBe(
      `Revert "Note the flight"\n\nThis reverts commit ${note.sha}.\nReverted from the web by the person.\n\nCtx4-Client: web`,
    );
    expect(top?.author.name).toBe("ctx4-ai[bot]");
    expect(await control.readFile(repo.full_name, "trips.md")).toBeUndefined();
    expect(await pendingFeedback(visitor)).toEqual({ kind: "reverted", reverted: note.sha, sha: top?.sha });
  });

  it("says plainly that nothing changed when later changes conflict", async () => {
    const { visitor, repo, control, note } = await personWithNote("sam");
    await control.commitFromWeb(repo.full_name, {
      message: "Move the flight",
      author: webAuthor,
      files: { "trips.md": "Flight at 10\n" },
    });
    const head = await control.branchHead(repo.full_name);
    const answer = await visitor.post(`/activity/${note.sha}/revert`, {});
    expect(answer.status).toBe(409);
    const html = await answer.text();
    expect(html).toContain("Not reverted: later changes touch the same lines");
    expect(html).toContain("trips.md");
    expect(await control.branchHead(repo.full_name)).toBe(head);
  });

  it("is a 404 for another person's commit, a hostile id, or a visit to the bring-in form", async () => {
    const first = await personWithNote("tom");
    const { visitor: other } = await onboardedVisitor("uma");
    expect((await other.fetch(`/activity/${first.note.sha}/revert`)).status).toBe(404);
    expect((await other.post(`/activity/${first.note.sha}/revert`, {})).status).toBe(404);
    expect(await first.control.branchHead(first.repo.full_name)).toBe(first.note.sha);
    for (const sha of ["HEAD~1", "--help", "a;b", first.note.sha.slice(0, 10)]) {
      expect((await first.visitor.fetch(`/activity/${encodeURIComponent(sha)}/revert`)).status).toBe(404);
      expect((await first.visitor.post(`/activity/${encodeURIComponent(sha)}/revert`, {})).status).toBe(404);
    }
    expect((await first.visitor.fetch("/activity/branches/bring-in")).status).toBe(404);
    expect(await first.control.branchHead(first.repo.full_name)).toBe(first.note.sha);
  });

  it("refuses a revert posted from another site, and one without a session", async () => {
    const { visitor, repo, control, note } = await personWithNote("vic");
    const forged = await visitor.fetch(`/activity/${note.sha}/revert`, {
      method: "POST",
      headers: { "Content-Type": "application/x-www-form-urlencoded", Origin: "https://attacker.example" },
      body: "",
    });
    expect(forged.status).toBeGreaterThanOrEqual(400);
    const stranger = await new Visitor().post(`/activity/${note.sha}/revert`, {});
    expect(location(stranger)).toMatch(/^\/login/);
    expect(await control.branchHead(repo.full_name)).toBe(note.sha);
  });
});

describe("bring in a side branch from the web", () => {
  // The AI's edit is made within the freshness window, before the clone saw the web's.
  beforeEach(holdClock);

  /** A person whose AI's edit conflicted with one made on GitHub: it waits on a side branch. */
  async function personWithSideBranch(name: string) {
    const onboarded = await onboardedVisitor(name);
    const userId = await onboarded.visitor.userId();
    const workspace = workspaceOf(userId);
    await workspace.bash({ command: "true" });
    const control = githubControl();
    await control.commitFromWeb(onboarded.repo.full_name, {
      message: "Web edit",
      author: webAuthor,
      files: { "resources/context.md": "# Context\n\nThe web's version.\n" },
    });
    const result = await workspace.bash({
      command: "printf '# Context\\n\\nThe AI version.\\n' > resources/context.md && echo new > new.md",
      comment: "AI edit",
    });
    const side = result.ran ? result.setAside[0]?.name : undefined;
    if (!side) throw new Error("nothing was set aside");
    return { ...onboarded, control, side };
  }

  it("goes back to Activity saying why it did not land while it conflicts, and lands once settled", async () => {
    const { visitor, repo, control, side } = await personWithSideBranch("wes");
    const head = await control.branchHead(repo.full_name);
    const stopped = await visitor.post("/activity/branches/bring-in", { branch: side });
    expect(stopped.status).toBe(302);
    expect(location(stopped)).toBe("/activity");
    expect(await pendingFeedback(visitor)).toEqual({
      kind: "bring-in-stopped",
      branch: side,
      outcome: { state: "conflict", paths: ["resources/context.md"] },
    });
    expect(await control.branchHead(repo.full_name)).toBe(head);

    await control.commitFromWeb(repo.full_name, {
      message: "Take the AI's version",
      author: webAuthor,
      files: { "resources/context.md": "# Context\n\nThe AI version.\n" },
    });
    const landed = await visitor.post("/activity/branches/bring-in", { branch: side });
    expect(location(landed)).toBe("/activity");
    const [top] = await control.commits(repo.full_name);
    expect(await pendingFeedback(visitor)).toEqual({ kind: "brought-in", branch: side, sha: top?.sha });
    expect(top?.message.endsWith("\n\nCtx4-Client: web")).toBe(true);
    expect(await control.readFile(repo.full_name, "new.md")).toBe("new\n");
  });

  it("refuses a branch ctx4-ai did not make, and another person's side branch", async () => {
    const first = await personWithSideBranch("xan");
    const { visitor: other, repo: otherRepo } = await onboardedVisitor("yola");
    const refused = await first.visitor.post("/activity/branches/bring-in", { branch: "main" });
    expect(location(refused)).toBe("/activity");
    expect(await pendingFeedback(first.visitor)).toMatchObject({
      kind: "bring-in-stopped",
      outcome: { state: "refused" },
    });
    const head = await first.control.branchHead(first.repo.full_name);
    await other.post("/activity/branches/bring-in", { branch: first.side });
    expect(await pendingFeedback(other)).toMatchObject({
      kind: "bring-in-stopped",
      outcome: { state: "refused", reason: expect.stringMatching(/no such side branch/) },
    });
    expect(await first.control.branchHead(first.repo.full_name)).toBe(head);
    expect(await first.control.readFile(otherRepo.full_name, "new.md")).toBeUndefined();
  });
});
