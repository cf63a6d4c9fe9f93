import { z } from "zod";
import type { SandboxBackend } from "../sandbox/backend";
import { memoryPathSchema } from "./memory-path";
import { CloneMissingError } from "./problems";
import { READ_PRELUDE, SEARCH_SCRIPT } from "./scripts";

/** Matching lines shown when the caller does not say: about 10k tokens of an AI's context. */
export const DEFAULT_SEARCH_RESULTS = 100;
export const MAX_SEARCH_RESULTS = 500;
/** Each of git grep's two passes stops after this long: a regex can take forever on a large memory. */
export const SEARCH_SECONDS = 10;

/** ctx_search's arguments, checked wherever they arrive (MCP tool, RPC). */
export const searchInputShape = {
  query: z
    .string()
    .min(1)
    .max(1000)
    .refine((query) => !/[\0\n\r]/.test(query), "must be one line (a search matches within a line)")
    .describe("What to look for, within one line. Literal text unless regex is true."),
  regex: z
    .boolean()
    .optional()
    .describe("Treat query as a Perl-compatible regular expression (default false: literal text)."),
  path: memoryPathSchema
    .optional()
    .describe("Search only this folder or file, relative to the memory's root (e.g. resources or skills/x/SKILL.md)."),
  caseSensitive: z.boolean().optional().describe("Match case exactly (default false: ignore case)."),
  maxResults: z
    .number()
    .int()
    .min(1)
    .max(MAX_SEARCH_RESULTS)
    .optional()
    .describe(`Matching lines to show (default ${DEFAULT_SEARCH_RESULTS}, at most ${MAX_SEARCH_RESULTS}).`),
};

export const searchInputSchema = z.strictObject(searchInputShape);
export type SearchInput = z.input<typeof searchInputSchema>;

/** One printed line of a file: a match, or a line of context around one. `line` is 1-based. */
export type SearchLine = { line: number; text: string; match: boolean; column?: number };

/**
 * What ctx_search found. `files` are the files shown, in git's order, each with its matching
 * lines and a line of context; `totalMatches` and `totalFiles` count everything that matched
 * (at least, when `countsCut`); `problem` says why nothing could be searched (an invalid
 * regex, a path behind a symlink or not there).
 */
export type SearchResult = {
  problem?: string;
  files: { path: string; matches: number; lines: SearchLine[] }[];
  /** Files that matched but are not shown, with their number of matching lines. */
  more: { path: string; matches: number }[];
  totalMatches: number;
  totalFiles: number;
  shownMatches: number;
  /** A pass hit the time limit ({@link SEARCH_SECONDS}): what is shown is what it found by then. */
  timedOut: boolean;
  /** There were too many matching files to count them all: the totals are lower bounds. */
  countsCut: boolean;
};

const SEARCH_TIMEOUT_MS = (2 * SEARCH_SECONDS + 10) * 1000;
const SEARCH_OUTPUT_BYTES = 3 * 1024 * 1024;
/** git grep's and timeout's exit codes. */
const NO_MATCH = 1;
const TIMED_OUT = 124;
const SIGPIPE = 141;

/**
 * Searches the clone's working tree with git grep (scripts/search.sh) in one sandbox round
 * trip: committed files as they are now, changes a command left uncommitted, and untracked
 * files .gitignore does not exclude; binary files and anything behind a symlink are skipped.
 * `input` must be parsed already ({@link searchInputSchema}); `redact` is applied to all the
 * repo's text before it is read (a token committed to the memory is never shown).
 * @throws CloneMissingError when there is no clone to search.
 */
