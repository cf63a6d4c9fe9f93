import { describe, expect, it } from "vitest";
import { connectedUser, execInSandbox } from "../../tests/workerd/connected-user";
import { parseSearch, type SearchInput } from "./search";

/** Searches as the user, expecting the clone to be readable. */
async function search(workspace: Awaited<ReturnType<typeof connectedUser>>["workspace"], input: SearchInput) {
  const outcome = await workspace.search(input);
  if (!outcome.ready) throw new Error(outcome.problem);
  return outcome.value;
}

const matchLines = (found: Awaited<ReturnType<typeof search>>) =>
  found.files.flatMap((file) => file.lines.filter((line) => line.match).map((line) => `${file.path}:${line.line}`));

describe("ctx_search", () => {
  it("finds literal text ignoring case, with a line of context, and honours caseSensitive", async () => {
    const { workspace } = await connectedUser();
    const found = await search(workspace, { query: "SOFTWARE engineer" });
    expect(found).toMatchObject({ totalMatches: 1, totalFiles: 1, shownMatches: 1, timedOut: false });
    expect(found.files[0]).toEqual({
      path: "resources/context.md",
      matches: 1,
      lines: [
        { line: 2, text: "", match: false },
        {
          line: 3,
          text: "I am a software engineer who likes small, well-tested programs.",
          match: true,
          column: 8,
        },
      ],
    });
    expect((await search(workspace, { query: "SOFTWARE engineer", caseSensitive: true })).totalMatches).toBe(0);
    // Literal: a dot is a dot.
    expect((await search(workspace, { query: "software.engineer" })).totalMatches).toBe(0);
  });

  it("takes a regex on request, and explains an invalid one", async () => {
    const { workspace } = await connectedUser();
    const found = await search(workspace, { query: "soft\\w+ engineer", regex: true });
    expect(matchLines(found)).toEqual(["resources/context.md:3"]);
    const invalid = await search(workspace, { query: "(unclosed", regex: true });
    expect(invalid.problem).toMatch(/^git grep refused the query: .*\(unclosed/);
    expect(invalid.files).toEqual([]);
    const setup = await workspace.bash({
      command: "for i in $(seq 200); do printf '%s!\\n' \"$(head -c 5000 /dev/zero | tr '\\0' a)\"; done > a.md",
    });
    expect(setup).toMatchObject({ ran: true, exitCode: 0 });
    const runaway = await search(workspace, { query: "(a|aa)+$", regex: true });
    expect(runaway.problem).toMatch(/^The regex needs too much work to run \(pcre2.*\): write a simpler one\.$/);
  });

  it("keeps to a folder or a file, and says when the path is not there or behind a symlink", async () => {
    const { workspace } = await connectedUser();
    const everywhere = await search(workspace, { query: "description:" });
    expect(everywhere.files.map((file) => file.path).some((path) => path.startsWith("skills/"))).toBe(true);
    const inSkills = await search(workspace, { query: "description:", path: "skills/" });
    expect(inSkills.totalFiles).toBeGreaterThan(0);
    expect(inSkills.files.every((file) => file.path.startsWith("skills/"))).toBe(true);
    const oneFile = await search(workspace, { query: "description:", path: "./resources/people.md" });
    expect(oneFile.files.map((file) => file.path)).toEqual(["resources/people.md"]);
    expect((await search(workspace, { query: "x", path: "nowhere" })).problem).toBe(
      "Nothing is at that path in the memory.",
    );
    expect(await workspace.search({ query: "x", path: "../elsewhere" })).toMatchObject({
      ready: false,
      problem: expect.stringContaining("must not contain empty, . or .. steps"),
    });
    expect(await workspace.search({ query: "x", path: ".git" })).toMatchObject({ ready: false });
    expect(await workspace.search({ query: "two\nlines" })).toMatchObject({ ready: false });
  });

  it("caps what it shows and says how much more there is", async () => {
    const { workspace } = await connectedUser("empty");
    const setup = await workspace.bash({
      command:
        'mkdir notes && for f in $(seq 1 30); do for l in $(seq 1 10); do echo "needle $f.$l"; done > notes/n$f.md; done',
    });
    expect(setup).toMatchObject({ ran: true, exitCode: 0 });
    const capped = await search(workspace, { query: "needle", maxResults: 15 });
    expect(capped).toMatchObject({ totalMatches: 300, totalFiles: 30, shownMatches: 15 });
    expect(capped.files.map((file) => file.path)).toEqual(["notes/n1.md", "notes/n10.md"]);
    expect(capped.files[1]?.lines.at(-1)).toMatchObject({ line: 5, match: true });
    expect(capped.more).toHaveLength(28);
    const byDefault = await search(workspace, { query: "needle" });
    expect(byDefault.shownMatches).toBe(100);
  });

  it("reads hostile names, takes a query starting with a dash, skips binary files and never follows a symlink", async () => {
    const { workspace } = await connectedUser("empty");
    const secret = `outside-${crypto.randomUUID()}`;
    const setup = await workspace.bash({
      command: [
        "mkdir -p notes ~/elsewhere",
        `echo "--flag ${secret}" > ~/elsewhere/secret.md`,
        `echo "--flag ${secret}" > ~/secret.md`,
        "printf -- '--flag in a newline name\\n' > $'notes/new\\nline.md'",
        "printf -- '--flag in a spaced name\\n' > 'notes/with space.md'",
        "printf -- '--flag dashed\\n' > notes/-dash.md",
        "printf -- '--flag café\\n' > notes/café.md",
        "printf -- '--flag\\0binary\\n' > notes/data.bin",
        "ln -s ~/secret.md notes/link.md",
        "ln -s ~/elsewhere linked",
        "mkfifo notes/fifo.md",
      ].join(" && "),
      comment: "Hostile names",
    });
    expect(setup).toMatchObject({ ran: true, exitCode: 0 });
    const found = await search(workspace, { query: "--flag" });
    expect(JSON.stringify(found)).not.toContain(secret);
    expect(found.files.map((file) => file.path).sort()).toEqual([
      "notes/-dash.md",
      "notes/café.md",
      "notes/new\nline.md",
      "notes/with space.md",
    ]);
    expect((await search(workspace, { query: "x", path: "linked" })).problem).toMatch(/symlink/);
    expect((await search(workspace, { query: "x", path: "linked/secret.md" })).problem).toMatch(/symlink/);
  });

  it("searches changes a command left uncommitted, and commits nothing", async () => {
    const { workspace, userId, repo, control } = await connectedUser();
    await workspace.instructions();
    const head = await control.branchHead(repo.full_name);
    const token = `ghp_${"a1".repeat(18)}`;
    await execInSandbox(
      userId,
      `echo 'left over: quokka' >> repo/resources/people.md && echo 'quokka ${token}' > repo/new.md`,
    );
    const found = await search(workspace, { query: "quokka" });
    expect(matchLines(found).sort()).toEqual(["new.md:1", "resources/people.md:9"]);
    expect(found.files.find((file) => file.path === "new.md")?.lines[0]?.text).toBe("quokka [redacted token]");
    expect(await control.branchHead(repo.full_name)).toBe(head);
    const status = await execInSandbox(userId, "cd repo && git status --porcelain && git rev-parse HEAD");
    expect(status).toBe(` M resources/people.md\n?? new.md\n${head}\n`);
  });
});

describe("parseSearch", () => {
  it("tells a group separator from a path that starts with '--' and a newline", () => {
    const mark = "ctx4-m";
    const stdout = [
      `${mark} counts\n`,
      "a.md\u00002\n--\nb.md\u00001\n",
      `\n${mark} lines\n`,
      "a.md\u00001\u00001\u0000x one\n",
      "--\n",
      "a.md\u00005\u00001\u0000x two\n",
      "--\nb.md\u00001\u00003\u0000a x\n",
    ].join("");
    const found = parseSearch(stdout, mark, 10, { timedOut: false, cut: false });
    expect(found.files).toEqual([
      {
        path: "a.md",
        matches: 2,
        lines: [
          { line: 1, text: "x one", match: true, column: 1 },
          { line: 5, text: "x two", match: true, column: 1 },
        ],
      },
      { path: "--\nb.md", matches: 1, lines: [{ line: 1, text: "a x", match: true, column: 3 }] },
    ]);
    expect(found).toMatchObject({ totalMatches: 3, totalFiles: 2, countsCut: false });
  });
});
