import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { cloneUrl, git, installationToken, startTestStack, type TestStack, tempDir } from "./test-support";

/** The repository content endpoints (repo-api.ts) on real bare repos, read through GitHub's REST paths. */

let stack: TestStack;
let alice: string;
let bob: string;
const HOSTILE = "knowledge/<img src=x onerror=alert(1)>.md";
const person = { name: "alice", email: "alice@users.noreply.github.com" };

beforeAll(async () => {
  stack = await startTestStack();
  const control = stack.emulator.control;
  const aliceId = (await control.createInstallation("alice", { repositories: ["ctx", "empty", "notes"] })).id;
  const bobId = (await control.createInstallation("bob", { repositories: ["ctx"] })).id;
  alice = await installationToken(stack.app, aliceId);
  bob = await installationToken(stack.app, bobId);

  // Two more commits by the person on the web, then one by the bot over git, as the sandbox makes them.
  await control.commitFromWeb("alice/ctx", {
    message: "Web edit",
    author: person,
    files: { "knowledge/a.md": "one\ntwo\n" },
  });
  await control.commitFromWeb("alice/ctx", {
    message: "Rename and hostile name",
    author: person,
    files: { "knowledge/a.md": null, "knowledge/b.md": "one\ntwo\n", [HOSTILE]: "<script>alert(1)</script>\n" },
  });
  const dir = join(tempDir("ctx4-repo-api-"), "clone");
  expect((await git(["clone", "-q", cloneUrl(stack.emulator.url, "alice/ctx", alice), dir])).code).toBe(0);
  writeFileSync(join(dir, "knowledge/b.md"), "one\nthree\n");
  expect((await git(["commit", "-qam", "Edit b\n\nCtx4-Client: Claude Code"], dir)).code).toBe(0);
  expect((await git(["push", "-q", "origin", "HEAD:main"], dir)).code).toBe(0);
  // A side branch, as sync.sh sets work aside on a conflict.
  writeFileSync(join(dir, "knowledge/side.md"), "aside\n");
  expect((await git(["add", "knowledge/side.md"], dir)).code).toBe(0);
  expect((await git(["commit", "-qm", "Set aside"], dir)).code).toBe(0);
  expect(
    (await git(["push", "-q", "origin", "HEAD:refs/heads/ctx4-ai/conflict-20260101-000000-abcdef0"], dir)).code,
  ).toBe(0);
});
afterAll(() => stack.stop());

/** A commit on `branch`, made from main's head in a clone and pushed, as a side branch is made. */
async function branchFromMain(fullName: string, branch: string, files: Record<string, string>) {
  const dir = join(tempDir("ctx4-repo-api-"), "clone");
  expect((await git(["clone", "-q", cloneUrl(stack.emulator.url, fullName, alice), dir])).code).toBe(0);
  expect((await git(["fetch", "-q", "origin", `+refs/heads/*:refs/remotes/origin/*`], dir)).code).toBe(0);
  await git(["checkout", "-q", "-B", branch, `origin/${branch}`], dir);
  for (const [path, content] of Object.entries(files)) writeFileSync(join(dir, path), content);
  expect((await git(["add", "."], dir)).code).toBe(0);
  expect((await git(["commit", "-qm", `On ${branch}`], dir)).code).toBe(0);
  const push = await git(["push", "-q", "origin", `HEAD:refs/heads/${branch}`], dir);
  expect(push.code, push.stderr).toBe(0);
}

const get = (path: string, token = alice) =>
  fetch(`${stack.emulator.url}${path}`, { headers: { authorization: `token ${token}` } });
const json = async <T = Record<string, unknown>>(path: string, token = alice) => {
  const response = await get(path, token);
  expect(response.status, path).toBe(200);
  return (await response.json()) as T;
};
type Commit = {
  sha: string;
  commit: { message: string; author: { name: string; email: string; date: string } };
  author: { login: string; type: string } | null;
  parents: { sha: string }[];
};
type File = {
  filename: string;
  status: string;
  additions: number;
  deletions: number;
  changes: number;
  patch?: string;
  previous_filename?: string;
};

