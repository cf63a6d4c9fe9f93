import { abortAllDurableObjects } from "cloudflare:test";
import { beforeEach, describe, expect, it } from "vitest";
import { holdClock, pastFreshness } from "../../tests/workerd/clock";
import {
  configOfUser,
  connectedUser,
  execInSandbox,
  saveConfig,
  workspaceOf,
} from "../../tests/workerd/connected-user";
import { asGitHubUser } from "../../tests/workerd/visitor";
import { bashResultText } from "../mcp/format";

const webAuthor = { name: "Web Person", email: "web@example.com" };

// "Within the freshness window" below holds on a busy machine too, and passing it takes no time.
beforeEach(holdClock);

describe("git sync through ctx_bash", () => {
  it("clones on first use and commits an edit as the App's bot, visible on GitHub", async () => {
    const { workspace, repo, control } = await connectedUser();
    const first = await workspace.bash({ command: "ls resources && git log --format=%s" });
    expect(first).toMatchObject({ ran: true, exitCode: 0, commit: null, publish: { state: "not-needed" } });
    if (!first.ran) return;
    expect(first.stdout.text).toContain("instructions.md");
    expect(first.stdout.text).toContain("Initial commit");
    expect(first.notes.join(" ")).toMatch(/^Cloned .*\/ctx \(main at [0-9a-f]{7}\)\.$/);

    const edit = await workspace.bash({ command: "echo '# Trips' > knowledge/trips.md", comment: "Start trip notes" });
    expect(edit).toMatchObject({ ran: true, exitCode: 0, publish: { state: "pushed" } });
    if (!edit.ran || !edit.commit || edit.publish.state !== "pushed") throw new Error("no commit");
    expect(edit.commit.files).toEqual(["A\tknowledge/trips.md"]);
    expect(edit.publish.sha).toBe(edit.commit.sha);

    expect(await control.branchHead(repo.full_name)).toBe(edit.commit.sha);
    expect(await control.readFile(repo.full_name, "knowledge/trips.md")).toBe("# Trips\n");
    const [latest] = await control.commits(repo.full_name);
    expect(latest?.message).toBe("Start trip notes");
    expect(latest?.author.name).toBe("ctx4-ai[bot]");
    expect(latest?.author.email).toMatch(/^\d+\+ctx4-ai\[bot\]@users\.noreply\.github\.com$/);
    expect(latest?.committer.email).toBe(latest?.author.email);
  });

  it("passes the comment to git as data: $(...), backticks and quotes run nothing", async () => {
    const { workspace, repo, control } = await connectedUser();
    const comment = "Note $(touch pwned-dollar) `touch pwned-tick` \"double\" 'single'; touch pwned-semi";
    const result = await workspace.bash({ command: "echo x > note.md", comment });
    expect(result).toMatchObject({ ran: true, publish: { state: "pushed" } });
    expect((await control.commits(repo.full_name))[0]?.message).toBe(comment);
    const check = await workspace.bash({ command: "ls -a ~ . | grep pwned || echo none" });
    expect(check).toMatchObject({ ran: true, stdout: { text: "none\n" }, commit: null });
  });

  it("shows the next command a commit made on GitHub in between", async () => {
    const { workspace, repo, control } = await connectedUser();
    await workspace.bash({ command: "true" });
    await control.commitFromWeb(repo.full_name, {
      message: "Edit on the web",
      author: webAuthor,
      files: { "resources/context.md": "# Context\n\nEdited on github.com.\n" },
    });
    pastFreshness();
    const read = await workspace.bash({ command: "cat resources/context.md" });
    expect(read).toMatchObject({ ran: true, stdout: { text: "# Context\n\nEdited on github.com.\n" } });
    if (read.ran) expect(read.notes.join(" ")).toContain("Pulled new commits from GitHub");
  });

  it("asks GitHub where the branch is once the clone may be stale, and fetches only if it moved", async () => {
    const { workspace, repo, control } = await connectedUser();
    await workspace.bash({ command: "true" });
    pastFreshness();
    const before = await workspace.stats();
    await workspace.bash({ command: "true" });
    const quiet = await workspace.stats();
    expect(quiet.remoteChecks - before.remoteChecks).toBe(1);
    expect(quiet.gitSyncs - before.gitSyncs).toBe(0);
    // The command, then the commit-and-push step (it found nothing to do).
    expect(quiet.sandboxExecs - before.sandboxExecs).toBe(2);

    await control.commitFromWeb(repo.full_name, { message: "Web", author: webAuthor, files: { "web.md": "web\n" } });
    pastFreshness();
    const read = await workspace.bash({ command: "cat web.md" });
    expect(read).toMatchObject({ ran: true, stdout: { text: "web\n" } });
    const moved = await workspace.stats();
    expect(moved.gitSyncs - quiet.gitSyncs).toBe(1);
  });

  it("merges a concurrent push from the web without losing either change", async () => {
    const { workspace, repo, control } = await connectedUser();
    await workspace.bash({ command: "true" });
    const web = await control.commitFromWeb(repo.full_name, {
      message: "Web note",
      author: webAuthor,
      files: { "knowledge/web.md": "from the web\n" },
    });
    // Right after the first call the clone is trusted to be current, so this push is rejected first.
    const result = await workspace.bash({ command: "echo 'from the AI' > knowledge/ai.md", comment: "AI note" });
    expect(result).toMatchObject({ ran: true, exitCode: 0, publish: { state: "pushed" } });

    expect(await control.readFile(repo.full_name, "knowledge/web.md")).toBe("from the web\n");
    expect(await control.readFile(repo.full_name, "knowledge/ai.md")).toBe("from the AI\n");
    const [top, second] = await control.commits(repo.full_name);
    expect(top?.message).toBe("AI note");
    expect(second?.sha).toBe(web.sha);
    if (result.ran && result.publish.state === "pushed") expect(result.publish.sha).toBe(top?.sha);
  });

  it("keeps both sides of a conflicting edit: GitHub's on main, the AI's on a named side branch", async () => {
    const { workspace, repo, control } = await connectedUser();
    await workspace.bash({ command: "true" });
    const web = await control.commitFromWeb(repo.full_name, {
      message: "Web edit",
      author: webAuthor,
      files: { "resources/context.md": "# Context\n\nThe web's version.\n" },
    });
    const result = await workspace.bash({
      command: "printf '# Context\\n\\nThe AI version.\\n' > resources/context.md",
      comment: "AI edit",
    });
    expect(result).toMatchObject({ ran: true, exitCode: 0, publish: { state: "not-needed" } });
    if (!result.ran) return;
    expect(result.setAside).toHaveLength(1);
    const { name: branch, sha, conflicts } = result.setAside[0] ?? { name: "", sha: "", conflicts: [] };
    expect(branch).toMatch(/^ctx4-ai\/conflict-\d{8}-\d{6}-[0-9a-f]{7,}$/);
    expect(conflicts).toEqual(["resources/context.md"]);
    expect(sha).toBe(result.commit?.sha);

    expect(await control.branchHead(repo.full_name)).toBe(web.sha);
    expect(await control.readFile(repo.full_name, "resources/context.md")).toBe("# Context\n\nThe web's version.\n");
    expect(await control.branchHead(repo.full_name, branch)).toBe(sha);
    expect(await control.readFile(repo.full_name, "resources/context.md", branch)).toBe(
      "# Context\n\nThe AI version.\n",
    );

    const after = await workspace.bash({ command: "cat resources/context.md; git status --porcelain" });
    expect(after).toMatchObject({ ran: true, stdout: { text: "# Context\n\nThe web's version.\n" } });
  });

  it("starts an empty repo's branch with the first change", async () => {
    const { workspace, repo, control } = await connectedUser("empty");
    const first = await workspace.bash({ command: "ls -A" });
    expect(first).toMatchObject({ ran: true, exitCode: 0, stdout: { text: ".git\n" } });
    if (first.ran) expect(first.notes.join(" ")).toContain("it is empty");
    const write = await workspace.bash({ command: "mkdir resources && echo hi > resources/context.md" });
    expect(write).toMatchObject({ ran: true, publish: { state: "pushed" } });
    expect(await control.readFile(repo.full_name, "resources/context.md")).toBe("hi\n");
  });

  it("commits a command's own commit too, and pushes it", async () => {
    const { workspace, repo, control } = await connectedUser();
    const result = await workspace.bash({
      command: "echo a > a.md && git add a.md && git commit -qm 'Committed by the command'",
    });
    expect(result).toMatchObject({ ran: true, commit: null, publish: { state: "pushed" } });
    expect((await control.commits(repo.full_name))[0]?.message).toBe("Committed by the command");
  });

  it("starts from a fresh clone when the repo was deleted and a new one of that name selected", async () => {
    const { userId, login, workspace, repo, control, installation } = await connectedUser();
    await workspace.bash({ command: "echo old > old.md", comment: "Old repo note" });

    await control.deleteRepo(repo.full_name);
    const recreated = await control.createRepo(login, repo.name, "readme");
    await control.setRepositories(installation.id, { repository_selection: "selected", repositories: [repo.name] });
    await saveConfig(userId, installation.id, login, recreated);
    expect(await workspace.reset()).toEqual({ sandbox: "destroyed" });

    const fresh = await workspace.bash({ command: "ls; git log --format=%s" });
    expect(fresh).toMatchObject({ ran: true, exitCode: 0, stdout: { text: "README.md\nInitial commit\n" } });
    if (fresh.ran) expect(fresh.notes.join(" ")).toContain("Cloned");
    expect(await control.readFile(recreated.full_name, "old.md")).toBeUndefined();
  });
});

