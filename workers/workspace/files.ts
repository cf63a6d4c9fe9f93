import { z } from "zod";
import type { SandboxBackend } from "../sandbox/backend";
import { readFrontMatter } from "./front-matter";
import { CloneMissingError } from "./problems";
import { redactSecrets } from "./redact";
import { MARKDOWN_SCRIPT, READ_SCRIPT } from "./scripts";

// An environment variable cannot hold a NUL byte, and a NUL would silently cut a C string.
const noNul = (value: string) => !value.includes("\0");

/** ctx_read's arguments, checked wherever they arrive (MCP tool, RPC). */
export const readInputShape = {
  path: z
    .string()
    .max(4_096)
    .refine(noNul, "must not contain NUL bytes")
    .describe('A file or folder, relative to the root of the memory repository ("" or "." for the root).'),
  startLine: z.number().int().min(1).optional().describe("First line to show (default 1)."),
  endLine: z.number().int().min(1).optional().describe("Last line to show (default: as many as fit)."),
};

export const readInputSchema = z.strictObject(readInputShape);
export type ReadInput = z.input<typeof readInputSchema>;

/**
 * How much one read shows. `tool`, for ctx_read: about 2,000 lines or 100 KB, which an AI can
 * still take in. `resource`, for resources/read: a whole Markdown file a client attaches to a
 * conversation, up to 1 MB.
 */
export const READ_LIMITS = {
  tool: { lines: 2_000, bytes: 100_000 },
  resource: { lines: 1_000_000, bytes: 1_000_000 },
} as const;
export const readPurposeSchema = z.enum(["tool", "resource"]);
export type ReadPurpose = z.infer<typeof readPurposeSchema>;

/** A folder entry as `find -printf %y` names its type: the entry itself, never what a symlink points to. */
export type EntryType = "file" | "folder" | "symlink" | "other";
export type FolderEntry = { name: string; type: EntryType; bytes: number };

/**
 * What a read of one path found. Paths are the repo-relative path asked for, normalised
 * ("." for the root). Text is redacted of tokens.
 * - `refused`: outside the clone, under .git, a symlink or under one, a FIFO, device or socket.
 * - `text`: `lines` from `startLine`; `nextLine` is the first line not shown when the file
 *   goes on (null at its end); `cutLine` says the last line shown was cut at the byte limit.
 */
export type PathRead =
  | { kind: "refused"; path: string; reason: string }
  | { kind: "missing"; path: string }
  | { kind: "folder"; path: string; entries: FolderEntry[]; truncated: boolean }
  | { kind: "binary"; path: string; bytes: number; mimeType: string | null }
  | {
      kind: "text";
      path: string;
      bytes: number;
      startLine: number;
      lines: string[];
      nextLine: number | null;
      cutLine: boolean;
    };

/**
 * The memory path `raw` names, normalised: no leading "./" or trailing "/", "." for the root.
 * @returns `{ reason }` for a path that could leave the clone or reach git's own files: absolute,
 *   with a ".." segment, or with a ".git" segment (the clone's, or a nested repository's).
 */
export function memoryPath(raw: string): { path: string } | { reason: string } {
  if (raw.startsWith("/")) return { reason: "absolute paths are outside the memory; give a path relative to its root" };
  const segments = raw.split("/").filter((segment) => segment !== "" && segment !== ".");
  if (segments.includes("..")) return { reason: '".." would leave the memory repository' };
  if (segments.includes(".git")) return { reason: "git's own files (.git) are not part of the memory" };
  return { path: segments.length ? segments.join("/") : "." };
}

const READ_TIMEOUT_MS = 30_000;
/** Beyond the text itself: the header line, and a folder of a few thousand entries. */
const READ_OUTPUT_BYTES = 2 * 1024 * 1024;

const ENTRY_TYPES: Record<string, EntryType> = { f: "file", d: "folder", l: "symlink" };

