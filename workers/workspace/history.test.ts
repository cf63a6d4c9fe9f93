import { describe, expect, it } from "vitest";
import { connectedUser, execInSandbox } from "../../tests/workerd/connected-user";
import type { HistoryInput } from "./history";

async function history(workspace: Awaited<ReturnType<typeof connectedUser>>["workspace"], input: HistoryInput) {
  const outcome = await workspace.history(input);
  if (!outcome.ready) throw new Error(outcome.problem);
  return outcome.value;
}

describe("ctx_history", () => {
  it("lists the branch's commits newest first with their files, for one path following renames", async () => {
    const { workspace, control, repo } = await connectedUser();
    const steps = [
      { command: "echo 'first draft' > notes.md", comment: "Add notes" },
      { command: "echo 'more' >> notes.md && rm knowledge/git.md", comment: "Extend notes, drop git" },
      { command: "mkdir -p archive && git mv notes.md archive/notes.md", comment: "Archive notes" },
    ];
    for (const step of steps) {
      expect(await workspace.bash(step)).toMatchObject({ ran: true, exitCode: 0, publish: { state: "pushed" } });
    }
    const head = await control.branchHead(repo.full_name);

    const all = await history(workspace, { limit: 3 });
    expect(all.commits.map((commit) => commit.subject)).toEqual([
      "Archive notes",
      "Extend notes, drop git",
      "Add notes",
    ]);
    expect(all.commits[0]).toMatchObject({
      sha: head,
      author: "ctx4-ai[bot]",
      date: expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d[+-]\d\d:\d\d$/),
      files: [{ status: "R", from: "notes.md", path: "archive/notes.md" }],
    });
    expect(all.commits[1]?.files).toEqual([
      { status: "D", path: "knowledge/git.md" },
      { status: "M", path: "notes.md" },
    ]);
    expect(all.commits[2]?.files).toEqual([{ status: "A", path: "notes.md" }]);

    const followed = await history(workspace, { path: "archive/notes.md" });
    expect(followed.commits.map((commit) => commit.subject)).toEqual([
      "Archive notes",
      "Extend notes, drop git",
      "Add notes",
    ]);
    const folder = await history(workspace, { path: "knowledge" });
    expect(folder.commits[0]?.subject).toBe("Extend notes, drop git");
    expect(folder.commits.length).toBe(2);
  });

  it("shows one commit with its stat and diff, and says when a commit is unknown", async () => {
    const { workspace } = await connectedUser();
    const edit = await workspace.bash({
      command: "echo 'Carol: designs' >> resources/people.md",
      comment: "Add Carol",
    });
    if (!edit.ran || !edit.commit) throw new Error("no commit");
    const shown = await history(workspace, { commit: edit.commit.sha.slice(0, 7) });
    expect(shown.commits).toEqual([
      expect.objectContaining({
        sha: edit.commit.sha,
        subject: "Add Carol",
        files: [{ status: "M", path: "resources/people.md" }],
      }),
    ]);
    expect(shown.diff?.text).toContain(" resources/people.md | 1 +\n 1 file changed, 1 insertion(+)");
    expect(shown.diff?.text).toContain("+Carol: designs");
    expect(shown.diff?.cut).toBe(false);
    expect(await history(workspace, { commit: "deadbeef" })).toEqual({
      problem: "No commit deadbeef in the memory's history.",
      commits: [],
    });
    expect(await workspace.history({ commit: "--all" })).toMatchObject({ ready: false });
  });

  it("cleans hostile author names and messages of control and bidi characters, and caps them", async () => {
    const { workspace, userId } = await connectedUser();
    await workspace.instructions();
    // GitHub's API refuses such names, and ctx_bash's commits are the bot's, but a commit made
    // with git in the clone (one a command made, not pushed yet) carries anything.
    await execInSandbox(
      userId,
      [
        "cd repo && echo evil > evil.md && git add evil.md",
        "printf 'Evil \\033[31mred\\033[0m \\342\\200\\256eman\\342\\200\\254\\007 %0500d\\n\\nbody\\n' 0 > ../message",
        "git -c user.name=\"$(printf 'Mallory\\033]0;title\\007 \\342\\200\\213the\\rnew')\" -c user.email=m@example.com commit -q -F ../message",
      ].join(" && "),
    );
    const listed = await history(workspace, { limit: 1 });
    const [evil] = listed.commits;
    expect(evil?.author).toBe("Mallory]0;title thenew");
    expect(evil?.subject.startsWith("Evil [31mred[0m eman 000")).toBe(true);
    expect(Array.from(evil?.subject ?? "").length).toBe(200);
    expect(`${evil?.author}${evil?.subject}`).not.toMatch(/[\p{Cc}\p{Cf}]/u);
  });

  it("reads after a command left changes without making a commit", async () => {
    const { workspace, userId, control, repo } = await connectedUser();
    await workspace.instructions();
    const head = await control.branchHead(repo.full_name);
    await execInSandbox(userId, "echo leftover > repo/leftover.md");
    const listed = await history(workspace, {});
    expect(listed.commits[0]?.sha).toBe(head);
    expect(await control.branchHead(repo.full_name)).toBe(head);
    expect(await execInSandbox(userId, "cd repo && git status --porcelain")).toBe("?? leftover.md\n");
  });

  it("lists commits of files over 1 MB, and says why their old versions' diff is not shown", async () => {
    const { workspace, userId } = await connectedUser();
    const make = await workspace.bash({
      command: "for i in $(seq 1500); do printf '%01024d\\n' $i; done > big.md",
      comment: "Big",
    });
    expect(make).toMatchObject({ ran: true, exitCode: 0, publish: { state: "pushed" } });
    const grown = await workspace.bash({ command: "echo more >> big.md", comment: "Bigger" });
    if (!grown.ran || !grown.commit) throw new Error("no commit");
    // A clone made again from GitHub holds only the checked-out version of a file over 1 MB.
    await execInSandbox(userId, "rm -rf repo");
    const listed = await history(workspace, { limit: 2 });
    expect(listed.commits.map((commit) => commit.files)).toEqual([
      [{ status: "M", path: "big.md" }],
      [{ status: "A", path: "big.md" }],
    ]);
    const shown = await history(workspace, { commit: grown.commit.sha });
    expect(shown.commits[0]?.subject).toBe("Bigger");
    // What the clone held, shown if this fails. On a busy machine git sometimes died of SIGPIPE
    // writing to the fetch it starts for the missing version, and the diff read as cut and empty.
    const held = await execInSandbox(
      userId,
      "cd repo && git count-objects -v && git rev-list --objects --missing=print --all | grep -c '^?'; true",
    );
    expect(shown, held).toMatchObject({
      diff: { error: expect.stringMatching(/needs an old version of a file over 1 MB/) },
    });
  });

  it("says so for a memory with no commits yet", async () => {
    const { workspace } = await connectedUser("empty");
    expect(await history(workspace, {})).toEqual({ problem: "The memory has no commits yet.", commits: [] });
  });
});
