import { z } from "zod";
import type { SandboxBackend } from "../sandbox/backend";
import { cleanLine, memoryPathSchema } from "./memory-path";
import { CloneMissingError } from "./problems";
import { HISTORY_SCRIPT, READ_PRELUDE } from "./scripts";

export const DEFAULT_HISTORY_LIMIT = 20;
export const MAX_HISTORY_LIMIT = 100;
/** A commit's stat and diff are cut here: about 12k tokens, as a command's output is. */
export const MAX_DIFF_BYTES = 50_000;
/** Files listed per commit; the rest are counted. */
export const MAX_FILES_PER_COMMIT = 50;
const MAX_SUBJECT_LENGTH = 200;
const MAX_AUTHOR_LENGTH = 100;

/** ctx_history's arguments, checked wherever they arrive (MCP tool, RPC). */
export const historyInputShape = {
  path: memoryPathSchema
    .optional()
    .describe("Only commits that changed this file or folder (a file is followed across renames)."),
  limit: z
    .number()
    .int()
    .min(1)
    .max(MAX_HISTORY_LIMIT)
    .optional()
    .describe(
      `How many commits to list, newest first (default ${DEFAULT_HISTORY_LIMIT}, at most ${MAX_HISTORY_LIMIT}).`,
    ),
  commit: z
    .string()
    .regex(/^[0-9a-fA-F]{4,64}$/, "must be a commit sha or a prefix of one (at least 4 hex digits)")
    .optional()
    .describe("A commit sha or prefix: show that commit, with its stat and diff, instead of the list."),
};

export const historyInputSchema = z.strictObject(historyInputShape);
export type HistoryInput = z.input<typeof historyInputSchema>;

/** One changed file of a commit: git's status letter (A, M, D, R, C, T), its path, and for R/C the old one. */
export type ChangedFile = { status: string; path: string; from?: string };

/** One commit as git log gives it: author name and subject cleaned of control characters and cut. */
export type HistoryCommit = {
  sha: string;
  /** The author date, ISO 8601 with the author's offset. */
  date: string;
  author: string;
  subject: string;
  files: ChangedFile[];
  /** Files changed beyond those listed ({@link MAX_FILES_PER_COMMIT}). */
  moreFiles: number;
};

/**
 * What ctx_history found: the commits, newest first; with `commit` asked, one commit and its
 * `diff` (stat then patch, `diffCut` when cut at {@link MAX_DIFF_BYTES}). `problem` says why
 * there is nothing to show (no commit yet, an unknown or ambiguous sha).
 */
export type HistoryResult = {
  problem?: string;
  commits: HistoryCommit[];
  diff?: { text: string; cut: boolean; error?: string };
};

const HISTORY_TIMEOUT_MS = 30_000;
const HISTORY_OUTPUT_BYTES = 2 * 1024 * 1024;
const SIGPIPE = 141;

/**
 * Lists the branch's recent commits, or shows one commit, from the clone's git data
 * (scripts/history.sh) in one sandbox round trip. `input` must be parsed already; `redact` is
 * applied to all the repo's text before it is read (a token in a diff is never shown).
 * @throws CloneMissingError when there is no clone to read.
 */