/**
 * Reads one path of the clone (read.sh) in one sandbox round trip: a text file's lines
 * `startLine` to `endLine` within `purpose`'s limits, a folder's entries (sorted, folders
 * first, .git left out), or a binary file's size and type. Never follows a symlink.
 * @throws CloneMissingError when there is no clone to read.
 */
export async function readPath(
  sandbox: SandboxBackend,
  redact: (text: string) => string,
  input: ReadInput,
  purpose: ReadPurpose,
): Promise<PathRead> {
  const named = memoryPath(input.path);
  if ("reason" in named) return { kind: "refused", path: input.path, reason: named.reason };
  const { path } = named;
  const limits = READ_LIMITS[purpose];
  const startLine = input.startLine ?? 1;
  const lastLine = Math.min(input.endLine ?? Number.MAX_SAFE_INTEGER, startLine + limits.lines - 1);
  // One line and one byte more than shown: whether the file goes on is then known without a count.
  const result = await sandbox.exec({
    command: READ_SCRIPT,
    env: {
      CTX4_PATH: path,
      CTX4_START: String(startLine),
      CTX4_LAST: String(lastLine + 1),
      CTX4_MAX_BYTES: String(limits.bytes + 1),
    },
    timeoutMs: READ_TIMEOUT_MS,
    maxOutputBytes: READ_OUTPUT_BYTES,
  });
  if (result.exitCode === 3) throw new CloneMissingError();
  if (result.exitCode !== 0) throw new Error(`Could not read ${path}: ${redactSecrets(result.stderr.slice(0, 500))}`);
  const newline = result.stdout.indexOf("\n");
  const [kind, ...fields] = result.stdout.slice(0, newline < 0 ? undefined : newline).split(" ");
  const body = newline < 0 ? "" : result.stdout.slice(newline + 1);
  switch (kind) {
    case "missing":
      return { kind: "missing", path };
    case "linked":
      return {
        kind: "refused",
        path,
        reason: "it is a symlink, or inside a symlinked folder: links are never followed",
      };
    case "special":
      return { kind: "refused", path, reason: "it is not a regular file or folder (a FIFO, device or socket)" };
    case "dir":
      return { kind: "folder", path, entries: folderEntries(body, redact), truncated: result.stdoutTruncated };
    case "binary":
      return {
        kind: "binary",
        path,
        bytes: Number(fields[0]),
        mimeType: fields[1] && fields[1] !== "-" ? fields[1] : null,
      };
    case "text":
      return textRead(path, Number(fields[0]), redact(body), startLine, lastLine, limits.bytes);
    default:
      throw new Error(`Could not read ${path}: unexpected answer from the sandbox.`);
  }
}

