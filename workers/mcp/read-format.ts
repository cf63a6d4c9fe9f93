import { type FolderEntry, type PathRead, READ_LIMITS } from "../workspace/files";
import type { ReadOutcome } from "../workspace/workspace";

/** Folder entries shown by one ctx_read: a folder of thousands is better searched or walked. */
const MAX_LISTED_ENTRIES = 1_000;

/**
 * A name as the AI should read and pass it back: as it is, or as a JSON string when it holds
 * control characters (a newline), a backslash or a quote, or starts or ends with a space, so
 * that every character is visible and nothing it holds passes for our own text.
 */
export function shownName(name: string): string {
  return /[\p{Cc}\\"]|^\s|\s$/u.test(name) || name === "" ? JSON.stringify(name) : name;
}

/** ctx_read's answer as text for the AI, and whether it is an error (refused, missing, no repo). */
export function readResultText(outcome: ReadOutcome<PathRead>): { text: string; isError: boolean } {
  if (!outcome.ready) return { text: `Nothing was read. ${outcome.problem}`, isError: true };
  const { value: read, notes } = outcome;
  const body = pathReadText(read, "tool");
  const isError = read.kind === "refused" || read.kind === "missing";
  return { text: [...notes, body].join("\n\n"), isError };
}

/**
 * What one read found, as text: numbered lines for ctx_read (`tool`, like `cat -n`), or a
 * file's own text for resources/read (`resource`); a listing, summary or refusal otherwise.
 */
export function pathReadText(read: PathRead, purpose: "tool" | "resource"): string {
  const path = shownName(read.path);
  switch (read.kind) {
    case "refused":
      return `Refused: ${path}: ${read.reason}.`;
    case "missing":
      return `${path} does not exist in the memory. List its folder with ctx_read (path ${shownName(parentOf(read.path))}), or look for it with ctx_search.`;
    case "binary":
      return `${path} is a binary file (${read.bytes} bytes${read.mimeType ? `, ${read.mimeType}` : ""}): its contents are not shown.`;
    case "folder":
      return folderText(path, read.entries, read.truncated);
    case "text":
      return purpose === "tool" ? numberedText(path, read) : resourceText(read);
  }
}

function folderText(path: string, entries: FolderEntry[], truncated: boolean): string {
  const title = path === "." ? "The memory's root folder" : `Folder ${path}`;
  if (!entries.length) return `${title} is empty.`;
  const lines = entries.slice(0, MAX_LISTED_ENTRIES).map((entry) => {
    const name = shownName(entry.name);
    if (entry.type === "folder") return `${name}/`;
    if (entry.type === "file") return `${name}  (${entry.bytes} bytes)`;
    if (entry.type === "symlink") return `${name}  (symlink, not followed)`;
    return `${name}  (not a regular file: FIFO, device or socket)`;
  });
  const notes: string[] = [];
  if (entries.length > MAX_LISTED_ENTRIES || truncated)
    notes.push(
      `[more entries than shown here (${entries.length}${truncated ? "+" : ""}): read a sub-folder, or look for a name with ctx_search]`,
    );
  return [`${title} (${entries.length}${truncated ? "+" : ""} entries; folders end in /):`, ...lines, ...notes].join(
    "\n",
  );
}

type TextRead = Extract<PathRead, { kind: "text" }>;

function numberedText(path: string, read: TextRead): string {
  const header = `${path} (${read.bytes} bytes)`;
  if (read.bytes === 0) return `${header} is empty.`;
  if (!read.lines.length) return `${header}: there is no line ${read.startLine}, the file ends before it.`;
  const last = read.startLine + read.lines.length - 1;
  const numbered = read.lines.map((line, index) => `${String(read.startLine + index).padStart(6)}\t${line}`);
  const parts = [`${header}, lines ${read.startLine}-${last}:`, numbered.join("\n")];
  if (read.cutLine) parts.push(`[line ${last} is longer than ${READ_LIMITS.tool.bytes} bytes: cut here]`);
  if (read.nextLine !== null)
    parts.push(`[more: the file goes on; read on with ctx_read (path ${path}, startLine ${read.nextLine})]`);
  else parts.push("[end of file]");
  return parts.join("\n");
}

function resourceText(read: TextRead): string {
  const text = read.lines.map((line) => `${line}\n`).join("");
  if (read.nextLine === null) return text;
  return `${text}\n[cut at ${READ_LIMITS.resource.bytes} bytes: read on with ctx_read (path ${shownName(read.path)}, startLine ${read.nextLine})]\n`;
}

const parentOf = (path: string) => (path.includes("/") ? path.slice(0, path.lastIndexOf("/")) : ".");