describe("list commits", () => {
  it("lists the default branch newest first, linking authors to their GitHub users", async () => {
    const commits = await json<Commit[]>("/repos/alice/ctx/commits");
    expect(commits.map((c) => c.commit.message)).toEqual([
      "Edit b\n\nCtx4-Client: Claude Code",
      "Rename and hostile name",
      "Web edit",
      "Initial commit",
    ]);
    expect(commits[0]?.author).toMatchObject({ login: "ctx4-ai[bot]", type: "Bot" });
    expect(commits[1]?.author).toMatchObject({ login: "alice", type: "User" });
    expect(commits[0]?.parents[0]?.sha).toBe(commits[1]?.sha);
    expect(commits[3]?.commit.author.date).toBe("2024-01-01T00:00:00Z");
  });

  it("pages with per_page and page, with GitHub's Link header", async () => {
    const first = await get("/repos/alice/ctx/commits?per_page=3");
    expect(first.headers.get("link")).toContain('rel="next"');
    expect(((await first.json()) as unknown[]).length).toBe(3);
    const second = await get("/repos/alice/ctx/commits?per_page=3&page=2");
    expect(second.headers.get("link")).toContain('rel="prev"');
    expect(((await second.json()) as Commit[]).map((c) => c.commit.message)).toEqual(["Initial commit"]);
  });

  it("follows sha= to another branch and path= to one file's history", async () => {
    const side = await json<Commit[]>("/repos/alice/ctx/commits?sha=ctx4-ai/conflict-20260101-000000-abcdef0");
    expect(side[0]?.commit.message).toBe("Set aside");
    const ofB = await json<Commit[]>("/repos/alice/ctx/commits?path=knowledge/b.md");
    expect(ofB.map((c) => c.commit.message)).toEqual(["Edit b\n\nCtx4-Client: Claude Code", "Rename and hostile name"]);
  });

  it("answers 404 for an unknown sha and 409 for an empty repo", async () => {
    expect((await get("/repos/alice/ctx/commits?sha=nope")).status).toBe(404);
    const empty = await get("/repos/alice/empty/commits");
    expect(empty.status).toBe(409);
    expect(await empty.json()).toMatchObject({ message: "Git Repository is empty." });
  });
});

describe("get a commit", () => {
  it("has files with status, counts, patch and previous_filename, names verbatim", async () => {
    const [, renamed] = await json<Commit[]>("/repos/alice/ctx/commits");
    const commit = await json<{ files: File[]; stats: { total: number } }>(`/repos/alice/ctx/commits/${renamed?.sha}`);
    const byName = new Map(commit.files.map((file) => [file.filename, file]));
    expect(byName.get("knowledge/b.md")).toMatchObject({
      status: "renamed",
      previous_filename: "knowledge/a.md",
      changes: 0,
    });
    expect(byName.get(HOSTILE)).toMatchObject({ status: "added", additions: 1, deletions: 0, changes: 1 });
    expect(byName.get(HOSTILE)?.patch).toBe("@@ -0,0 +1 @@\n+<script>alert(1)</script>");
    expect(commit.stats.total).toBe(1);
  });

  it("resolves a branch name and shows a modification's hunks", async () => {
    const commit = await json<Commit & { files: File[] }>("/repos/alice/ctx/commits/main");
    expect(commit.commit.message).toContain("Ctx4-Client: Claude Code");
    expect(commit.files).toEqual([
      expect.objectContaining({
        filename: "knowledge/b.md",
        status: "modified",
        additions: 1,
        deletions: 1,
        patch: "@@ -1,2 +1,2 @@\n one\n-two\n+three",
      }),
    ]);
  });

  it("answers 422 for an unknown commit", async () => {
    const response = await get(`/repos/alice/ctx/commits/${"f".repeat(40)}`);
    expect(response.status).toBe(422);
    expect(await response.json()).toMatchObject({ message: `No commit found for SHA: ${"f".repeat(40)}` });
  });
});

describe("compare", () => {
  it("says how far a side branch is ahead, with its commits and files", async () => {
    const body = await json<{ status: string; ahead_by: number; behind_by: number; commits: Commit[]; files: File[] }>(
      "/repos/alice/ctx/compare/main...ctx4-ai/conflict-20260101-000000-abcdef0",
    );
    expect(body).toMatchObject({ status: "ahead", ahead_by: 1, behind_by: 0 });
    expect(body.commits.map((c) => c.commit.message)).toEqual(["Set aside"]);
    expect(body.files.map((f) => [f.filename, f.status])).toEqual([["knowledge/side.md", "added"]]);
    const back = await json<{ status: string; behind_by: number }>(
      "/repos/alice/ctx/compare/ctx4-ai/conflict-20260101-000000-abcdef0...main",
    );
    expect(back).toMatchObject({ status: "behind", behind_by: 1 });
    expect((await get("/repos/alice/ctx/compare/main...nope")).status).toBe(404);
  });
});

