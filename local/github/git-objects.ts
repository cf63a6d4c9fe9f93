import { type CommitInfo, runGit } from "./git-store";

/**
 * Reading a bare repository for the REST endpoints on its content (commits, diffs, trees,
 * blobs) and GitHub's merge. Every ref and path comes from a request: refs are checked by
 * `isRefName` before they reach git, and paths are literal pathspecs after `--`.
 */

/** The empty tree's id, which a root commit is compared against. */
export const EMPTY_TREE = "4b825dc642cb6eb9a060e54bf8d69288fbee4904";

/** Branch names, tags and commit ids as our pages and GitHub's clients send them; never an option. */
export function isRefName(ref: string): boolean {
  return /^(?!-)(?!.*\.\.)[A-Za-z0-9._/@+~^-]{1,250}$/.test(ref);
}

/** Paths in a request: relative, no empty, `.` or `..` segments, no control characters. */
export function isRepoPath(path: string): boolean {
  return !/\p{Cc}/u.test(path) && path.split("/").every((part) => part !== "" && part !== "." && part !== "..");
}

const LITERAL = { GIT_LITERAL_PATHSPECS: "1" };

async function git(gitDir: string, args: string[], input?: string): Promise<Buffer> {
  const result = await runGit(args, { gitDir, input, env: LITERAL });
  if (result.code !== 0) throw new Error(`git ${args[0]} failed: ${result.stderr.trim()}`);
  return result.stdout;
}

/** The commit id a ref (branch, tag or id, full or abbreviated) names, or undefined. */
export async function resolveCommit(gitDir: string, ref: string): Promise<string | undefined> {
  if (!isRefName(ref)) return undefined;
  const result = await runGit(["rev-parse", "--verify", "--quiet", `${ref}^{commit}`], { gitDir });
  return result.code === 0 ? result.stdout.toString("utf8").trim() : undefined;
}

/** The tree a tree id, commit id or branch names, or undefined. */
export async function resolveTree(gitDir: string, treeish: string): Promise<string | undefined> {
  if (!isRefName(treeish)) return undefined;
  const result = await runGit(["rev-parse", "--verify", "--quiet", `${treeish}^{tree}`], { gitDir });
  return result.code === 0 ? result.stdout.toString("utf8").trim() : undefined;
}

/** Whether the repository has any commit at all (GitHub answers 409 "Git Repository is empty." otherwise). */
export async function hasCommits(gitDir: string): Promise<boolean> {
  const result = await runGit(["rev-list", "--all", "--max-count=1"], { gitDir });
  return result.code === 0 && result.stdout.length > 0;
}

/** Commit ids reachable from `head`, newest first as `git log` orders them, only those touching `path` if given. */
export async function commitIds(gitDir: string, head: string, path?: string): Promise<string[]> {
  const text = (await git(gitDir, ["rev-list", head, ...(path ? ["--", path] : [])])).toString("utf8");
  return text.split("\n").filter((line) => line.length === 40);
}

export type RawCommit = CommitInfo & { tree: string; parents: string[] };

const PERSON = /^(.*) <([^<>]*)> (\d+) ([+-]\d{4})$/;

function person(line: string | undefined) {
  const found = PERSON.exec(line ?? "");
  const seconds = Number(found?.[3] ?? 0);
  return {
    name: found?.[1] ?? "",
    email: found?.[2] ?? "",
    date: new Date(seconds * 1000).toISOString().replace(/\.\d+Z$/, "Z"),
  };
}

/**
 * Commit objects by id, read with one `git cat-file --batch` (sizes frame each object, so no
 * byte of a hostile message can break the parse). Headers GitHub does not show (gpgsig,
 * encoding) are skipped; the message is everything after the first blank line.
 */
