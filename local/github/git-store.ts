import { spawn } from "node:child_process";
import { cpSync, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { seedFiles } from "./seed";
import type { Repo } from "./state";

/**
 * The bare repositories on disk, one per emulated repo at `<dataDir>/repos/<owner>/<name>.git`,
 * and the few git operations the emulator itself needs. Bare repos are created on first use,
 * each a copy of its seed's template (`<dataDir>/seeds/`), made once with git.
 */

export const ZERO_SHA = "0000000000000000000000000000000000000000";
export type Person = { name: string; email: string };
export type CommitInfo = {
  sha: string;
  message: string;
  author: Person & { date: string };
  committer: Person & { date: string };
  added: string[];
  removed: string[];
  modified: string[];
};

/**
 * GitHub's refusal of a push that brings a file over 100 MiB ("About large files on GitHub",
 * docs.github.com/en/repositories/working-with-files/managing-large-files/about-large-files-on-github):
 * the whole push is declined with GH001, as git shows it. Installed as each bare repo's
 * pre-receive hook, which sees the pushed objects before any ref moves.
 */
const LARGE_FILE_HOOK = `#!/bin/sh
while read -r old new ref; do
  [ "$new" = ${ZERO_SHA} ] && continue
  git rev-list --objects "$new" --not --all | git cat-file --batch-check='%(objecttype) %(objectsize) %(rest)' |
    awk '$1 == "blob" && $2 > 104857600 { size = $2; sub(/^[^ ]+ [^ ]+ /, ""); printf "error: File %s is %.2f MB; this exceeds GitHub%cs file size limit of 100.00 MB\\n", $0, size / 1048576, 39; found = 1 } END { exit found }' ||
    { echo "error: GH001: Large files detected. You may want to try Git Large File Storage - https://git-lfs.github.com."; exit 1; }
done
`;

/** Git run with no user or system config, so the machine's settings never change what we store. */
export const GIT_ENV = {
  GIT_CONFIG_NOSYSTEM: "1",
  GIT_CONFIG_GLOBAL: "/dev/null",
  GIT_TERMINAL_PROMPT: "0",
};

export function runGit(
  args: string[],
  options: { gitDir?: string; input?: string; env?: Record<string, string> } = {},
): Promise<{ code: number; stdout: Buffer; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn("git", options.gitDir ? [`--git-dir=${options.gitDir}`, ...args] : args, {
      env: { PATH: process.env.PATH ?? "/usr/bin:/bin", ...GIT_ENV, ...options.env },
      stdio: ["pipe", "pipe", "pipe"],
    });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on("data", (chunk: Buffer) => out.push(chunk));
    child.stderr.on("data", (chunk: Buffer) => err.push(chunk));
    child.on("error", reject);
    child.on("close", (code) =>
      resolve({ code: code ?? 1, stdout: Buffer.concat(out), stderr: Buffer.concat(err).toString("utf8") }),
    );
    // git may exit before reading all its input (a failed command); that is reported by its exit code.
    child.stdin.on("error", () => undefined);
    child.stdin.end(options.input ?? "");
  });
}

async function gitOk(gitDir: string, args: string[], input?: string): Promise<string> {
  const result = await runGit(args, { gitDir, input });
  if (result.code !== 0) throw new Error(`git ${args[0]} failed: ${result.stderr.trim()}`);
  return result.stdout.toString("utf8");
}

export class GitStore {
  readonly root: string;
  private readonly seedsRoot: string;
  private readonly ready = new Map<number, Promise<string>>();
  private readonly seeds = new Map<string, Promise<string>>();
  private readonly locks = new Map<number, Promise<unknown>>();

  constructor(dataDir: string) {
    this.root = join(dataDir, "repos");
    this.seedsRoot = join(dataDir, "seeds");
    mkdirSync(this.root, { recursive: true });
  }

  /** Relative to `root`, as `git http-backend` wants it in PATH_INFO. */
  relativePath(repo: Repo): string {
    return `${repo.owner.toLowerCase()}/${repo.name.toLowerCase()}.git`;
  }

  /** The bare repo's path, creating it (with its seed commit) the first time it is asked for. */
  ensure(repo: Repo): Promise<string> {
    let pending = this.ready.get(repo.id);
    if (!pending) {
      pending = this.create(repo);
      this.ready.set(repo.id, pending);
      pending.catch(() => this.ready.delete(repo.id));
    }
    return pending;
  }

