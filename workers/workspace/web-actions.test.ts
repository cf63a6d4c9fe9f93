import { beforeEach, describe, expect, it } from "vitest";
import { holdClock } from "../../tests/workerd/clock";
import { connectedUser, execInSandbox } from "../../tests/workerd/connected-user";
import { clientTrailerName } from "./client-trailer";
import { webActionOutcome } from "./web-actions";

const webAuthor = { name: "Web Person", email: "web@example.com" };

/** The trailers git itself finds in commit `sha`'s message, read in the user's sandbox. */
const trailersOf = (userId: string, sha: string) =>
  execInSandbox(userId, `git -C repo log -1 --format=%B ${sha} | git interpret-trailers --parse`);

/** A user whose AI wrote one note: its commit is the one to revert. */
async function userWithNote() {
  const user = await connectedUser();
  const written = await user.workspace.bash(
    { command: "echo 'Flight at 9' > trips.md", comment: "Note the flight" },
    undefined,
    "Claude Code",
  );
  if (!written.ran || written.publish.state !== "pushed") throw new Error("the note was not pushed");
  return { ...user, note: written.publish.sha };
}

describe("the client's name on the bot's commits", () => {
  it("ends a ctx_bash commit with a Ctx4-Client trailer that git parses", async () => {
    const { userId, repo, control, note } = await userWithNote();
    const [top] = await control.commits(repo.full_name);
    expect(top?.sha).toBe(note);
    expect(top?.message).toBe("Note the flight\n\nCtx4-Client: Claude Code");
    expect(await trailersOf(userId, note)).toBe("Ctx4-Client: Claude Code\n");
  });

  it("keeps its own trailer last when the AI's comment forges one", async () => {
    const { userId, workspace, repo, control } = await connectedUser();
    const result = await workspace.bash(
      { command: "echo x > x.md", comment: "Notes\n\nCtx4-Client: web\n" },
      undefined,
      "Cursor",
    );
    expect(result).toMatchObject({ ran: true, publish: { state: "pushed" } });
    const [top] = await control.commits(repo.full_name);
    expect(top?.message).toBe("Notes\n\nCtx4-Client: web\n\nCtx4-Client: Cursor");
    expect(await trailersOf(userId, top?.sha ?? "")).toBe("Ctx4-Client: Cursor\n");
  });

  it("names a client in one clean line, never as the web, and falls back to its id", () => {
    expect(clientTrailerName("Claude\nCode\u202e\u0007", "id-1")).toBe("Claude Code");
    expect(clientTrailerName("  ", "client-42")).toBe("client-42");
    expect(clientTrailerName(undefined, "client-42")).toBe("client-42");
    expect(clientTrailerName(" WEB ", "client-42")).toBe("WEB (client-42)");
    expect(clientTrailerName("x".repeat(500), "id")?.length).toBe(100);
    expect(clientTrailerName("", "")).toBeUndefined();
  });
});