export async function searchClone(
  sandbox: SandboxBackend,
  input: z.output<typeof searchInputSchema>,
  redact: (text: string) => string,
): Promise<SearchResult> {
  const mark = `ctx4-${crypto.randomUUID()}`;
  const max = input.maxResults ?? DEFAULT_SEARCH_RESULTS;
  const result = await sandbox.exec({
    command: `${READ_PRELUDE}\n${SEARCH_SCRIPT}`,
    env: {
      CTX4_MARK: mark,
      CTX4_QUERY: input.query,
      CTX4_SYNTAX: input.regex ? "perl" : "fixed",
      CTX4_CASE: input.caseSensitive ? "sensitive" : "ignore",
      CTX4_PATH: input.path ?? "",
      CTX4_MAX: String(max),
      CTX4_SECONDS: String(SEARCH_SECONDS),
    },
    timeoutMs: SEARCH_TIMEOUT_MS,
    maxOutputBytes: SEARCH_OUTPUT_BYTES,
    offline: true,
  });
  if (result.exitCode === 3) throw new CloneMissingError();
  // Token shapes hold no NUL or newline: the output's structure stays as it was.
  const stdout = redact(result.stdout);
  const stderr = redact(result.stderr);
  const nothing: SearchResult = {
    files: [],
    more: [],
    totalMatches: 0,
    totalFiles: 0,
    shownMatches: 0,
    timedOut: false,
    countsCut: false,
  };
  if (stdout === `${mark} linked\n`)
    return { ...nothing, problem: "That path leads through a symlink: ctx_search reads nothing behind one." };
  if (stdout === `${mark} absent\n`) return { ...nothing, problem: "Nothing is at that path in the memory." };
  const end = new RegExp(`\\n${mark} end (\\d+) (\\d+)\\n$`).exec(stdout);
  if (result.exitCode !== 0 || !end) {
    const why = result.timedOut ? "it took too long" : stderr.trim().split("\n").at(-1) || "no answer";
    throw new Error(`The search could not run: ${why}`);
  }
  const [first, second] = [Number(end[1]), Number(end[2])];
  if (first !== 0 && first !== NO_MATCH && first !== TIMED_OUT) {
    // git grep says what is wrong with a pattern on its last line ("fatal: -e option, '(': …").
    const message =
      stderr
        .trim()
        .split("\n")
        .at(-1)
        ?.replace(/^fatal: (-e option, )?/, "") ?? "";
    // PCRE2 gives up on a regex that backtracks without end (its match and JIT stack limits).
    if (/^pcre2_(jit_)?match failed/.test(message))
      return { ...nothing, problem: `The regex needs too much work to run (${message}): write a simpler one.` };
    return { ...nothing, problem: `git grep refused the query: ${message}` };
  }
  return parseSearch(stdout.slice(0, end.index), mark, max, {
    timedOut: first === TIMED_OUT || second === TIMED_OUT,
    cut: result.stdoutTruncated || second === SIGPIPE,
  });
}

/**
 * Reads search.sh's output (before its end line): the counts of every matching file, then
 * git grep's `path\0line\0[column\0]text\n` records of the first ones, keeping `max` matching
 * lines. A group separator (`--`) and a path starting with `--\n` look alike, so a record is
 * read as one only when its path is among the counted files.
 */
export function parseSearch(
  stdout: string,
  mark: string,
  max: number,
  flags: { timedOut: boolean; cut: boolean },
): SearchResult {
  const countsStart = stdout.indexOf(`${mark} counts\n`) + `${mark} counts\n`.length;
  const linesAt = stdout.indexOf(`\n${mark} lines\n`, countsStart - 1);
  const countsText = stdout.slice(countsStart, linesAt);
  const linesText = stdout.slice(linesAt + `\n${mark} lines\n`.length);

  const counted: { path: string; matches: number }[] = [];
  const counting = /([^\0]*)\0(\d+)\n/y;
  let parsed = 0;
  for (let found = counting.exec(countsText); found; found = counting.exec(countsText)) {
    counted.push({ path: found[1] ?? "", matches: Number(found[2]) });
    parsed = counting.lastIndex;
  }
  const countsCut = parsed < countsText.length;
  const known = new Map(counted.map((file) => [file.path, file.matches]));

  const byPath = new Map<string, SearchLine[]>();
  const record = /([^\0]*)\0(\d+)\0(?:(\d+)\0)?([^\n]*)\n/y;
  let at = 0;
  while (at < linesText.length) {
    record.lastIndex = at;
    const found = record.exec(linesText);
    if (!found || !known.has(found[1] ?? "")) {
      if (linesText.startsWith("--\n", at)) {
        at += 3;
        continue;
      }
      break;
    }
    at = record.lastIndex;
    const path = found[1] ?? "";
    const lines = byPath.get(path) ?? [];
    byPath.set(path, lines);
    const column = found[3] === undefined ? undefined : Number(found[3]);
    lines.push({ line: Number(found[2]), text: found[4] ?? "", match: column !== undefined, column });
  }

  const files: SearchResult["files"] = [];
  let shownMatches = 0;
  for (const [path, lines] of byPath) {
    if (shownMatches >= max) break;
    const kept: SearchLine[] = [];
    for (const line of lines) {
      if (line.match && shownMatches >= max) {
        // The line before a match left out is its context, unless it also follows one shown.
        const previous = kept.at(-1);
        const lastShown = kept.findLast((entry) => entry.match)?.line;
        if (previous && !previous.match && previous.line !== (lastShown ?? -1) + 1) kept.pop();
        break;
      }
      if (line.match) shownMatches += 1;
      kept.push(line);
    }
    files.push({ path, matches: known.get(path) ?? 0, lines: kept });
  }
  const shown = new Set(files.map((file) => file.path));
  return {
    files,
    more: counted.filter((file) => !shown.has(file.path)),
    totalMatches: counted.reduce((sum, file) => sum + file.matches, 0),
    totalFiles: counted.length,
    shownMatches,
    timedOut: flags.timedOut,
    countsCut: countsCut || flags.cut,
  };
}