describe("work a command makes anywhere in the clone reaches GitHub, and the result says where", () => {
  const notesOf = (result: Awaited<ReturnType<Workspace["bash"]>>) => (result.ran ? result.notes.join(" ") : "");
  type Workspace = Awaited<ReturnType<typeof connectedUser>>["workspace"];

  it("commits a change made on a detached HEAD onto main and pushes it", async () => {
    const { workspace, repo, control } = await connectedUser();
    const result = await workspace.bash({ command: "git checkout -q --detach && echo important > important.md" });
    expect(result).toMatchObject({ ran: true, exitCode: 0, publish: { state: "pushed" }, setAside: [] });
    if (!result.ran || result.publish.state !== "pushed") return;
    expect(result.commit?.files).toEqual(["A\timportant.md"]);
    expect(await control.branchHead(repo.full_name)).toBe(result.publish.sha);
    expect(await control.readFile(repo.full_name, "important.md")).toBe("important\n");
    expect(notesOf(result)).toContain("made on a detached HEAD onto main");
    const next = await workspace.bash({ command: "git symbolic-ref --short HEAD && cat important.md" });
    expect(next).toMatchObject({ ran: true, stdout: { text: "main\nimportant\n" } });
  });

  it("brings a command's commits on another local branch onto main, then deletes that branch", async () => {
    const { workspace, repo, control } = await connectedUser();
    const result = await workspace.bash({
      command:
        "git checkout -q -b feature && echo f > f.md && git add f.md && git commit -qm 'On feature' && git checkout -q main && echo m > m.md",
      comment: "Main note",
    });
    expect(result).toMatchObject({ ran: true, publish: { state: "pushed" } });
    expect(await control.readFile(repo.full_name, "f.md")).toBe("f\n");
    expect(await control.readFile(repo.full_name, "m.md")).toBe("m\n");
    const messages = (await control.commits(repo.full_name)).map((commit) => commit.message);
    expect(messages.slice(0, 2).sort()).toEqual(["Main note", "On feature"]);
    expect(notesOf(result)).toContain("Brought 1 commit(s) made on local branch feature onto main");
    expect(notesOf(result)).toContain("Deleted local branch(es) feature");
    const branches = await workspace.bash({ command: "git branch --format='%(refname:short)'" });
    expect(branches).toMatchObject({ ran: true, stdout: { text: "main\n" } });
  });

  it("returns and commits when the command leaves processes holding its output behind", async () => {
    const { workspace, repo, control } = await connectedUser();
    const started = Date.now();
    const result = await workspace.bash({
      command: "(setsid bash -c 'sleep 600' >&2 &); nohup sleep 600 >/dev/null 2>&1 & echo left > left.md; echo done",
      timeoutSeconds: 60,
    });
    expect(result).toMatchObject({ ran: true, exitCode: 0, timedOut: false, publish: { state: "pushed" } });
    expect(result.ran && result.stdout.text).toBe("done\n");
    expect(Date.now() - started).toBeLessThan(20_000);
    expect(await control.readFile(repo.full_name, "left.md")).toBe("left\n");
  });

  it("leaves the clone on the commits it brought in, so the next call undoes nothing (model test, seed 1)", async () => {
    const { workspace, repo, control } = await connectedUser();
    const result = await workspace.bash({
      command: "git checkout -q -b topic && echo t > t.md && git add t.md && git commit -qm Topic && git checkout -q -",
    });
    expect(result).toMatchObject({ ran: true, publish: { state: "pushed" } });
    const next = await workspace.bash({ command: "git status --porcelain && cat t.md", comment: "Look" });
    expect(next).toMatchObject({ ran: true, stdout: { text: "t\n" }, commit: null, publish: { state: "not-needed" } });
    expect(await control.readFile(repo.full_name, "t.md")).toBe("t\n");
    expect((await control.commits(repo.full_name))[0]?.message).toBe("Topic");
  });

  it("keeps each clone that lost its .git apart, even twice within one second (model test, seed 1)", async () => {
    const { workspace, repo, control } = await connectedUser();
    await workspace.bash({ command: "true" });
    const first = await workspace.bash({ command: "rm -rf .git && echo one > one.md" });
    const second = await workspace.bash({ command: "rm -rf .git && echo two > two.md" });
    for (const [result, file, text] of [
      [first, "one.md", "one\n"],
      [second, "two.md", "two\n"],
    ] as const) {
      expect(result).toMatchObject({ ran: true });
      const side = result.ran ? result.setAside[0] : undefined;
      expect(side?.why).toBe("recovered");
      expect(await control.readFile(repo.full_name, file, side?.name)).toBe(text);
    }
  });

  it("starts main again from GitHub when a command deleted it, and keeps the command's work", async () => {
    const { workspace, repo, control } = await connectedUser();
    await workspace.bash({ command: "true" });
    const result = await workspace.bash({
      command: "git checkout -q -b other && git branch -D main >/dev/null && echo o > o.md",
    });
    expect(result).toMatchObject({ ran: true, publish: { state: "pushed" } });
    expect(await control.readFile(repo.full_name, "o.md")).toBe("o\n");
    expect(await control.readFile(repo.full_name, "resources/instructions.md")).toBeDefined();
  });

  it("sets aside a detached commit that conflicts with main on a side branch, named in the result", async () => {
    const { workspace, repo, control } = await connectedUser();
    await workspace.bash({ command: "echo one > clash.md", comment: "One" });
    await workspace.bash({ command: "echo two > clash.md", comment: "Two" });
    const mainHead = await control.branchHead(repo.full_name);
    const result = await workspace.bash({
      command: "git checkout -q --detach HEAD~1 && echo three > clash.md && git commit -qam Three",
    });
    expect(result).toMatchObject({ ran: true, publish: { state: "not-needed" } });
    if (!result.ran) return;
    expect(result.setAside).toHaveLength(1);
    const [side] = result.setAside;
    expect(side?.conflicts).toEqual(["clash.md"]);
    expect(await control.branchHead(repo.full_name)).toBe(mainHead);
    expect(await control.readFile(repo.full_name, "clash.md", side?.name)).toBe("three\n");
    const text = bashResultText(result).text;
    expect(text).toContain(`pushed to branch ${side?.name}`);
    const after = await workspace.bash({ command: "git symbolic-ref --short HEAD; cat clash.md" });
    expect(after).toMatchObject({ ran: true, stdout: { text: "main\ntwo\n" } });
  });

  it("keeps what a command put away with git stash on a named side branch, main untouched", async () => {
    const { workspace, repo, control } = await connectedUser();
    await workspace.bash({ command: "true" });
    const mainHead = await control.branchHead(repo.full_name);
    const result = await workspace.bash({
      command: "echo draft > draft.md && echo edited >> resources/context.md && git stash -q -u",
    });
    expect(result).toMatchObject({ ran: true, exitCode: 0, commit: null, publish: { state: "not-needed" } });
    if (!result.ran) return;
    expect(result.setAside).toMatchObject([{ why: "stashed", earlier: false }]);
    const [side] = result.setAside;
    expect(await control.branchHead(repo.full_name)).toBe(mainHead);
    expect(await control.readFile(repo.full_name, "draft.md", side?.name)).toBe("draft\n");
    expect(await control.readFile(repo.full_name, "resources/context.md", side?.name)).toMatch(/edited\n$/);
    expect(bashResultText(result).text).toContain(`git checkout origin/${side?.name} -- <path>`);

    const next = await workspace.bash({
      command: `git stash list | wc -l && git checkout -q origin/${side?.name} -- draft.md && cat draft.md`,
    });
    expect(next).toMatchObject({ ran: true, stdout: { text: "0\ndraft\n" }, publish: { state: "pushed" } });
  });

  it("sets aside a stash the next call finds, when GitHub refused the push, as earlier work", async () => {
    const { userId, login, workspace, repo, control, installation } = await connectedUser();
    await workspace.bash({ command: "true" });
    await control.deleteInstallation(installation.id);
    const stashed = await workspace.bash({ command: "echo draft > draft.md && git stash -q -u" });
    expect(stashed).toMatchObject({ ran: true, publish: { state: "failed" }, setAside: [] });

    const again = await control.createInstallation(login, {
      repository_selection: "selected",
      repositories: [repo.name],
    });
    await saveConfig(userId, again.id, login, repo);
    await workspace.reset();
    const next = await workspace.bash({ command: "git stash list | wc -l" });
    expect(next).toMatchObject({ ran: true, stdout: { text: "0\n" }, setAside: [{ why: "stashed", earlier: true }] });
    const side = next.ran ? next.setAside[0] : undefined;
    expect(await control.readFile(repo.full_name, "draft.md", side?.name)).toBe("draft\n");
    expect(next.ran && bashResultText(next).text).toContain(`pushed to branch ${side?.name}`);
  });

  it("carries a web edit along when the AI renames that file before seeing it (model test, seed 56223832)", async () => {
    const { workspace, repo, control } = await connectedUser();
    await workspace.bash({ command: "mkdir -p notes && echo mine > notes/b.md", comment: "Mine" });
    await control.commitFromWeb(repo.full_name, {
      message: "Web edit",
      author: webAuthor,
      files: { "notes/b.md": "the web's\n" },
    });
    // Within the freshness window: the clone has not seen the web's edit when the AI renames.
    const result = await workspace.bash({ command: "git mv notes/b.md a.md" });
    expect(result).toMatchObject({ ran: true, publish: { state: "pushed" }, setAside: [] });
    expect(result.ran && result.commit?.files).toEqual(["R100\tnotes/b.md\ta.md"]);
    expect(await control.readFile(repo.full_name, "a.md")).toBe("the web's\n");
    expect(await control.readFile(repo.full_name, "notes/b.md")).toBeUndefined();
    expect(result.ran && bashResultText(result).text).toContain("rebased on top of them");
    const clone = await workspace.bash({ command: "cat a.md" });
    expect(clone).toMatchObject({ ran: true, stdout: { text: "the web's\n" } });
  });

  it("says where a change landed when a rename on GitHub carried it to another path (model test, seed 66296651)", async () => {
    const { workspace, repo, control } = await connectedUser();
    await workspace.bash({ command: "true" });
    await control.commitFromWeb(repo.full_name, { message: "Web", author: webAuthor, files: { "café.md": "web\n" } });
    pastFreshness();
    await workspace.bash({ command: "mv café.md a.md", comment: "Rename" });
    // Back to before the rename, which is on GitHub: the edit is made to the old name.
    const result = await workspace.bash({ command: "git reset -q --hard HEAD~1 && echo edited > café.md" });
    expect(result).toMatchObject({ ran: true, publish: { state: "pushed" }, setAside: [] });
    if (!result.ran || !result.commit?.landed || result.publish.state !== "pushed") throw new Error("not landed");
    expect(result.commit.files).toEqual(["M\tcafé.md"]);
    expect(result.commit.landed).toEqual({ sha: result.publish.sha, files: ["M\ta.md"] });
    expect(await control.readFile(repo.full_name, "a.md")).toBe("edited\n");
    expect(await control.readFile(repo.full_name, "café.md")).toBeUndefined();
    const text = bashResultText(result).text;
    expect(text).toContain("or the command moved the branch back");
    expect(text).toContain(`It landed on main as ${result.publish.sha.slice(0, 7)}:\n  M a.md`);
  });

  it("says so when the web had made the very same change, so the commit had nothing left to add", async () => {
    const { workspace, repo, control } = await connectedUser();
    await workspace.bash({ command: "true" });
    await control.commitFromWeb(repo.full_name, { message: "Web", author: webAuthor, files: { "same.md": "same\n" } });
    // Within the freshness window: the clone has not seen the web's commit.
    const result = await workspace.bash({ command: "echo same > same.md" });
    expect(result).toMatchObject({ ran: true, setAside: [] });
    if (!result.ran || !result.commit) throw new Error("no commit");
    expect(result.commit.landed).toBeNull();
    expect(bashResultText(result).text).toContain(
      "Nothing of it was left to add: GitHub's main already had the same change.",
    );
    expect(await control.readFile(repo.full_name, "same.md")).toBe("same\n");
    expect((await control.commits(repo.full_name))[0]?.message).toBe("Web");
  });

  it("never removes a commit from GitHub: a hard reset is undone, and the result says how to undo", async () => {
    const { workspace, repo, control } = await connectedUser();
    await workspace.bash({ command: "echo keep > keep.md", comment: "Keep" });
    const head = await control.branchHead(repo.full_name);
    const reset = await workspace.bash({ command: "git reset -q --hard HEAD~1 && ls keep.md 2>&1 || true" });
    expect(reset).toMatchObject({ ran: true, commit: null, publish: { state: "not-needed" } });
    expect(await control.branchHead(repo.full_name)).toBe(head);
    expect(notesOf(reset)).toContain("use `git revert`");
    const back = await workspace.bash({ command: "cat keep.md" });
    expect(back).toMatchObject({ ran: true, stdout: { text: "keep\n" } });
  });
});