  private async create(repo: Repo): Promise<string> {
    const gitDir = join(this.root, this.relativePath(repo));
    if (!existsSync(join(gitDir, "HEAD"))) {
      // Copied, not made: a test run creates hundreds of repos from a handful of seeds, and
      // the four git processes each would cost more than reading and writing its few files.
      const template = await this.seed(repo);
      mkdirSync(dirname(gitDir), { recursive: true });
      cpSync(template, gitDir, { recursive: true });
    }
    writeFileSync(join(gitDir, "hooks", "pre-receive"), LARGE_FILE_HOOK, { mode: 0o755 });
    return gitDir;
  }

  /**
   * The bare repo a new repo starts as, made once per seed: git's own `init`, then the seed
   * commit. A fixed date makes it the same, commit ids included, on every machine and in every
   * copy. Only the owner (the author) and, for a README, the repo's name change the seed.
   */
  private seed(repo: Repo): Promise<string> {
    const key =
      repo.content === "readme" ? `${repo.content}-${repo.owner}-${repo.name}` : `${repo.content}-${repo.owner}`;
    let pending = this.seeds.get(key);
    if (!pending) {
      pending = this.makeSeed(repo, join(this.seedsRoot, `${encodeURIComponent(key)}.git`));
      this.seeds.set(key, pending);
      pending.catch(() => this.seeds.delete(key));
    }
    return pending;
  }

  private async makeSeed(repo: Repo, template: string): Promise<string> {
    // Made afresh by each emulator: one left by an earlier run may be of older seed files.
    rmSync(template, { recursive: true, force: true });
    mkdirSync(this.seedsRoot, { recursive: true });
    await gitOk(template, ["init", "--bare", "--quiet", "--initial-branch=main", template]);
    const files = seedFiles(repo.content, repo.name);
    if (files) {
      const owner = { name: repo.owner, email: `${repo.owner}@users.noreply.github.com` };
      await this.commit(template, {
        branch: "main",
        author: owner,
        message: "Initial commit",
        files,
        date: 1704067200,
      });
    }
    return template;
  }

  /**
   * The repo's default branch, as GitHub reports it: the branch its HEAD names (`main` for a
   * repo whose bare repository is not made yet).
   */
  defaultBranch(repo: Repo): string {
    const head = join(this.root, this.relativePath(repo), "HEAD");
    if (!existsSync(head)) return "main";
    return /^ref: refs\/heads\/(.+)$/m.exec(readFileSync(head, "utf8"))?.[1] ?? "main";
  }

  /**
   * Renames `from` to `to` as GitHub does: the branch keeps its commits, and the repo's HEAD (its
   * default branch) follows when it was the one renamed. Undefined when `from` does not exist
   * or `to` does.
   */
  renameBranch(repo: Repo, from: string, to: string): Promise<string | undefined> {
    return this.withLock(repo, async () => {
      const gitDir = await this.ensure(repo);
      const refs = await this.refs(gitDir);
      const sha = refs.get(`refs/heads/${from}`);
      if (!sha || refs.has(`refs/heads/${to}`)) return undefined;
      await gitOk(gitDir, ["branch", "-m", from, to]);
      return sha;
    });
  }

  /** Removes a repo's bare repository, so a new repo of the same name starts empty. */
  remove(repo: Repo): Promise<void> {
    return this.withLock(repo, async () => {
      this.ready.delete(repo.id);
      rmSync(join(this.root, this.relativePath(repo)), { recursive: true, force: true });
    });
  }

  /** Runs ref-changing work on one repo one at a time, so each push is seen with its exact before and after. */
  withLock<T>(repo: Repo, work: () => Promise<T>): Promise<T> {
    const previous = this.locks.get(repo.id) ?? Promise.resolve();
    const next = previous.then(work, work);
    const settled = next.catch(() => undefined);
    this.locks.set(repo.id, settled);
    settled.then(() => {
      if (this.locks.get(repo.id) === settled) this.locks.delete(repo.id);
    });
    return next;
  }

  async refs(gitDir: string): Promise<Map<string, string>> {
    const text = await gitOk(gitDir, ["for-each-ref", "--format=%(objectname) %(refname)", "refs/heads", "refs/tags"]);
    const refs = new Map<string, string>();
    for (const line of text.split("\n")) {
      const [sha, name] = line.split(" ");
      if (sha && name) refs.set(name, sha);
    }
    return refs;
  }

