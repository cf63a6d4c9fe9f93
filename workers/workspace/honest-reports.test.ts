import { abortAllDurableObjects } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { connectedUser, execInSandbox, workspaceOf } from "../../tests/workerd/connected-user";
import { bashResultText } from "../mcp/format";

describe("what ctx_bash reports is what happened, in words an AI can act on", () => {
  it("names paths as they are, in UTF-8, never quoted or escaped", async () => {
    const { workspace, repo, control } = await connectedUser();
    const result = await workspace.bash({
      command: `echo un > 'knowledge/café notes.md' && printf x > "$(printf 'tab\\there\\nnewline.md')" && echo q > 'a "quoted" \\ name.md'`,
    });
    expect(result).toMatchObject({ ran: true, publish: { state: "pushed" } });
    if (!result.ran) return;
    expect(result.commit?.files.sort()).toEqual(
      ["A\tknowledge/café notes.md", "A\ttab\there\nnewline.md", 'A\ta "quoted" \\ name.md'].sort(),
    );
    expect(bashResultText(result).text).toContain("A knowledge/café notes.md");
    expect(await control.readFile(repo.full_name, "knowledge/café notes.md")).toBe("un\n");
  });

  it("commits what an earlier command left under a message of its own, and a read makes no commit", async () => {
    const { userId, workspace, repo, control } = await connectedUser();
    await workspace.bash({ command: "true" });
    // A command wrote this, and then its commit never happened: the object went away in between.
    await execInSandbox(userId, "echo left > repo/left.md");
    await abortAllDurableObjects();

    const read = await workspaceOf(userId).bash({ command: "ls left.md", comment: "Just looking" });
    expect(read).toMatchObject({ ran: true, commit: null, publish: { state: "not-needed" } });
    if (!read.ran) return;
    expect(read.notes.join(" ")).toMatch(/Committed changes an earlier command left \([0-9a-f]{7}\)/);
    const [top] = await control.commits(repo.full_name);
    expect(top?.message).toBe("Commit changes an earlier command left uncommitted");
    expect(await control.readFile(repo.full_name, "left.md")).toBe("left\n");
    expect((await control.commits(repo.full_name)).some((commit) => commit.message === "Just looking")).toBe(false);
  });

  it("commits everything else when git cannot store one file, and names that file", async () => {
    const { workspace, repo, control } = await connectedUser();
    const result = await workspace.bash({ command: "mkdir -p d && echo y > d/.GIT && echo fine > fine.md" });
    expect(result).toMatchObject({ ran: true, publish: { state: "pushed" } });
    if (!result.ran) return;
    expect(result.commit?.files).toEqual(["A\tfine.md"]);
    expect(result.notes.join(" ")).toContain("Not committed: d/.GIT: git cannot store a file by that name");
    expect(await control.readFile(repo.full_name, "fine.md")).toBe("fine\n");
    const next = await workspace.bash({ command: "echo more > more.md" });
    expect(next).toMatchObject({ ran: true, publish: { state: "pushed" }, commit: { files: ["A\tmore.md"] } });
  });

  it("leaves out a file GitHub would refuse, names large and binary files, and still pushes the rest", async () => {
    const { workspace, repo, control } = await connectedUser();
    const result = await workspace.bash({
      command:
        "truncate -s 101M huge.bin && truncate -s 51M big.txt && head -c 4096 /dev/urandom > random.bin && echo ok > ok.md",
      timeoutSeconds: 120,
    });
    expect(result).toMatchObject({ ran: true, publish: { state: "pushed" } });
    if (!result.ran) return;
    expect(result.commit?.files.sort()).toEqual(["A\tbig.txt", "A\tok.md", "A\trandom.bin"]);
    const text = bashResultText(result).text;
    expect(text).toContain("Not committed: huge.bin is 101.0 MB, over GitHub's limit of 100 MB");
    expect(text).toContain("Committed big.txt, 51.0 MB: GitHub warns about files over 50 MB");
    expect(text).toContain("Committed random.bin, a binary file");
    expect(await control.readFile(repo.full_name, "ok.md")).toBe("ok\n");
    expect(await control.readFile(repo.full_name, "huge.bin")).toBeUndefined();
  });

  it("names the large and binary files among thousands written at once, and pushes them all", async () => {
    const { workspace, repo, control } = await connectedUser();
    // 1,500 paths of about 60 bytes: more than one command line holds at once.
    const result = await workspace.bash({
      command:
        "mkdir -p notes/bulk && for n in $(seq 1500); do echo $n > notes/bulk/a-rather-long-name-for-a-note-about-something-$n.md; done && truncate -s 51M notes/bulk/zz-big.txt && head -c 4096 /dev/urandom > notes/bulk/zz-random.bin",
      timeoutSeconds: 120,
    });
    expect(result).toMatchObject({ ran: true, exitCode: 0, publish: { state: "pushed" } });
    const text = result.ran ? bashResultText(result).text : "";
    expect(text).toContain("Committed notes/bulk/zz-big.txt, 51.0 MB: GitHub warns about files over 50 MB");
    expect(text).toContain("Committed notes/bulk/zz-random.bin, a binary file");
    expect(text).not.toContain("a-rather-long-name-for-a-note-about-something-1500.md, a binary file");
    expect(
      await control.readFile(repo.full_name, "notes/bulk/a-rather-long-name-for-a-note-about-something-1500.md"),
    ).toBe("1500\n");
  });

  it("puts a command's own commits that bring a file GitHub refuses together without it, so pushes go on", async () => {
    const { workspace, repo, control } = await connectedUser();
    const result = await workspace.bash({
      command:
        "truncate -s 101M huge.bin && echo small > small.md && git add -A && git commit -qm 'Mine, with a big file' && echo later > later.md && git add -A && git commit -qm 'Mine, later'",
      timeoutSeconds: 120,
    });
    expect(result).toMatchObject({ ran: true, publish: { state: "pushed" } });
    const text = result.ran ? bashResultText(result).text : "";
    expect(text).toContain("2 commit(s) made by a command brought a file over GitHub's 100 MB limit");
    expect(text).toContain("Not committed: huge.bin is 101.0 MB");
    expect(await control.readFile(repo.full_name, "small.md")).toBe("small\n");
    expect(await control.readFile(repo.full_name, "later.md")).toBe("later\n");
    expect(await control.readFile(repo.full_name, "huge.bin")).toBeUndefined();
    expect((await control.commits(repo.full_name))[0]?.message).toContain("- Mine, with a big file");

    const next = await workspace.bash({ command: "ls huge.bin && echo next > next.md" });
    expect(next).toMatchObject({ ran: true, stdout: { text: "huge.bin\n" }, publish: { state: "pushed" } });
    expect(await control.readFile(repo.full_name, "next.md")).toBe("next\n");
  });

  it("finds a file GitHub refuses by its exact name, newlines included, so pushes go on", async () => {
    const { workspace, repo, control } = await connectedUser();
    const name = "odd\nfolder/huge\nfile.bin";
    const result = await workspace.bash({
      command: `f=$(printf 'odd\\nfolder/huge\\nfile.bin') && mkdir -p "\${f%/*}" && truncate -s 101M "$f" && echo small > small.md && git add -A && git commit -qm 'Mine, with a big file'`,
      timeoutSeconds: 120,
    });
    expect(result).toMatchObject({ ran: true, publish: { state: "pushed" } });
    if (!result.ran) return;
    expect(result.notes).toContain(
      `Not committed: ${name} is 101.0 MB, over GitHub's limit of 100 MB for one file, so GitHub would refuse it. It stays in the clone, uncommitted: make it smaller or split it, or delete it.`,
    );
    expect(await control.readFile(repo.full_name, "small.md")).toBe("small\n");
    expect(await control.readFile(repo.full_name, name)).toBeUndefined();
    const next = await workspace.bash({ command: "echo next > next.md" });
    expect(next).toMatchObject({ ran: true, publish: { state: "pushed" } });
    expect(await control.readFile(repo.full_name, "next.md")).toBe("next\n");
  });

  it("pushes nothing, and says why, when a command's own commit holds only a file GitHub refuses", async () => {
    const { workspace, repo, control } = await connectedUser();
    await workspace.bash({ command: "true" });
    const head = await control.branchHead(repo.full_name);
    const result = await workspace.bash({
      command: "truncate -s 101M huge.bin && git add huge.bin && git commit -qm Big",
      timeoutSeconds: 120,
    });
    expect(result).toMatchObject({ ran: true, publish: { state: "not-needed" }, setAside: [] });
    const text = result.ran ? bashResultText(result).text : "";
    expect(text).toContain("1 commit(s) made by a command brought a file over GitHub's 100 MB limit");
    expect(text).toContain("Not committed: huge.bin is 101.0 MB");
    expect(await control.branchHead(repo.full_name)).toBe(head);
  });

  it("sets aside a stash that holds a file GitHub refuses without it, and keeps that file in the sandbox", async () => {
    const { workspace, repo, control } = await connectedUser();
    const result = await workspace.bash({
      command: "truncate -s 101M huge.bin && echo draft > draft.md && git stash -q -u",
      timeoutSeconds: 120,
    });
    // The command's own exit and errors are part of the match, so that a failure says which step went wrong.
    expect(result).toMatchObject({ ran: true, exitCode: 0, stderr: { text: "" }, setAside: [{ why: "stashed" }] });
    const side = result.ran ? result.setAside[0]?.name : undefined;
    expect(await control.readFile(repo.full_name, "draft.md", side)).toBe("draft\n");
    expect(await control.readFile(repo.full_name, "huge.bin", side)).toBeUndefined();
    const text = result.ran ? bashResultText(result).text : "";
    const kept = /kept in the sandbox at (lost\+found\/refused-[^ ]+\/huge\.bin),/.exec(text)?.[1];
    expect(kept).toBeDefined();
    const next = await workspace.bash({ command: `stat -c %s ../${kept} && echo next > next.md` });
    expect(next).toMatchObject({ ran: true, stdout: { text: "105906176\n" }, publish: { state: "pushed" } });
    expect(await control.readFile(repo.full_name, "next.md")).toBe("next\n");
  });
});

