import { describe, expect, it } from "vitest";
import { holdClock, pastFreshness } from "../../tests/workerd/clock";
import { connectedUser, execInSandbox } from "../../tests/workerd/connected-user";
import { memoryPath, type PathRead } from "./files";
import type { ReadOutcome } from "./workspace";

/** The read's value, or a failed test saying why nothing was read. */
function readValue(outcome: ReadOutcome<PathRead>): PathRead {
  if (!outcome.ready) throw new Error(`not ready: ${outcome.problem}`);
  return outcome.value;
}

/**
 * A memory with what a hostile or careless command leaves: names with a newline, spaces,
 * UTF-8 and a leading dash, symlinks out of the clone (a file, a folder, a loop), a FIFO, a
 * binary file, a long file and a long line. The secret sits outside the clone.
 */
async function hostileMemory() {
  const user = await connectedUser();
  const secret = `outside-${crypto.randomUUID()}`;
  const setup = await user.workspace.bash({
    command: [
      `mkdir -p ~/elsewhere && echo ${secret} > ~/elsewhere/secret.md && echo ${secret} > ~/outside.md`,
      "mkdir -p odd long",
      "printf 'first\\nsecond\\n' > $'odd/new\\nline.md'",
      "printf 'spaced\\n' > 'odd/  two  spaces .md'",
      "printf 'café\\n' > odd/café.md",
      "printf 'dash\\n' > odd/-rf.md",
      "ln -s ~/outside.md odd/link.md",
      "ln -s ~/elsewhere odd/linked-folder",
      "ln -s ../../.. odd/up",
      "ln -s loop odd/loop",
      "printf 'PNG\\0\\1\\2\\3' > odd/image.png",
      "seq 1 5000 > long/numbers.txt",
      "head -c 300000 /dev/zero | tr '\\0' x > long/one-line.txt",
    ].join(" && "),
    comment: "Plant hostile files",
  });
  expect(setup).toMatchObject({ ran: true, exitCode: 0, publish: { state: "pushed" } });
  // A FIFO is not something git stores: it stays in the clone, as a command left it.
  await execInSandbox(user.userId, "mkfifo repo/odd/fifo");
  return { ...user, secret };
}

describe("memoryPath", () => {
  it("normalises a path inside the memory and refuses what leaves it or reaches .git", () => {
    expect(memoryPath("")).toEqual({ path: "." });
    expect(memoryPath("./resources/")).toEqual({ path: "resources" });
    expect(memoryPath("a//b/./c.md")).toEqual({ path: "a/b/c.md" });
    expect(memoryPath("-rf")).toEqual({ path: "-rf" });
    expect(memoryPath("/etc/passwd")).toHaveProperty("reason");
    expect(memoryPath("resources/../../x")).toHaveProperty("reason");
    expect(memoryPath("..")).toHaveProperty("reason");
    expect(memoryPath(".git/config")).toHaveProperty("reason");
    expect(memoryPath("sub/.git")).toHaveProperty("reason");
  });
});