export async function readCommits(gitDir: string, ids: string[]): Promise<RawCommit[]> {
  if (ids.length === 0) return [];
  const out = await git(gitDir, ["cat-file", "--batch"], `${ids.join("\n")}\n`);
  const commits: RawCommit[] = [];
  let at = 0;
  while (at < out.length) {
    const end = out.indexOf(0x0a, at);
    const [sha = "", type, size] = out.subarray(at, end).toString("utf8").split(" ");
    const body = out.subarray(end + 1, end + 1 + Number(size ?? 0)).toString("utf8");
    at = end + 1 + Number(size ?? 0) + 1;
    if (type !== "commit") continue;
    const split = body.indexOf("\n\n");
    const headers = (split < 0 ? body : body.slice(0, split)).split("\n").filter((line) => !line.startsWith(" "));
    const field = (name: string) =>
      headers.filter((line) => line.startsWith(`${name} `)).map((l) => l.slice(name.length + 1));
    commits.push({
      sha,
      tree: field("tree")[0] ?? EMPTY_TREE,
      parents: field("parent"),
      author: person(field("author")[0]),
      committer: person(field("committer")[0]),
      message: split < 0 ? "" : body.slice(split + 2).replace(/\n+$/, ""),
      added: [],
      removed: [],
      modified: [],
    });
  }
  return commits;
}

/** A file's change between two trees, as GitHub's `files[]` holds it. */
export type FileChange = {
  filename: string;
  previousFilename?: string;
  status: "added" | "removed" | "modified" | "renamed" | "copied" | "changed";
  /** The blob id after the change (before it, for a removed file). */
  sha: string;
  additions: number;
  deletions: number;
  /** The unified diff's hunks, without git's headers; absent for a binary file, as on GitHub. */
  patch?: string;
};

const STATUS: Record<string, FileChange["status"]> = {
  A: "added",
  D: "removed",
  M: "modified",
  R: "renamed",
  C: "copied",
  T: "changed",
};

/**
 * What changed from `base` (a commit, or the empty tree for a root commit) to `head`, renames
 * detected as GitHub does. Three `git diff-tree` runs with the same options list files in the
 * same order: raw (status, ids, paths), numstat (line counts) and patch.
 */
export async function diffFiles(gitDir: string, base: string, head: string): Promise<FileChange[]> {
  const common = ["diff-tree", "-r", "-M", "--no-color", "--no-ext-diff", "--no-textconv", base, head];
  const [raw, numstat, patch] = await Promise.all([
    git(gitDir, [...common.slice(0, 1), "-z", "--raw", ...common.slice(1)]),
    git(gitDir, [...common.slice(0, 1), "-z", "--numstat", ...common.slice(1)]),
    git(gitDir, [...common.slice(0, 1), "-p", ...common.slice(1)]),
  ]);

  const rawParts = raw.toString("utf8").split("\0");
  const changes: FileChange[] = [];
  for (let i = 0; i < rawParts.length; ) {
    const meta = rawParts[i++] ?? "";
    if (!meta.startsWith(":")) continue;
    const [, , oldSha = "", newSha = "", status = ""] = meta.slice(1).split(" ");
    const letter = status.charAt(0);
    const first = rawParts[i++] ?? "";
    const second = letter === "R" || letter === "C" ? (rawParts[i++] ?? "") : undefined;
    changes.push({
      filename: second ?? first,
      ...(second !== undefined ? { previousFilename: first } : {}),
      status: STATUS[letter] ?? "modified",
      sha: letter === "D" ? oldSha : newSha,
      additions: 0,
      deletions: 0,
    });
  }

  const numParts = numstat.toString("utf8").split("\0");
  let index = 0;
  for (let i = 0; i < numParts.length && index < changes.length; ) {
    const entry = numParts[i++] ?? "";
    const [added = "-", deleted = "-", path = ""] = entry.split("\t");
    if (path === "") i += 2;
    const change = changes[index++];
    if (!change) break;
    change.additions = added === "-" ? 0 : Number(added);
    change.deletions = deleted === "-" ? 0 : Number(deleted);
  }

  // A patch line inside a file's diff starts with " ", "+", "-", "@" or "\", so "diff --git " only starts a file.
  const chunks = patch
    .toString("utf8")
    .split(/^diff --git /m)
    .slice(1);
  chunks.forEach((chunk, at) => {
    const change = changes[at];
    const hunks = chunk.indexOf("\n@@");
    if (change && hunks >= 0) change.patch = chunk.slice(hunks + 1).replace(/\n$/, "");
  });
  return changes;
}

/** One entry of a tree, as `git ls-tree -l` lists it. */
export type TreeEntry = { path: string; mode: string; type: "blob" | "tree" | "commit"; sha: string; size?: number };

