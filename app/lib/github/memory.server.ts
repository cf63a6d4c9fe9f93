import { Octokit } from "@octokit/core";
import { z } from "zod";
import { WEB_CLIENT } from "../../../workers/workspace/client-trailer";
import { proposalBranchSchema } from "../../../workers/workspace/web-actions";
import { clientOf, subjectOf } from "../commit-trailers";
import { type GitHubEnv, httpStatus, mintRepoToken } from "./app.server";

/**
 * The person's memory repo as the web pages read it: commits of the default branch, one
 * commit's diff, the side branches set aside on conflicts, reviewed clients' proposals, and
 * files at the head. Everything is
 * read on the server with an installation token narrowed to the one repo and to
 * `contents: read`, minted per page load and never sent to the browser; every GitHub answer is
 * parsed with zod before use. Endpoints (docs.github.com/rest): commits#list-commits,
 * commits#get-a-commit, commits#compare-two-commits, branches#list-branches,
 * repos/contents#get-repository-content.
 *
 * GitHub API calls per page load (besides the one that mints the token):
 * - Activity: 1 list of commits + 1 commit per listed commit (`ACTIVITY_PAGE_SIZE`, for its
 *   files) + 1 list of branches + 1 compare per side branch shown (at most `MAX_SIDE_BRANCHES`)
 *   + 1 compare per proposal (at most `MAX_PROPOSALS`, one per reviewed client): at most
 *   1 + 10 + 1 + 5 + 10 = 27; later pages 11.
 * - A commit: 1. A proposal: 1 compare. A folder or file: 1.
 */

export type MemoryEnv = GitHubEnv & Pick<Env, "GITHUB_APP_SLUG">;

/** The repo a signed-in person chose, from their config row (never from a URL). */
export type MemoryTarget = {
  installationId: number;
  repoId: number;
  fullName: string;
  defaultBranch: string;
  /** The person's own GitHub login, whose commits read "You". */
  githubUsername: string | null;
};

/** Commits per Activity page: each costs one more GitHub call for its files. */
export const ACTIVITY_PAGE_SIZE = 10;
/** Side branches compared on Activity, newest first. */
export const MAX_SIDE_BRANCHES = 5;
/** Where sync.sh sets aside work GitHub's branch refused (`ctx4-ai/<why>-<UTC time>-<sha>`). */
export const SIDE_BRANCH_PREFIX = "ctx4-ai/";
/** Where a reviewed client's proposal waits (see workers/workspace/proposal.ts): not a side branch. */
export const PROPOSAL_PREFIX = "ctx4-ai/review-";
/** Proposals listed at most: one per reviewed client, so a handful. */
export const MAX_PROPOSALS = 10;
/** Files larger than this are summarised, not shown. */
export const MAX_SHOWN_FILE_BYTES = 256 * 1024;

/**
 * Who made a commit: our bot for an AI client (named by its `Ctx4-Client` trailer), the person
 * (on GitHub, or through our bot from these pages: trailer `web`), or someone else.
 */
export type CommitAuthor =
  | { kind: "ai"; client: string | null }
  /** `fromWeb`: the bot's commit for the person's own revert or bring-in on these pages. */
  | { kind: "you"; fromWeb: boolean }
  | { kind: "other"; name: string };

export type CommitSummary = {
  sha: string;
  subject: string;
  /** ISO 8601, the author date. */
  date: string;
  author: CommitAuthor;
};

/** A file a commit changed, as GitHub's `files[]` says (`patch` absent for binary or very large diffs). */
export type ChangedFile = {
  filename: string;
  previousFilename: string | null;
  status: "added" | "removed" | "modified" | "renamed" | "copied" | "changed" | "unchanged";
  additions: number;
  deletions: number;
  patch: string | null;
};

export type CommitDetail = CommitSummary & { message: string; parents: string[]; files: ChangedFile[] };

export type SideBranch = { name: string; aheadBy: number; commits: CommitSummary[]; files: ChangedFile[] };

/**
 * A reviewed client's pending proposal: its branch (`name`) and key, what it holds beyond the
 * default branch, and the client that wrote it (the `Ctx4-Client` trailer of its latest commit).
 */
export type Proposal = SideBranch & { key: string; client: string | null };

export type FolderEntry = { name: string; path: string; type: "dir" | "file" | "symlink" | "submodule"; size: number };

export type MemoryContents =
  | { kind: "folder"; path: string; entries: FolderEntry[] }
  | { kind: "text"; path: string; size: number; text: string }
  | { kind: "binary" | "large"; path: string; size: number };