export async function readHistory(
  sandbox: SandboxBackend,
  input: z.output<typeof historyInputSchema>,
  redact: (text: string) => string,
): Promise<HistoryResult> {
  const mark = `ctx4-${crypto.randomUUID()}`;
  const result = await sandbox.exec({
    command: `${READ_PRELUDE}\n${HISTORY_SCRIPT}`,
    env: {
      CTX4_MARK: mark,
      CTX4_LIMIT: String(input.limit ?? DEFAULT_HISTORY_LIMIT),
      CTX4_PATH: input.path ?? "",
      CTX4_COMMIT: input.commit?.toLowerCase() ?? "",
      CTX4_DIFF_BYTES: String(MAX_DIFF_BYTES),
    },
    timeoutMs: HISTORY_TIMEOUT_MS,
    maxOutputBytes: HISTORY_OUTPUT_BYTES,
    offline: true,
  });
  if (result.exitCode === 3) throw new CloneMissingError();
  // Token shapes hold no NUL or newline: the output's structure stays as it was.
  const stdout = redact(result.stdout);
  const stderr = redact(result.stderr);
  if (stdout === `${mark} empty\n`) return { problem: "The memory has no commits yet.", commits: [] };
  if (stdout === `${mark} unknown\n`)
    return { problem: `No commit ${input.commit} in the memory's history.`, commits: [] };
  if (stdout === `${mark} ambiguous\n`)
    return { problem: `More than one commit starts with ${input.commit}: give more of its sha.`, commits: [] };
  const end = new RegExp(`\\n${mark} end (\\d+) (\\d+)\\n$`).exec(stdout);
  if (result.exitCode !== 0 || !end || end[1] !== "0" || !stdout.startsWith(`${mark} log\n`)) {
    const why = result.timedOut ? "it took too long" : stderr.trim().split("\n").at(-1) || "no answer";
    throw new Error(`The history could not be read: ${why}`);
  }
  const body = stdout.slice(`${mark} log\n`.length, end.index);
  const diffAt = body.indexOf(`\n${mark} diff\n`);
  const commits = parseLog(diffAt === -1 ? body : body.slice(0, diffAt), mark);
  if (diffAt === -1) return { commits };
  const status = Number(end[2]);
  const text = body.slice(diffAt + `\n${mark} diff\n`.length);
  const cut = new TextEncoder().encode(text).byteLength >= MAX_DIFF_BYTES;
  // A SIGPIPE once head has all it keeps is head's cut; any other non-zero status is a failure.
  const failed = status !== 0 && !(status === SIGPIPE && cut);
  const diff = { text: cleanDiff(text), cut, ...(failed && { error: diffError(status, stderr) }) };
  return { commits, diff };
}

/**
 * Reads `git log -z` with history.sh's format: each commit starts with `<mark>\0`, then sha,
 * date, author and subject, each NUL-ended, then git's NUL-separated name-status entries
 * (`M\0path`, `R100\0old\0new`). A commit whose fields do not read as such (a NUL in a forged
 * author or subject) loses its file list, never another commit's.
 */
export function parseLog(text: string, mark: string): HistoryCommit[] {
  const commits: HistoryCommit[] = [];
  for (const chunk of text.split(`${mark}\0`).slice(1)) {
    const [sha = "", date = "", author = "", subject = "", ...rest] = chunk.split("\0");
    if (!/^[0-9a-f]{40,64}$/.test(sha)) continue;
    const entries = rest
      .join("\0")
      .replace(/^\0?\n?/, "")
      .split("\0");
    const files: ChangedFile[] = [];
    let moreFiles = 0;
    for (let at = 0; at < entries.length; ) {
      const status = entries[at] ?? "";
      if (!/^[ACDMRTUXB]\d*$/.test(status)) break;
      const renamed = status.startsWith("R") || status.startsWith("C");
      const file: ChangedFile = renamed
        ? { status: status[0] ?? "R", from: entries[at + 1] ?? "", path: entries[at + 2] ?? "" }
        : { status, path: entries[at + 1] ?? "" };
      at += renamed ? 3 : 2;
      if (files.length < MAX_FILES_PER_COMMIT) files.push(file);
      else moreFiles += 1;
    }
    commits.push({
      sha,
      date: cleanLine(date, 40),
      author: cleanLine(author, MAX_AUTHOR_LENGTH),
      subject: cleanLine(subject, MAX_SUBJECT_LENGTH),
      files,
      moreFiles,
    });
  }
  return commits;
}

/**
 * Why git show failed. The clone is partial (`CLONE_FILTER`): versions of files over 1 MB stay
 * on GitHub until checked out, and a read never fetches them.
 */
function diffError(status: number, stderr: string): string {
  // head stops reading only once it has MAX_DIFF_BYTES, so git's SIGPIPE with less did not come
  // from it: git died writing to the only program it starts here, the fetch of a missing old
  // version, which had failed at once (a read has no network). Other times git says so itself.
  if (status === SIGPIPE) return OLD_VERSION_MISSING;
  const last = stderr.trim().split("\n").at(-1) ?? "";
  if (/promisor remote|not allowed/.test(last)) return OLD_VERSION_MISSING;
  return cleanLine(last || "git show failed", 500);
}

const OLD_VERSION_MISSING =
  "it needs an old version of a file over 1 MB, which the sandbox does not keep (see the commit on GitHub).";

/** A diff as the AI may read it: every line cleaned of control characters (the lines stay). */
function cleanDiff(text: string): string {
  return text
    .split("\n")
    .map((line) => cleanLine(line, 2_000))
    .join("\n")
    .trimEnd();
}