describe("contents and trees", () => {
  it("returns a file base64-encoded and a folder as a list", async () => {
    const file = await json<{ type: string; encoding: string; content: string; path: string }>(
      "/repos/alice/ctx/contents/knowledge/b.md",
    );
    expect(file).toMatchObject({ type: "file", encoding: "base64", path: "knowledge/b.md" });
    expect(Buffer.from(file.content, "base64").toString("utf8")).toBe("one\nthree\n");
    const old = await json<{ content: string }>(
      `/repos/alice/ctx/contents/knowledge/a.md?ref=main~2`.replace("~", "%7E"),
    );
    expect(Buffer.from(old.content, "base64").toString("utf8")).toBe("one\ntwo\n");
    const root = await json<{ name: string; type: string }[]>("/repos/alice/ctx/contents");
    expect(root).toEqual(expect.arrayContaining([expect.objectContaining({ name: "knowledge", type: "dir" })]));
    const folder = await json<{ path: string; type: string }[]>("/repos/alice/ctx/contents/knowledge");
    expect(folder.map((entry) => entry.path)).toContain(HOSTILE);
    expect((await get("/repos/alice/ctx/contents/missing.md")).status).toBe(404);
    expect((await get("/repos/alice/ctx/contents/../etc/passwd")).status).toBe(404);
  });

  it("lists a whole tree with recursive=1", async () => {
    const tree = await json<{ tree: { path: string; type: string; size?: number }[]; truncated: boolean }>(
      "/repos/alice/ctx/git/trees/main?recursive=1",
    );
    expect(tree.truncated).toBe(false);
    expect(tree.tree).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ path: "knowledge", type: "tree" }),
        expect.objectContaining({ path: "knowledge/b.md", type: "blob", size: 10 }),
      ]),
    );
    const top = await json<{ tree: { path: string }[] }>("/repos/alice/ctx/git/trees/main");
    expect(top.tree.some((entry) => entry.path.includes("/"))).toBe(false);
  });
});

describe("branches and merges", () => {
  it("lists branches with their head commits", async () => {
    const branches = await json<{ name: string; commit: { sha: string } }[]>("/repos/alice/ctx/branches");
    expect(branches.map((b) => b.name)).toEqual(["ctx4-ai/conflict-20260101-000000-abcdef0", "main"]);
  });

  it("merges a branch (201), then has nothing to merge (204), and refuses a conflict (409)", async () => {
    const control = stack.emulator.control;
    const post = (body: unknown, token = alice) =>
      fetch(`${stack.emulator.url}/repos/alice/notes/merges`, {
        method: "POST",
        headers: { authorization: `token ${token}`, "content-type": "application/json" },
        body: JSON.stringify(body),
      });
    await branchFromMain("alice/notes", "side", { "s.md": "s\n" });
    await control.commitFromWeb("alice/notes", { message: "Main", author: person, files: { "m.md": "m\n" } });
    const merged = await post({ base: "main", head: "side", commit_message: "Bring side in" });
    expect(merged.status).toBe(201);
    const commit = (await merged.json()) as Commit & { files: File[] };
    expect(commit.commit.message).toBe("Bring side in");
    expect(commit.author?.login).toBe("ctx4-ai[bot]");
    expect(commit.parents).toHaveLength(2);
    expect(await control.branchHead("alice/notes")).toBe(commit.sha);
    expect(await control.readFile("alice/notes", "s.md")).toBe("s\n");
    expect((await post({ base: "main", head: "side" })).status).toBe(204);

    await branchFromMain("alice/notes", "side", { "c.md": "a\n" });
    await control.commitFromWeb("alice/notes", { message: "B", author: person, files: { "c.md": "b\n" } });
    const before = await control.branchHead("alice/notes");
    const conflict = await post({ base: "main", head: "side" });
    expect(conflict.status).toBe(409);
    expect(await conflict.json()).toMatchObject({ message: "Merge conflict" });
    expect(await control.branchHead("alice/notes")).toBe(before);
    expect((await post({ base: "nope", head: "side" })).status).toBe(404);
  });

  it("refuses a merge with a read-only token", async () => {
    const readOnly = await installationToken(stack.app, (await stack.emulator.control.installations())[0]?.id ?? 0, {
      permissions: { contents: "read" },
    });
    const response = await fetch(`${stack.emulator.url}/repos/alice/notes/merges`, {
      method: "POST",
      headers: { authorization: `token ${readOnly}`, "content-type": "application/json" },
      body: JSON.stringify({ base: "main", head: "side" }),
    });
    expect(response.status).toBe(403);
  });
});

describe("who can see", () => {
  it("hides another account's repo behind 404 on every endpoint, and asks for credentials", async () => {
    const paths = [
      "/repos/alice/ctx/commits",
      "/repos/alice/ctx/commits/main",
      "/repos/alice/ctx/compare/main...main",
      "/repos/alice/ctx/contents/knowledge",
      "/repos/alice/ctx/git/trees/main?recursive=1",
      "/repos/alice/ctx/branches",
    ];
    for (const path of paths) {
      const response = await get(path, bob);
      expect(response.status, path).toBe(404);
      expect(await response.json()).toMatchObject({ message: "Not Found" });
      expect((await fetch(`${stack.emulator.url}${path}`)).status, path).toBe(401);
    }
    const merge = await fetch(`${stack.emulator.url}/repos/alice/notes/merges`, {
      method: "POST",
      headers: { authorization: `token ${bob}`, "content-type": "application/json" },
      body: JSON.stringify({ base: "main", head: "side" }),
    });
    expect(merge.status).toBe(404);
  });
});