const personSchema = z.object({ name: z.string(), email: z.string(), date: z.string() });
const userSchema = z.object({ login: z.string(), type: z.string() }).nullable();
const commitSchema = z.object({
  sha: z.string().regex(/^[0-9a-f]{40}$/),
  commit: z.object({ message: z.string(), author: personSchema.nullable() }),
  author: userSchema,
  parents: z.array(z.object({ sha: z.string() })),
});
const fileSchema = z.object({
  filename: z.string(),
  previous_filename: z.string().optional(),
  status: z.enum(["added", "removed", "modified", "renamed", "copied", "changed", "unchanged"]),
  additions: z.number().int().nonnegative(),
  deletions: z.number().int().nonnegative(),
  patch: z.string().optional(),
});
const fullCommitSchema = commitSchema.extend({ files: z.array(fileSchema).default([]) });
const compareSchema = z.object({
  ahead_by: z.number().int().nonnegative(),
  commits: z.array(commitSchema),
  files: z.array(fileSchema).default([]),
});
const branchSchema = z.object({ name: z.string(), commit: z.object({ sha: z.string() }) });
const entrySchema = z.object({
  name: z.string(),
  path: z.string(),
  type: z.enum(["dir", "file", "symlink", "submodule"]),
  size: z.number().int().nonnegative(),
});
const fileContentSchema = entrySchema.extend({
  type: z.literal("file"),
  content: z.string().default(""),
  encoding: z.string().default("none"),
});

/** What the pages read of the memory repo; see the module comment for the calls each costs. */
export type MemoryReader = {
  /** One page (from 1) of the default branch's commits, newest first, each with its files. */
  activity(page: number): Promise<{ commits: (CommitSummary & { files: ChangedFile[] })[]; hasNext: boolean }>;
  /** A commit of the repo by full id, or undefined when the repo has none such. */
  commit(sha: string): Promise<CommitDetail | undefined>;
  /** The side branches sync.sh made, newest first, with what they hold beyond the default branch. */
  sideBranches(): Promise<SideBranch[]>;
  /** The pending proposals of reviewed clients, each with what it holds beyond the default branch. */
  proposals(): Promise<Proposal[]>;
  /** One proposal by key (16 hex digits), or undefined when the repo has no such branch. */
  proposal(key: string): Promise<Proposal | undefined>;
  /** A folder or file at the default branch's head ("" is the root), or undefined when there is none. */
  contents(path: string): Promise<MemoryContents | undefined>;
};

/**
 * A reader for the person's repo. Throws `GitHubAccessError` (app.server) when the App can no
 * longer reach it, which the pages show as the dashboard does.
 */
