import { describe, expect, it } from "vitest";
import { holdClock, pastFreshness } from "../../tests/workerd/clock";
import { connectedUser } from "../../tests/workerd/connected-user";

/**
 * Writes .git/objects/info/commit-graph (git's format: OIDF, OIDL and CDAT chunks) from stdin
 * lines "<commit> <tree> <time> [parent…]": a graph that claims any parents for any commit,
 * which git believes for every commit it walks past. Run with node in the sandbox.
 */
const GRAPH_WRITER = String.raw`
const rows = new Map();
for (const line of require("fs").readFileSync(0, "utf8").split("\n")) {
  const [id, tree, time, ...parents] = line.trim().split(/\s+/);
  if (id) rows.set(id, { tree, time: Number(time), parents });
}
const ids = [...rows.keys()].sort();
const at = new Map(ids.map((id, index) => [id, index]));
const levels = new Map();
const level = (id) => levels.get(id) ?? levels.set(id, 1 + Math.max(0, ...rows.get(id).parents.map((p) => (rows.has(p) ? level(p) : 0)))).get(id);
const u32 = (n) => { const b = Buffer.alloc(4); b.writeUInt32BE(n); return b; };
const fanout = Buffer.concat([...Array(256).keys()].map((b) => u32(ids.filter((id) => parseInt(id.slice(0, 2), 16) <= b).length)));
const oidl = Buffer.concat(ids.map((id) => Buffer.from(id, "hex")));
const cdat = Buffer.concat(ids.map((id) => {
  const { tree, time, parents } = rows.get(id);
  const parent = (n) => (parents[n] ? at.get(parents[n]) : 0x70000000);
  return Buffer.concat([Buffer.from(tree, "hex"), u32(parent(0)), u32(parent(1)), u32(level(id) << 2), u32(time)]);
}));
const chunks = [["OIDF", fanout], ["OIDL", oidl], ["CDAT", cdat]];
const head = Buffer.from([0x43, 0x47, 0x50, 0x48, 1, 1, chunks.length, 0]);
let offset = head.length + 12 * (chunks.length + 1);
const table = [];
for (const [name, data] of chunks) { const e = Buffer.alloc(12); e.write(name); e.writeBigUInt64BE(BigInt(offset), 4); table.push(e); offset += data.length; }
const last = Buffer.alloc(12); last.writeBigUInt64BE(BigInt(offset), 4); table.push(last);
const body = Buffer.concat([head, ...table, ...chunks.map(([, data]) => data)]);
require("fs").writeFileSync(process.argv[2], Buffer.concat([body, require("crypto").createHash("sha1").update(body).digest()]));
`;

describe("a command that fakes history", () => {
  it("makes a commit git reads as a new history look like a descendant: main's history stays whole", async () => {
    const { workspace, repo, control } = await connectedUser();
    await workspace.bash({ command: "echo one > knowledge/one.md", comment: "Some history" });
    const before = (await control.commits(repo.full_name)).map((commit) => commit.sha);

    const who = "A <a@example.com> 1700000000 +0000";
    const attack = await workspace.bash({
      command: [
        "set -e",
        "OLD=$(git rev-parse HEAD); T=$(git rev-parse 'HEAD^{tree}')",
        // git reads a parent line after the committer as no parent at all: Z starts a new history.
        `Z=$(printf 'tree %s\\nauthor ${who}\\ncommitter ${who}\\nparent %s\\n\\nhistory erased\\n' $T $OLD | git hash-object -t commit -w --stdin)`,
        "echo planted > planted.md && git add planted.md && T2=$(git write-tree)",
        `X=$(printf 'tree %s\\nparent %s\\nauthor ${who}\\ncommitter ${who}\\n\\nAdd a note\\n' $T2 $Z | git hash-object -t commit -w --stdin)`,
        `cat > "$HOME/graph.js" <<'JS'\n${GRAPH_WRITER}\nJS`,
        // A commit-graph that tells git Z's parent is the old head, so a plain push looks like a fast-forward.
        `{ git log --format='%H %T %ct %P' $OLD; echo "$Z $T 1700000000 $OLD"; } | node "$HOME/graph.js" .git/objects/info/commit-graph`,
        "git update-ref HEAD $X",
        "git merge-base --is-ancestor $OLD $X && echo fooled",
      ].join("\n"),
      comment: "Add a note",
    });
    // The command's own git was fooled; ours reads parents from the commits, and so does the route.
    expect(attack).toMatchObject({ ran: true, exitCode: 0, stdout: { text: "fooled\n" }, unexplainedPushes: [] });

    const after = await control.commits(repo.full_name);
    expect(after.map((commit) => commit.sha).slice(-before.length)).toEqual(before);
    expect(after.map((commit) => commit.message.trim())).not.toContain("history erased");
    expect(await control.readFile(repo.full_name, "knowledge/one.md")).toBe("one\n");
  });

  it("moves its record of GitHub's branch onto its own commit: the commit is pushed all the same", async () => {
    const { workspace, repo, control } = await connectedUser();
    await workspace.bash({ command: "true" });
    const hide = await workspace.bash({
      command:
        "echo hidden > hidden.md && git add hidden.md && git commit -qm 'Hidden' && git update-ref refs/remotes/origin/main HEAD && git status -sb | head -1",
    });
    expect(hide).toMatchObject({
      ran: true,
      exitCode: 0,
      stdout: { text: "## main...origin/main\n" },
      publish: { state: "pushed" },
    });
    expect(await control.readFile(repo.full_name, "hidden.md")).toBe("hidden\n");
  });

  it("makes its record of GitHub's branch a symbolic ref to the branch: later changes are pushed all the same", async () => {
    holdClock();
    const { workspace, repo, control } = await connectedUser();
    await workspace.bash({ command: "echo one > knowledge/one.md", comment: "One" });
    await workspace.bash({ command: "git symbolic-ref refs/remotes/origin/main refs/heads/main", comment: "Plant" });
    for (const name of ["a", "b"]) {
      pastFreshness();
      const next = await workspace.bash({ command: `echo ${name} > knowledge/${name}.md`, comment: name });
      expect(next).toMatchObject({ ran: true, exitCode: 0, publish: { state: "pushed" } });
      expect(await control.readFile(repo.full_name, `knowledge/${name}.md`)).toBe(`${name}\n`);
    }
  });

  it("leaves a lock on that record: its commit is pushed, and later calls run", async () => {
    holdClock();
    const { workspace, repo, control } = await connectedUser();
    await workspace.bash({ command: "echo one > knowledge/one.md", comment: "One" });
    const plant = await workspace.bash({
      command:
        "echo hidden > knowledge/hidden.md && git add -A && git commit -qm Hidden && git update-ref refs/remotes/origin/main HEAD && touch .git/refs/remotes/origin/main.lock",
      comment: "Plant",
    });
    expect(plant).toMatchObject({ ran: true, publish: { state: "pushed" } });
    expect(await control.readFile(repo.full_name, "knowledge/hidden.md")).toBe("hidden\n");
    pastFreshness();
    const next = await workspace.bash({ command: "echo a > a.md", comment: "A" });
    expect(next).toMatchObject({ ran: true, exitCode: 0, publish: { state: "pushed" } });
  });
});