  async head(gitDir: string, branch: string): Promise<string | undefined> {
    const result = await runGit(["rev-parse", "--verify", "--quiet", `refs/heads/${branch}^{commit}`], { gitDir });
    return result.code === 0 ? result.stdout.toString("utf8").trim() : undefined;
  }

  /**
   * One commit on `branch` from a map of path → content (null deletes), via `git fast-import`:
   * one process however many files. fast-import refuses to move a branch that changed meanwhile.
   * A branch that does not exist yet starts at branch `from`'s head when given (as a branch made
   * on github.com from another), else with a root commit.
   */
  async commit(
    gitDir: string,
    change: {
      branch: string;
      from?: string;
      author: Person;
      message: string;
      files: Record<string, string | null>;
      date?: number;
    },
  ): Promise<string> {
    const parent =
      (await this.head(gitDir, change.branch)) ?? (change.from ? await this.head(gitDir, change.from) : undefined);
    const when = `${change.date ?? Math.floor(Date.now() / 1000)} +0000`;
    // A blank line would end the commit early, so each `data` block is followed by exactly one LF (from the join).
    const data = (text: string) => `data ${Buffer.byteLength(text)}\n${text}`;
    const lines = [
      `commit refs/heads/${change.branch}`,
      "mark :1",
      `author ${change.author.name} <${change.author.email}> ${when}`,
      `committer GitHub <noreply@github.com> ${when}`,
      data(change.message),
    ];
    if (parent) lines.push(`from ${parent}`);
    for (const [path, content] of Object.entries(change.files)) {
      lines.push(content === null ? `D ${path}` : `M 100644 inline ${path}\n${data(content)}`);
    }
    // The new commit's id comes back on stdout (`get-mark`); the branch moves when fast-import exits 0.
    lines.push("get-mark :1");
    const sha = (
      await gitOk(gitDir, ["fast-import", "--quiet", "--date-format=raw", "--cat-blob-fd=1"], `${lines.join("\n")}\n`)
    ).trim();
    if (!/^[0-9a-f]{40}$/.test(sha)) throw new Error("fast-import gave no commit id");
    return sha;
  }

  async isAncestor(gitDir: string, ancestor: string, descendant: string): Promise<boolean> {
    const result = await runGit(["merge-base", "--is-ancestor", ancestor, descendant], { gitDir });
    return result.code === 0;
  }

  async readFile(gitDir: string, ref: string, path: string): Promise<Buffer | undefined> {
    const result = await runGit(["cat-file", "blob", `${ref}:${path}`], { gitDir });
    return result.code === 0 ? result.stdout : undefined;
  }

  /** Commits reachable from `after` but not `before` (oldest first, at most `limit`), with their file changes. */
  async commitsBetween(gitDir: string, before: string, after: string, limit = 20): Promise<CommitInfo[]> {
    const range = before === ZERO_SHA ? [after] : [`${before}..${after}`];
    // One process for the commits and their files. Each commit is \x1e, its fields, then (-z)
    // its files as NUL-separated status and path pairs; a merge's are none, as with diff-tree.
    const format = "%x1e%H%x00%an%x00%ae%x00%aI%x00%cn%x00%ce%x00%cI%x00%B%x00";
    const text = await gitOk(gitDir, [
      "log",
      `--max-count=${limit}`,
      "--no-renames",
      "--name-status",
      "-z",
      `--format=${format}`,
      ...range,
    ]);
    return text
      .split("\x1e")
      .slice(1)
      .reverse()
      .map((record) => {
        const [sha = "", an = "", ae = "", ad = "", cn = "", ce = "", cd = "", message = "", ...files] =
          record.split("\x00");
        const info: CommitInfo = {
          sha,
          message: message.replace(/\n+$/, ""),
          author: { name: an, email: ae, date: ad },
          committer: { name: cn, email: ce, date: cd },
          added: [],
          removed: [],
          modified: [],
        };
        const first = files.findIndex((field) => field !== "");
        for (let index = Math.max(first, 0); index + 1 < files.length; index += 2) {
          const status = files[index]?.trim();
          const path = files[index + 1];
          if (!status || !path) break;
          if (status === "A") info.added.push(path);
          else if (status === "D") info.removed.push(path);
          else info.modified.push(path);
        }
        return info;
      });
  }
}