export async function openMemory(env: MemoryEnv, target: MemoryTarget): Promise<MemoryReader> {
  const { token } = await mintRepoToken(env, target.installationId, target.repoId, "read");
  const octokit = new Octokit({ auth: token, baseUrl: env.GITHUB_API_URL });
  const [owner = "", repo = ""] = target.fullName.split("/");
  const bot = `${env.GITHUB_APP_SLUG}[bot]`.toLowerCase();

  const authorOf = (commit: z.infer<typeof commitSchema>): CommitAuthor => {
    const login = commit.author?.login;
    if (login?.toLowerCase() === bot) {
      const client = clientOf(commit.commit.message);
      return client === WEB_CLIENT ? { kind: "you", fromWeb: true } : { kind: "ai", client };
    }
    if (login && target.githubUsername && login.toLowerCase() === target.githubUsername.toLowerCase()) {
      return { kind: "you", fromWeb: false };
    }
    return { kind: "other", name: login ?? commit.commit.author?.name ?? "unknown" };
  };
  const summary = (commit: z.infer<typeof commitSchema>): CommitSummary => ({
    sha: commit.sha,
    subject: subjectOf(commit.commit.message),
    date: commit.commit.author?.date ?? "",
    author: authorOf(commit),
  });
  const changed = (file: z.infer<typeof fileSchema>): ChangedFile => ({
    filename: file.filename,
    previousFilename: file.previous_filename ?? null,
    status: file.status,
    additions: file.additions,
    deletions: file.deletions,
    patch: file.patch ?? null,
  });
  /** A GitHub GET parsed with `schema`; undefined for the statuses GitHub uses for "no such thing here". */
  const read = async <T extends z.ZodType>(
    route: string,
    params: Record<string, string | number>,
    schema: T,
  ): Promise<{ data: z.output<T>; link: string } | undefined> => {
    try {
      const response = await octokit.request(route, { owner, repo, ...params });
      return { data: schema.parse(response.data), link: response.headers.link ?? "" };
    } catch (error) {
      const status = httpStatus(error);
      if (status === 404 || status === 409 || status === 422) return undefined;
      throw error;
    }
  };
  // One list of branches per page, for its side branches and proposals alike.
  let listedBranches: Promise<string[]> | undefined;
  const branchNames = () => {
    listedBranches ??= read("GET /repos/{owner}/{repo}/branches", { per_page: 100 }, z.array(branchSchema)).then(
      (listed) => (listed?.data ?? []).map((branch) => branch.name),
    );
    return listedBranches;
  };
  /** What branch `name` holds beyond the default branch (GitHub's three-dot compare). */
  const compareBranch = async (name: string): Promise<SideBranch | undefined> => {
    const found = await read(
      "GET /repos/{owner}/{repo}/compare/{basehead}",
      { basehead: `${target.defaultBranch}...${name}` },
      compareSchema,
    );
    return (
      found && {
        name,
        aheadBy: found.data.ahead_by,
        commits: found.data.commits.map(summary).reverse(),
        files: found.data.files.map(changed),
      }
    );
  };
  const proposalOn = async (name: string): Promise<Proposal | undefined> => {
    const compared = await compareBranch(name);
    if (!compared) return undefined;
    const latest = compared.commits[0]?.author;
    return {
      ...compared,
      key: name.slice(PROPOSAL_PREFIX.length),
      client: latest?.kind === "ai" ? latest.client : null,
    };
  };
  const fullCommit = async (sha: string) =>
    (await read("GET /repos/{owner}/{repo}/commits/{ref}", { ref: sha }, fullCommitSchema))?.data;

  return {
    async activity(page) {
      const listed = await read(
        "GET /repos/{owner}/{repo}/commits",
        { sha: target.defaultBranch, per_page: ACTIVITY_PAGE_SIZE, page },
        z.array(commitSchema),
      );
      if (!listed) return { commits: [], hasNext: false };
      const details = await Promise.all(listed.data.map((commit) => fullCommit(commit.sha)));
      return {
        commits: listed.data.map((commit, at) => ({
          ...summary(commit),
          // Names and counts only: the list never shows a patch, so none is sent to the browser.
          files: (details[at]?.files ?? []).map((file) => ({ ...changed(file), patch: null })),
        })),
        hasNext: /rel="next"/.test(listed.link),
      };
    },

    async commit(sha) {
      const commit = await fullCommit(sha);
      if (!commit || commit.sha !== sha) return undefined;
      return {
        ...summary(commit),
        message: commit.commit.message,
        parents: commit.parents.map((parent) => parent.sha),
        files: commit.files.map(changed),
      };
    },

    async sideBranches() {
      const names = (await branchNames())
        .filter((name) => name.startsWith(SIDE_BRANCH_PREFIX) && !name.startsWith(PROPOSAL_PREFIX))
        // Their names carry the UTC time they were made: newest first.
        .sort()
        .reverse()
        .slice(0, MAX_SIDE_BRANCHES);
      const compared = await Promise.all(names.map(compareBranch));
      return compared.filter((branch): branch is SideBranch => branch !== undefined);
    },

    async proposals() {
      const names = (await branchNames())
        .filter((name) => proposalBranchSchema.safeParse(name).success)
        .slice(0, MAX_PROPOSALS);
      const found = await Promise.all(names.map(proposalOn));
      // A proposal holding nothing the default branch lacks waits for nothing.
      return found.filter((proposal): proposal is Proposal => proposal !== undefined && proposal.aheadBy > 0);
    },

    async proposal(key) {
      return /^[0-9a-f]{16}$/.test(key) ? proposalOn(`${PROPOSAL_PREFIX}${key}`) : undefined;
    },

    async contents(path) {
      const found = await read(
        "GET /repos/{owner}/{repo}/contents/{path}",
        { path, ref: target.defaultBranch },
        z.union([z.array(entrySchema), fileContentSchema, entrySchema]),
      );
      if (!found) return undefined;
      const body = found.data;
      if (Array.isArray(body)) {
        const entries = [...body].sort((a, b) =>
          a.type === b.type ? a.name.localeCompare(b.name) : a.type === "dir" ? -1 : b.type === "dir" ? 1 : 0,
        );
        return { kind: "folder", path, entries };
      }
      if (body.type !== "file" || !("content" in body)) return { kind: "binary", path, size: body.size };
      if (body.encoding !== "base64" || body.size > MAX_SHOWN_FILE_BYTES)
        return { kind: "large", path, size: body.size };
      const bytes = Uint8Array.from(atob(body.content.replace(/\s/g, "")), (char) => char.charCodeAt(0));
      const text = textOf(bytes);
      return text === undefined
        ? { kind: "binary", path, size: body.size }
        : { kind: "text", path, size: body.size, text };
    },
  };
}

/** The bytes as UTF-8 text, or undefined for binary content (a NUL byte, or not UTF-8). */
function textOf(bytes: Uint8Array): string | undefined {
  if (bytes.includes(0)) return undefined;
  try {
    return new TextDecoder("utf-8", { fatal: true }).decode(bytes);
  } catch {
    return undefined;
  }
}