describe("Workspace.read (ctx_read)", () => {
  it("gives a text file's lines from startLine to endLine, and caps a long file with the line to read on", async () => {
    const { workspace } = await hostileMemory();
    expect(readValue(await workspace.read({ path: "resources/context.md" }))).toEqual({
      kind: "text",
      path: "resources/context.md",
      bytes: 75,
      startLine: 1,
      lines: ["# Context", "", "I am a software engineer who likes small, well-tested programs."],
      nextLine: null,
      cutLine: false,
    });
    expect(readValue(await workspace.read({ path: "long/numbers.txt", startLine: 10, endLine: 12 }))).toMatchObject({
      lines: ["10", "11", "12"],
      nextLine: 13,
    });
    const capped = readValue(await workspace.read({ path: "long/numbers.txt" }));
    if (capped.kind !== "text") throw new Error(capped.kind);
    expect(capped.lines).toHaveLength(2000);
    expect(capped.lines.at(-1)).toBe("2000");
    expect(capped.nextLine).toBe(2001);
    expect(readValue(await workspace.read({ path: "long/numbers.txt", startLine: 4999 }))).toMatchObject({
      lines: ["4999", "5000"],
      nextLine: null,
    });
    expect(readValue(await workspace.read({ path: "long/numbers.txt", startLine: 9000 }))).toMatchObject({ lines: [] });
    const wide = readValue(await workspace.read({ path: "long/one-line.txt" }));
    expect(wide).toMatchObject({ kind: "text", bytes: 300_000, cutLine: true, nextLine: 2 });
    if (wide.kind === "text") expect(wide.lines[0]).toHaveLength(100_000);
  });

  it("reads names with a newline, spaces, UTF-8 and a leading dash", async () => {
    const { workspace } = await hostileMemory();
    for (const [path, lines] of [
      ["odd/new\nline.md", ["first", "second"]],
      ["odd/  two  spaces .md", ["spaced"]],
      ["odd/café.md", ["café"]],
      ["odd/-rf.md", ["dash"]],
    ] as const) {
      expect(readValue(await workspace.read({ path }))).toMatchObject({ kind: "text", path, lines });
    }
  });

  it("lists a folder sorted, folders first, with sizes, and never shows .git", async () => {
    const { workspace } = await hostileMemory();
    const odd = readValue(await workspace.read({ path: "odd" }));
    expect(odd).toEqual({
      kind: "folder",
      path: "odd",
      truncated: false,
      entries: [
        { name: "  two  spaces .md", type: "file", bytes: 7 },
        { name: "-rf.md", type: "file", bytes: 5 },
        { name: "café.md", type: "file", bytes: 6 },
        { name: "fifo", type: "other", bytes: 0 },
        { name: "image.png", type: "file", bytes: 7 },
        { name: "link.md", type: "symlink", bytes: expect.any(Number) },
        { name: "linked-folder", type: "symlink", bytes: expect.any(Number) },
        { name: "loop", type: "symlink", bytes: 4 },
        { name: "new\nline.md", type: "file", bytes: 13 },
        { name: "up", type: "symlink", bytes: 8 },
      ],
    });
    const root = readValue(await workspace.read({ path: "" }));
    if (root.kind !== "folder") throw new Error(root.kind);
    expect(root.entries.map((entry) => entry.name)).not.toContain(".git");
    expect(root.entries.slice(0, 3)).toEqual([
      { name: "knowledge", type: "folder", bytes: expect.any(Number) },
      { name: "long", type: "folder", bytes: expect.any(Number) },
      { name: "odd", type: "folder", bytes: expect.any(Number) },
    ]);
  });

  it("summarises a binary file without its bytes", async () => {
    const { workspace } = await hostileMemory();
    const binary = readValue(await workspace.read({ path: "odd/image.png" }));
    expect(binary).toMatchObject({ kind: "binary", path: "odd/image.png", bytes: 7 });
    expect(JSON.stringify(binary)).not.toContain("PNG");
  });

  it("refuses paths out of the clone, into .git, through symlinks and to a FIFO, and says what is missing", async () => {
    const { workspace, secret } = await hostileMemory();
    const refusals = [
      "../outside.md",
      "/etc/passwd",
      ".git/config",
      "odd/link.md",
      "odd/linked-folder/secret.md",
      "odd/linked-folder",
      "odd/up/etc/passwd",
      "odd/loop",
      "odd/fifo",
    ];
    for (const path of refusals) {
      const read = await workspace.read({ path });
      expect(readValue(read), path).toMatchObject({ kind: "refused" });
      expect(JSON.stringify(read)).not.toContain(secret);
    }
    expect(readValue(await workspace.read({ path: "odd/nothing-here.md" }))).toEqual({
      kind: "missing",
      path: "odd/nothing-here.md",
    });
    expect(await workspace.read({ path: "x", startLine: 5, endLine: 2 })).toMatchObject({ ready: false });
    expect(await workspace.read({ path: "x", startLine: 0 })).toMatchObject({ ready: false });
  });

  it("never commits, even when a command left changes behind", async () => {
    holdClock();
    const { workspace, userId, repo, control } = await hostileMemory();
    const head = await control.branchHead(repo.full_name);
    const localHead = await execInSandbox(userId, "git -C repo rev-parse HEAD");
    await execInSandbox(userId, "echo left > repo/left-behind.md && echo changed >> repo/resources/context.md");
    expect(readValue(await workspace.read({ path: "left-behind.md" }))).toMatchObject({ lines: ["left"] });
    expect(await control.branchHead(repo.full_name)).toBe(head);
    // A change on GitHub makes the next read catch up first, in read mode: it fetches, and with
    // changes left in the clone it leaves the branch alone rather than commit them.
    const web = await control.commitFromWeb(repo.full_name, {
      message: "Edit on the web",
      author: { name: "Web Person", email: "web@example.com" },
      files: { "web.md": "from the web\n" },
    });
    pastFreshness();
    expect(readValue(await workspace.read({ path: "resources/context.md" }))).toMatchObject({
      lines: expect.arrayContaining(["changed"]),
    });
    expect(await control.branchHead(repo.full_name)).toBe(web.sha);
    expect(await execInSandbox(userId, "git -C repo rev-parse HEAD")).toBe(localHead);
    expect(await execInSandbox(userId, "git -C repo status --porcelain")).toBe(
      " M resources/context.md\n?? left-behind.md\n",
    );
  });
});