describe("reverting a commit from the web", () => {
  it("makes a revert commit by the bot on GitHub, naming what it reverted", async () => {
    const { userId, workspace, repo, control, note } = await userWithNote();
    const outcome = await workspace.revert(note);
    expect(outcome).toMatchObject({ state: "landed", files: ["D\ttrips.md"] });
    if (outcome.state !== "landed") return;
    expect(await control.branchHead(repo.full_name)).toBe(outcome.sha);
    expect(await control.readFile(repo.full_name, "trips.md")).toBeUndefined();
    const [top] = await control.commits(repo.full_name);
    expect(top?.message).toBe(
      `Revert "Note the flight"\n\nThis reverts commit ${note}.\nReverted from the web by the person.\n\nCtx4-Client: web`,
    );
    expect(top?.author.name).toBe("ctx4-ai[bot]");
    expect(await trailersOf(userId, outcome.sha)).toBe("Ctx4-Client: web\n");

    // The AI's next command sees the revert in its clone.
    const next = await workspace.bash({ command: "ls trips.md; git log -1 --format=%s" });
    expect(next).toMatchObject({ ran: true, stdout: { text: 'Revert "Note the flight"\n' } });
    // Reverting it again finds nothing left to undo, and changes nothing.
    expect(await workspace.revert(note)).toMatchObject({ state: "nothing" });
    expect(await control.branchHead(repo.full_name)).toBe(outcome.sha);
  });

  it("reverts on top of what GitHub has now, and commits what an earlier command left first", async () => {
    const { userId, workspace, repo, control, note } = await userWithNote();
    // A command wrote this, and then its commit never happened.
    await execInSandbox(userId, "echo left > repo/left.md");
    const web = await control.commitFromWeb(repo.full_name, {
      message: "Web edit",
      author: webAuthor,
      files: { "other.md": "other\n" },
    });
    const outcome = await workspace.revert(note);
    expect(outcome).toMatchObject({ state: "landed" });
    const [top, second, third] = await control.commits(repo.full_name);
    expect(top?.message).toMatch(/^Revert "Note the flight"/);
    expect(second?.message).toBe("Commit changes an earlier command left uncommitted");
    expect(third?.sha).toBe(web.sha);
    expect(await control.readFile(repo.full_name, "left.md")).toBe("left\n");
    expect(await control.readFile(repo.full_name, "other.md")).toBe("other\n");
  });

  it("changes nothing when the revert conflicts with a later change, and names the file", async () => {
    const { workspace, repo, control, note } = await userWithNote();
    const later = await workspace.bash({ command: "echo 'Flight at 10' > trips.md", comment: "Move the flight" });
    expect(later).toMatchObject({ ran: true, publish: { state: "pushed" } });
    const head = await control.branchHead(repo.full_name);
    expect(await workspace.revert(note)).toEqual({ state: "conflict", paths: ["trips.md"] });
    expect(await control.branchHead(repo.full_name)).toBe(head);
    const after = await workspace.bash({ command: "cat trips.md; git status --porcelain" });
    expect(after).toMatchObject({ ran: true, stdout: { text: "Flight at 10\n" }, commit: null });
  });

  it("refuses hostile or unknown ids and the first commit, running nothing", async () => {
    const { workspace, repo, control, note } = await userWithNote();
    const head = await control.branchHead(repo.full_name);
    for (const sha of ["--help", "HEAD~1", "a;b", note.slice(0, 12), `${note}\n`, note.toUpperCase(), ""]) {
      expect(await workspace.revert(sha)).toEqual({
        state: "refused",
        code: "invalid",
        reason: "This is not a commit of your memory.",
      });
    }
    expect(await workspace.revert("0".repeat(40))).toMatchObject({ state: "refused", code: "unknown" });
    const commits = await control.commits(repo.full_name);
    const initial = commits.at(-1)?.sha ?? "";
    expect(await workspace.revert(initial)).toMatchObject({
      state: "refused",
      code: "initial",
      reason: /first commit/,
    });
    expect(await control.branchHead(repo.full_name)).toBe(head);
  });

  it("refuses a merge commit", async () => {
    const { userId, workspace, repo, control } = await connectedUser();
    const merged = await workspace.bash({
      command:
        "git checkout -qb topic && echo t > t.md && git add t.md && git commit -qm Topic && git checkout -q main && echo m > m.md && git add m.md && git commit -qm Main && git merge -q --no-ff -m Merge topic",
      comment: "Merge",
    });
    expect(merged).toMatchObject({ ran: true, publish: { state: "pushed" } });
    const head = (await execInSandbox(userId, "git -C repo log --merges -1 --format=%H")).trim();
    expect(head).toMatch(/^[0-9a-f]{40}$/);
    expect(await workspace.revert(head)).toMatchObject({ state: "refused", code: "merge" });
    expect(await control.readFile(repo.full_name, "t.md")).toBe("t\n");
  });

  it("is refused for a commit of another user's repo, which stays as it was", async () => {
    const first = await userWithNote();
    const other = await connectedUser();
    expect(await other.workspace.revert(first.note)).toMatchObject({ state: "refused", code: "unknown" });
    expect(await first.control.branchHead(first.repo.full_name)).toBe(first.note);
  });
});