/** The entries of the tree `treeish` names, all the way down when `recursive` (trees included, as GitHub lists them). */
export async function listTree(gitDir: string, treeish: string, recursive: boolean): Promise<TreeEntry[]> {
  const args = ["ls-tree", "-z", "-l", ...(recursive ? ["-r", "-t"] : []), treeish];
  return parseTree((await git(gitDir, args)).toString("utf8"));
}

/** The tree entry at `path` in commit `commit`, or undefined. */
export async function entryAt(gitDir: string, commit: string, path: string): Promise<TreeEntry | undefined> {
  const result = await runGit(["ls-tree", "-z", "-l", commit, "--", path], { gitDir, env: LITERAL });
  if (result.code !== 0) return undefined;
  return parseTree(result.stdout.toString("utf8")).find((entry) => entry.path === path);
}

function parseTree(text: string): TreeEntry[] {
  const entries: TreeEntry[] = [];
  for (const record of text.split("\0")) {
    const tab = record.indexOf("\t");
    if (tab < 0) continue;
    const [mode = "", type = "", sha = "", size = "-"] = record.slice(0, tab).split(/ +/);
    if (type !== "blob" && type !== "tree" && type !== "commit") continue;
    entries.push({ path: record.slice(tab + 1), mode, type, sha, ...(size === "-" ? {} : { size: Number(size) }) });
  }
  return entries;
}

/** A blob's bytes by id. */
export function readBlob(gitDir: string, sha: string): Promise<Buffer> {
  return git(gitDir, ["cat-file", "blob", sha]);
}

/** Commits `head` has that `base` lacks, and the reverse. */
export async function aheadBehind(
  gitDir: string,
  base: string,
  head: string,
): Promise<{ ahead: number; behind: number }> {
  const text = (await git(gitDir, ["rev-list", "--left-right", "--count", `${base}...${head}`])).toString("utf8");
  const [behind = "0", ahead = "0"] = text.trim().split(/\s+/);
  return { ahead: Number(ahead), behind: Number(behind) };
}

/** The best common ancestor of two commits, or undefined for unrelated histories. */
export async function mergeBase(gitDir: string, a: string, b: string): Promise<string | undefined> {
  const result = await runGit(["merge-base", a, b], { gitDir });
  return result.code === 0 ? result.stdout.toString("utf8").trim() : undefined;
}

/**
 * The tree of merging `head` into `base` (`git merge-tree --write-tree`, git's own merge), or
 * `"conflict"` when git cannot merge them cleanly or they share no history.
 */
export async function mergeTrees(gitDir: string, base: string, head: string): Promise<string | "conflict"> {
  const result = await runGit(["merge-tree", "--write-tree", "--no-messages", base, head], { gitDir });
  // Histories with no common commit cannot be merged without choosing a side: refused like a conflict.
  if (result.code === 1 || /unrelated histories/.test(result.stderr)) return "conflict";
  if (result.code !== 0) throw new Error(`git merge-tree failed: ${result.stderr.trim()}`);
  return result.stdout.toString("utf8").split("\n")[0]?.trim() ?? "";
}

/** A commit object of `tree` with `parents`, by `author`, committed by GitHub as web commits are; its id. */
export async function writeCommit(
  gitDir: string,
  commit: { tree: string; parents: string[]; message: string; author: { name: string; email: string } },
): Promise<string> {
  const result = await runGit(["commit-tree", commit.tree, ...commit.parents.flatMap((p) => ["-p", p])], {
    gitDir,
    input: commit.message,
    env: {
      GIT_AUTHOR_NAME: commit.author.name,
      GIT_AUTHOR_EMAIL: commit.author.email,
      GIT_COMMITTER_NAME: "GitHub",
      GIT_COMMITTER_EMAIL: "noreply@github.com",
    },
  });
  if (result.code !== 0) throw new Error(`git commit-tree failed: ${result.stderr.trim()}`);
  return result.stdout.toString("utf8").trim();
}

/** Moves `branch` from `from` to `to`; false when it no longer points at `from`. */
export async function moveBranch(gitDir: string, branch: string, to: string, from: string): Promise<boolean> {
  const result = await runGit(["update-ref", `refs/heads/${branch}`, to, from], { gitDir });
  return result.code === 0;
}