describe("the clone is checked, not assumed", () => {
  // An object id no clone has: a command can write it into any ref file.
  const MISSING = "5e6d1f0b2a4c8e9d7f3a1b5c6d8e0f2a4b6c8d0e";

  it("sets the clone up again when its folder is gone, then runs the command", async () => {
    const { userId, workspace, repo, control } = await connectedUser();
    await workspace.bash({ command: "true" });
    // What a new container disk looks like to a live object: no clone at all.
    await execInSandbox(userId, "rm -rf repo");

    const instructions = await workspace.instructions();
    expect(instructions).toMatchObject({ ready: true });
    if (!instructions.ready) return;
    expect(instructions.instructions?.text).toBeTruthy();
    expect(instructions.notes.join(" ")).toContain("Cloned");

    await execInSandbox(userId, "rm -rf repo");
    const result = await workspace.bash({ command: "echo hello > note.md" });
    expect(result).toMatchObject({ ran: true, exitCode: 0, publish: { state: "pushed" } });
    if (result.ran) expect(result.notes.join(" ")).toContain("Cloned");
    expect(await control.readFile(repo.full_name, "note.md")).toBe("hello\n");
  });

  it.each([
    ["its HEAD is garbage", "echo junk > .git/HEAD"],
    ["its objects are gone", "rm -rf .git/objects"],
    ["its config is garbage", "echo '[core' > .git/config"],
    ["its branch points at an object it lacks", `echo ${MISSING} > .git/refs/heads/main`],
    ["its HEAD is detached at an object it lacks", `echo ${MISSING} > .git/HEAD`],
  ])("sets a clone up again when %s, its files kept on a side branch", async (_, breakIt) => {
    const { workspace, repo, control } = await connectedUser();
    await workspace.bash({ command: "true" });
    const head = await control.branchHead(repo.full_name);
    const result = await workspace.bash({ command: `echo kept > kept.md && ${breakIt}` });
    expect(result).toMatchObject({ ran: true, exitCode: 0, publish: { state: "not-needed" } });
    if (!result.ran) return;
    expect(result.setAside).toMatchObject([{ why: "recovered", earlier: false }]);
    expect(await control.readFile(repo.full_name, "kept.md", result.setAside[0]?.name)).toBe("kept\n");
    expect(await control.branchHead(repo.full_name)).toBe(head);
    expect(bashResultText(result).text).toContain("had lost its git data");

    const next = await workspace.bash({
      command: "git rev-parse HEAD && git status --porcelain && echo next > next.md",
    });
    expect(next).toMatchObject({ ran: true, exitCode: 0, stdout: { text: `${head}\n` }, publish: { state: "pushed" } });
    expect(await control.readFile(repo.full_name, "next.md")).toBe("next\n");
  });

  it("makes an index git cannot read again from HEAD: only the change is committed, on the branch", async () => {
    const { workspace, repo, control } = await connectedUser();
    await workspace.bash({ command: "true" });
    const result = await workspace.bash({ command: "echo kept > kept.md && echo junk > .git/index" });
    expect(result).toMatchObject({ ran: true, exitCode: 0, publish: { state: "pushed" }, setAside: [] });
    expect(result.ran && result.commit?.files).toEqual(["A\tkept.md"]);
    expect(await control.readFile(repo.full_name, "kept.md")).toBe("kept\n");
  });

  it.each([
    ["deleted while checked out", "git update-ref -d refs/heads/main"],
    ["a ref file git cannot read", "echo junk > .git/refs/heads/main"],
  ])("starts the branch again at GitHub's when it was %s: the commit holds only the change", async (_, breakIt) => {
    const { workspace, repo, control } = await connectedUser();
    await workspace.bash({ command: "true" });
    const result = await workspace.bash({ command: `${breakIt} && echo x > x.md` });
    expect(result).toMatchObject({ ran: true, exitCode: 0, publish: { state: "pushed" }, setAside: [] });
    expect(result.ran && result.commit?.files).toEqual(["A\tx.md"]);
    expect(await control.readFile(repo.full_name, "x.md")).toBe("x\n");
    expect(await control.readFile(repo.full_name, "resources/instructions.md")).toBeDefined();
  });

  it.each([
    ["another branch", "an object it lacks", `echo ${MISSING} > .git/refs/heads/other`, "refs/heads/other"],
    ["another branch", "a tree", "git rev-parse 'HEAD^{tree}' > .git/refs/heads/tree", "refs/heads/tree"],
    [
      "the recovered files' ref",
      "an object it lacks",
      `mkdir -p .git/refs/ctx4 && echo ${MISSING} > .git/refs/ctx4/recovered`,
      "refs/ctx4/recovered",
    ],
    [
      "the recovered files' ref",
      "a blob",
      "git update-ref refs/ctx4/recovered HEAD:resources/instructions.md",
      "refs/ctx4/recovered",
    ],
    // Handled where they are read (the stash emptied, the record written again): nothing to say.
    ["the stash", "an object it lacks", `echo ${MISSING} > .git/refs/stash`, undefined],
    [
      "the record of GitHub's branch",
      "an object it lacks",
      `echo ${MISSING} > .git/refs/remotes/origin/main`,
      undefined,
    ],
  ])("pushes the change, and later ones, when a command points %s at %s", async (_, _what, breakIt, ref) => {
    const { workspace, repo, control } = await connectedUser();
    await workspace.bash({ command: "true" });
    const result = await workspace.bash({ command: `${breakIt} && echo x > x.md` });
    expect(result).toMatchObject({ ran: true, exitCode: 0, publish: { state: "pushed" }, setAside: [] });
    if (!result.ran) return;
    expect(result.commit?.files).toEqual(["A\tx.md"]);
    const deleted = result.notes.filter((note) => note.startsWith("Deleted ref(s)"));
    expect(deleted).toEqual(ref ? [expect.stringContaining(`Deleted ref(s) ${ref}: each pointed at no commit`)] : []);
    expect(await control.readFile(repo.full_name, "x.md")).toBe("x\n");

    const next = await workspace.bash({ command: "git show-ref; echo y > y.md" });
    expect(next).toMatchObject({ ran: true, exitCode: 0, publish: { state: "pushed" } });
    if (next.ran && ref) expect(next.stdout.text).not.toContain(ref);
    expect(await control.readFile(repo.full_name, "y.md")).toBe("y\n");
  });

  it("keeps the files of a clone whose .git a command removed on a side branch, and starts again", async () => {
    const { workspace, repo, control } = await connectedUser();
    await workspace.bash({ command: "true" });
    const head = await control.branchHead(repo.full_name);
    const result = await workspace.bash({ command: "rm -rf .git && echo 'kept' > kept.md" });
    expect(result).toMatchObject({ ran: true, exitCode: 0, publish: { state: "not-needed" } });
    if (!result.ran) return;
    const [side] = result.setAside;
    expect(side).toMatchObject({ why: "recovered", name: expect.stringMatching(/^ctx4-ai\/recovered-/) });
    expect(bashResultText(result).text).toContain("had lost its git data");
    expect(await control.branchHead(repo.full_name)).toBe(head);
    expect(await control.readFile(repo.full_name, "kept.md", side?.name)).toBe("kept\n");

    const next = await workspace.bash({ command: "git log -1 --format=%H && ls kept.md 2>&1 || true" });
    expect(next).toMatchObject({ ran: true, exitCode: 0 });
    if (next.ran) expect(next.stdout.text).toContain(head ?? "none");
  });
});