function folderEntries(body: string, redact: (text: string) => string): FolderEntry[] {
  const entries = body
    .split("\0")
    .slice(0, -1)
    .map((record) => {
      const [type = "", bytes = "", ...name] = record.split(" ");
      return { name: redact(name.join(" ")), type: ENTRY_TYPES[type] ?? "other", bytes: Number(bytes) };
    });
  const rank = (entry: FolderEntry) => (entry.type === "folder" ? 0 : 1);
  return entries.sort((a, b) => rank(a) - rank(b) || (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
}

/**
 * The lines of `body` (lines `startLine`… of the file, and at most one past `lastLine`, cut
 * after `maxBytes` + 1 bytes) that fit: whole lines within `maxBytes`, or the first line cut
 * there when even it does not fit.
 */
function textRead(
  path: string,
  bytes: number,
  body: string,
  startLine: number,
  lastLine: number,
  maxBytes: number,
): PathRead {
  const encoder = new TextEncoder();
  const lines = body.split("\n");
  // A file's last line may end without a newline; the piece after the final newline is empty otherwise.
  if (lines.at(-1) === "") lines.pop();
  const shown: string[] = [];
  let used = 0;
  let cutLine = false;
  for (const line of lines) {
    if (startLine + shown.length > lastLine) break;
    const size = encoder.encode(line).byteLength + 1;
    if (used + size > maxBytes) {
      if (shown.length === 0) {
        shown.push(new TextDecoder().decode(encoder.encode(line).slice(0, maxBytes)).replace(/\uFFFD$/, ""));
        cutLine = true;
      }
      break;
    }
    shown.push(line);
    used += size;
  }
  const goesOn = lines.length > shown.length || cutLine;
  return {
    kind: "text",
    path,
    bytes,
    startLine,
    lines: shown,
    nextLine: goesOn ? startLine + shown.length : null,
    cutLine,
  };
}

/**
 * Where a page of Markdown files starts: after `after`, the path at `position` (1-based) in
 * git's list of them. A position that no longer holds that path (files came or went) costs a
 * read of the whole list, never a wrong page.
 */
export type MarkdownCursor = { after: string; position: number };

/** One page of resources/list: the memory's Markdown files, each with its front matter. */
export type MarkdownPage = {
  files: { path: string; bytes: number; name?: string; description?: string }[];
  /** Where the next page starts; null on the last page. */
  next: MarkdownCursor | null;
};

/** A cursor as it may arrive over RPC: anything else is refused before the sandbox runs. */
export const markdownCursorSchema = z.strictObject({
  after: z.string().min(1).max(4_096).refine(noNul, "must not contain NUL bytes"),
  position: z.number().int().min(1).max(10_000_000),
});

/** resources/list pages: enough to be useful, few enough that a page reads ~100 small files. */
export const MARKDOWN_PAGE_SIZE = 100;
// Each file: its path and 4096 characters of UTF-8 (up to 4 bytes each).
const MARKDOWN_OUTPUT_BYTES = MARKDOWN_PAGE_SIZE * (4_096 * 4 + 4_200);

/**
 * The memory's tracked Markdown files from `cursor` on (the first page without one), in git's
 * byte order, at most `MARKDOWN_PAGE_SIZE`, with size and front matter, in one sandbox round
 * trip that reads only the page's files (markdown.sh). Symlinks and files under symlinked
 * folders are left out, and so are names holding a token (see `redact`).
 * @throws CloneMissingError when there is no clone to read.
 */
export async function markdownPage(
  sandbox: SandboxBackend,
  redact: (text: string) => string,
  cursor: MarkdownCursor | null,
): Promise<MarkdownPage> {
  const result = await sandbox.exec({
    command: MARKDOWN_SCRIPT,
    env: {
      CTX4_AFTER: cursor?.after ?? "",
      CTX4_POSITION: String(cursor?.position ?? 1),
      CTX4_PAGE: String(MARKDOWN_PAGE_SIZE),
    },
    timeoutMs: READ_TIMEOUT_MS,
    maxOutputBytes: MARKDOWN_OUTPUT_BYTES,
  });
  if (result.exitCode === 3) throw new CloneMissingError();
  if (result.exitCode !== 0)
    throw new Error(`Could not list the memory: ${redactSecrets(result.stderr.slice(0, 500))}`);
  const fields = result.stdout.split("\0");
  const files: MarkdownPage["files"] = [];
  for (let index = 0; index + 2 < fields.length; index += 3) {
    const path = fields[index] ?? "";
    // No Markdown path is "end": it ends in .md or .markdown.
    if (path === "end") {
      // The cursor names the last path listed. When the page's last one was left out, its
      // position no longer matches that path, and markdown.sh finds the place by the slow path.
      const last = files.at(-1)?.path;
      const more = fields[index + 1] === "1" && last !== undefined;
      return { files, next: more ? { after: last, position: Number(fields[index + 2]) } : null };
    }
    // A name holding a token is left out rather than listed redacted: its URI would name no file.
    if (redact(path) !== path) continue;
    const front = readFrontMatter(fields[index + 2] ?? "");
    files.push({
      path,
      bytes: Number(fields[index + 1]),
      ...(front?.name ? { name: redact(front.name) } : {}),
      ...(front?.description ? { description: redact(front.description) } : {}),
    });
  }
  throw new Error("Could not list the memory: the sandbox's answer was cut short.");
}