describe("bringing in a side branch from the web", () => {
  // The AI's edit is made within the freshness window, before the clone saw the web's.
  beforeEach(holdClock);

  /** A user whose AI's edit conflicted with one made on GitHub: it is on a side branch. */
  async function userWithSideBranch() {
    const user = await connectedUser();
    await user.workspace.bash({ command: "true" });
    await user.control.commitFromWeb(user.repo.full_name, {
      message: "Web edit",
      author: webAuthor,
      files: { "resources/context.md": "# Context\n\nThe web's version.\n" },
    });
    const result = await user.workspace.bash({
      command: "printf '# Context\\n\\nThe AI version.\\n' > resources/context.md && echo new > new.md",
      comment: "AI edit",
    });
    const side = result.ran ? result.setAside[0] : undefined;
    if (!side) throw new Error("nothing was set aside");
    return { ...user, side: side.name };
  }

  it("lands a side branch that no longer conflicts as one commit, and keeps the branch", async () => {
    const { workspace, repo, control, side } = await userWithSideBranch();
    // The person settles the conflict on GitHub by taking the AI's version.
    await control.commitFromWeb(repo.full_name, {
      message: "Take the AI's version",
      author: webAuthor,
      files: { "resources/context.md": "# Context\n\nThe AI version.\n" },
    });
    const outcome = await workspace.bringIn(side);
    expect(outcome).toMatchObject({ state: "landed", files: ["A\tnew.md"] });
    expect(await control.readFile(repo.full_name, "new.md")).toBe("new\n");
    const [top] = await control.commits(repo.full_name);
    expect(top?.message).toMatch(new RegExp(`^Bring in ${side}\n\n`));
    expect(top?.message).toContain("- AI edit");
    expect(top?.message.endsWith("\n\nCtx4-Client: web")).toBe(true);
    expect(await control.branchHead(repo.full_name, side)).toBeDefined();
    expect(await workspace.bringIn(side)).toMatchObject({ state: "nothing" });
  });

  it("changes nothing when it still conflicts, and names the file", async () => {
    const { workspace, repo, control, side } = await userWithSideBranch();
    const head = await control.branchHead(repo.full_name);
    expect(await workspace.bringIn(side)).toEqual({ state: "conflict", paths: ["resources/context.md"] });
    // The side branch's own commit is not the default branch's: it cannot be reverted.
    expect(await workspace.revert((await control.branchHead(repo.full_name, side)) ?? "")).toMatchObject({
      state: "refused",
      code: "not-on-branch",
    });
    expect(await control.branchHead(repo.full_name)).toBe(head);
    expect(await control.readFile(repo.full_name, "new.md")).toBeUndefined();
  });

  it("refuses any branch ctx4-ai did not make, and one GitHub does not have", async () => {
    const { workspace, repo, control } = await userWithNote();
    const head = await control.branchHead(repo.full_name);
    for (const branch of ["main", "--help", "ctx4-ai/../main", "feature", "ctx4-ai/conflict-x", "refs/heads/main"]) {
      expect(await workspace.bringIn(branch)).toMatchObject({ state: "refused", code: "invalid" });
    }
    expect(await workspace.bringIn("ctx4-ai/conflict-20260101-000000-abcdef1")).toMatchObject({
      state: "refused",
      code: "no-such-branch",
    });
    expect(await control.branchHead(repo.full_name)).toBe(head);
  });
});

describe("what a web action's sync says it did", () => {
  const revert = { kind: "revert" as const, sha: "a".repeat(40) };
  const made = { sha: "b".repeat(40), files: ["D\ttrips.md"] };

  it("names the side branch that holds the commit when GitHub moved meanwhile and the rebase conflicted", () => {
    const outcome = webActionOutcome(revert, {
      fetched: true,
      acted: made,
      action: { state: "set-aside", why: "", conflicts: [] },
      sideBranches: [
        { name: "ctx4-ai/conflict-20260101-000000-ccccccc", sha: "c".repeat(40), why: "conflict", conflicts: [] },
        { name: "ctx4-ai/conflict-20260101-000001-bbbbbbb", sha: made.sha, why: "conflict", conflicts: ["trips.md"] },
      ],
    });
    expect(outcome).toEqual({ state: "set-aside", branch: "ctx4-ai/conflict-20260101-000001-bbbbbbb" });
  });

  it("gives the commit as it landed when the push rebased it, and nothing when GitHub already had it", () => {
    const landed = { sha: "d".repeat(40), files: ["D\ttrips.md"] };
    expect(webActionOutcome(revert, { fetched: true, acted: { ...made, landed }, pushed: landed.sha })).toEqual({
      state: "landed",
      ...landed,
    });
    expect(webActionOutcome(revert, { fetched: true, acted: { ...made, landed: null } })).toMatchObject({
      state: "nothing",
    });
  });
});