describe("the branch is the one GitHub names now", () => {
  it("follows a default branch renamed on GitHub: the note lands on it, no branch of the old name", async () => {
    const { userId, login, workspace, repo, control } = await connectedUser();
    await workspace.bash({ command: "echo before > before.md", comment: "Before" });
    const renamed = await (await asGitHubUser(login)).post(`/repos/${repo.full_name}/branches/main/rename`, {
      new_name: "trunk",
    });
    expect(renamed.status).toBe(201);
    pastFreshness();

    const after = await workspace.bash({ command: "echo after > after.md", comment: "After" });
    expect(after).toMatchObject({ ran: true, branch: "trunk", publish: { state: "pushed" } });
    if (!after.ran) return;
    expect(after.notes.join(" ")).toContain("its default branch is now trunk (it was main)");
    expect(bashResultText(after).text).toContain("(trunk at ");
    expect(await control.readFile(repo.full_name, "after.md", "trunk")).toBe("after\n");
    expect(await control.readFile(repo.full_name, "before.md", "trunk")).toBe("before\n");
    expect(await control.branchHead(repo.full_name, "main")).toBeUndefined();
    expect((await configOfUser(userId))?.defaultBranch).toBe("trunk");

    const branches = await workspace.bash({ command: "git branch --format='%(refname:short)'" });
    expect(branches).toMatchObject({ ran: true, stdout: { text: "trunk\n" } });
  });

  it("clones the renamed branch when the clone is lost right after the rename (model test, seed 2)", async () => {
    const { userId, login, workspace, repo, control } = await connectedUser();
    await workspace.bash({ command: "true" });
    await (await asGitHubUser(login)).post(`/repos/${repo.full_name}/branches/main/rename`, { new_name: "trunk" });
    await execInSandbox(userId, "rm -rf repo");
    // Within the freshness window: the clone is set up again before anyone asked GitHub.
    const result = await workspace.bash({ command: "ls resources && echo x > x.md" });
    expect(result).toMatchObject({ ran: true, branch: "trunk", exitCode: 0, publish: { state: "pushed" } });
    if (result.ran) expect(result.stdout.text).toContain("instructions.md");
    expect(await control.readFile(repo.full_name, "x.md", "trunk")).toBe("x\n");
    expect(await control.readFile(repo.full_name, "resources/instructions.md", "trunk")).toBeDefined();
    expect(await control.branchHead(repo.full_name, "main")).toBeUndefined();
  });

  it("follows the renamed branch after the object was evicted, and never makes main again (model test)", async () => {
    const { userId, login, repo, control } = await connectedUser();
    await workspaceOf(userId).bash({ command: "true" });
    await (await asGitHubUser(login)).post(`/repos/${repo.full_name}/branches/main/rename`, { new_name: "trunk" });
    await abortAllDurableObjects();
    const result = await workspaceOf(userId).bash({ command: "echo x > x.md" });
    expect(result).toMatchObject({ ran: true, branch: "trunk", publish: { state: "pushed" } });
    expect(await control.readFile(repo.full_name, "x.md", "trunk")).toBe("x\n");
    expect(await control.branchHead(repo.full_name, "main")).toBeUndefined();
  });

  it("never creates the old branch again, even right after the rename", async () => {
    const { login, workspace, repo, control } = await connectedUser();
    await workspace.bash({ command: "true" });
    await (await asGitHubUser(login)).post(`/repos/${repo.full_name}/branches/main/rename`, { new_name: "trunk" });
    // Within the freshness window nobody asks GitHub first: the push itself must not make main.
    const quick = await workspace.bash({ command: "echo quick > quick.md" });
    expect(await control.branchHead(repo.full_name, "main")).toBeUndefined();
    pastFreshness();
    const next = await workspace.bash({ command: "true" });
    expect(next).toMatchObject({ ran: true, branch: "trunk" });
    expect(await control.readFile(repo.full_name, "quick.md", "trunk")).toBe("quick\n");
    expect(quick.ran && quick.publish.state).not.toBe("pushed");
  });
});
