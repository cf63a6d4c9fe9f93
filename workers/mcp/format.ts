import type { BashInput } from "../workspace/bash-input";
import type { StreamOutput } from "../workspace/command";
import {
  DEFAULT_HISTORY_LIMIT,
  type HistoryCommit,
  type HistoryInput,
  type HistoryResult,
  MAX_DIFF_BYTES,
} from "../workspace/history";
import { cleanLine, showPath } from "../workspace/memory-path";
import { SEARCH_SECONDS, type SearchInput, type SearchLine, type SearchResult } from "../workspace/search";
import type { SecretRefusal, SyncCommit } from "../workspace/sync";
import type { BashOutcome, InstructionsOutcome, ReadOutcome } from "../workspace/workspace";
import { short, sideBranchNote } from "../workspace/workspace";
import { guideFor } from "./guide";

const MAX_LISTED_FILES = 20;

/** ctx_bash's answer as text for the AI, and whether it is an error (non-zero exit, failed push). */
export function bashResultText(outcome: BashOutcome): { text: string; isError: boolean } {
  if (!outcome.ran && outcome.interrupted) {
    return {
      text: `The command was sent to the sandbox, but its result never came back: it may have run in full, in part or not at all, and nothing it changed was committed or pushed by this call. ${outcome.problem} Check what the command was meant to change before you run it again.`,
      isError: true,
    };
  }
  if (!outcome.ran) return { text: `Nothing ran. ${outcome.problem}`, isError: true };
  const parts: string[] = [...outcome.notes];
  parts.push(stream("stdout", outcome.stdout), stream("stderr", outcome.stderr));
  parts.push(
    outcome.timedOut
      ? `Timed out after ${outcome.timeoutSeconds} s: the command and everything it started were stopped.`
      : outcome.cancelled
        ? "Cancelled: the command and everything it started were stopped."
        : `Exit code: ${outcome.exitCode}`,
  );
  if (outcome.commitError) parts.push(`The changes could not be committed:\n${outcome.commitError}`);
  if (outcome.commit) parts.push(committed(outcome.commit, outcome.branch));

  const publish = outcome.publish;
  let pushFailed = false;
  if (outcome.proposal) {
    const { proposal } = outcome;
    if (publish.state === "pushed") {
      parts.push(
        `AWAITING APPROVAL: the person reviews your writes, so this change went to your proposal (branch ${proposal.branch} of ${outcome.repo}, at ${short(publish.sha)}), NOT to the memory's default branch. It lands only when the person approves it on ctx4-ai's Activity page; they may reject it. Your reads show the memory with your pending changes, so do not make them again.`,
      );
    } else if (outcome.commit === null && !outcome.commitError) {
      parts.push(
        `Nothing changed, so nothing was proposed. Your pending changes, if any, still await the person's approval.`,
      );
    }
    if (proposal.baseConflict.length)
      parts.push(
        `Your proposal conflicts with later changes to the default branch in ${proposal.baseConflict.map(showPath).join(", ")}: it stays on the older version; the person sees the conflict when approving.`,
      );
  } else if (publish.state === "pushed")
    parts.push(`Pushed to ${outcome.repo} (${outcome.branch} at ${short(publish.sha)}).`);
  if (outcome.outsideMovedTo)
    parts.push(
      `Your command changed the memory's main clone (repo/ at the sandbox's top), which is not yours to change while the person reviews your writes: none of that reaches the memory. It was moved to ${outcome.outsideMovedTo} in the sandbox. Make changes in your own clone, the folder your commands start in.`,
    );
  for (const side of outcome.setAside)
    parts.push(sideBranchNote(side, outcome.branch, side.earlier ? "earlier local commits" : "this command's changes"));
  if (publish.state === "refused") parts.push(refusedText(publish.refusal, outcome.branch));
  if (publish.state === "failed") {
    pushFailed = true;
    parts.push(
      `Push FAILED: the commit is kept in the sandbox only and will be pushed by the next command once GitHub accepts it.\n${publish.message}`,
    );
  }
  const isError =
    outcome.timedOut ||
    outcome.cancelled ||
    outcome.exitCode !== 0 ||
    pushFailed ||
    publish.state === "refused" ||
    Boolean(outcome.commitError) ||
    Boolean(outcome.outsideMovedTo) ||
    outcome.unexplainedPushes.length > 0;
  return { text: parts.filter(Boolean).join("\n\n"), isError };
}

/**
 * What became of a ctx_bash call whose client never saw its result: `cancelled` (the client
 * sent `notifications/cancelled`, the SDK's own request timeout does too) or `abandoned` (its
 * stream closed first). One paragraph, put first in the session's next result, so the AI knows
 * whether the work was done, and what was kept, before it tries again.
 */
export function lateOutcomeText(input: BashInput, outcome: BashOutcome, why: "cancelled" | "abandoned"): string {
  const line = input.command.trim().split("\n")[0] ?? "";
  const command = `\`${line.length > 80 ? `${line.slice(0, 79)}…` : line}\``;
  const when =
    why === "cancelled"
      ? `Your previous command ${command} was cancelled by your client`
      : `Your previous command ${command} finished after your client stopped waiting`;
  if (!outcome.ran) return `${when}: ${outcome.problem}`;
  const how = outcome.cancelled
    ? "it was stopped before it ended"
    : outcome.timedOut
      ? `it timed out after ${outcome.timeoutSeconds} s`
      : `it exited with code ${outcome.exitCode}`;
  const landed = outcome.commit?.landed ?? outcome.commit;
  const kept = landed
    ? `what it had changed was committed as ${short(landed.sha)} (${landed.files.slice(0, MAX_LISTED_FILES).join(", ").replaceAll("\t", " ")})`
    : outcome.commitError
      ? `what it changed could NOT be committed (${outcome.commitError.split("\n")[0]})`
      : "it changed nothing, so nothing was committed";
  const sides = outcome.setAside.filter((side) => !side.earlier).map((side) => side.name);
  const pushed =
    outcome.publish.state === "pushed"
      ? outcome.proposal
        ? ` and proposed on ${outcome.proposal.branch}, awaiting the person's approval`
        : ` and pushed to ${outcome.branch}`
      : outcome.publish.state === "failed"
        ? `, but the push FAILED (the commit is kept in the sandbox and pushed by the next command)`
        : "";
  if (outcome.publish.state === "refused")
    return `${when}: ${how}; NOTHING was pushed: it adds what looks like a secret (${outcome.publish.refusal.findings
      .slice(0, 3)
      .map((finding) => `${showPath(finding.path)}:${finding.line}`)
      .join(", ")}). The changes are kept uncommitted in the clone: remove the secret before anything else.`;
  const aside = sides.length ? `; work was set aside on ${sides.join(", ")}` : "";
  return `${when}: ${how}; ${kept}${outcome.commit ? pushed : ""}${aside}. Check before running it again.`;
}

/** The most findings named one by one in a refusal; the rest are counted. */
const MAX_LISTED_FINDINGS = 10;

/**
 * Why nothing was pushed: each likely secret's file, line, rule and masked line (never the
 * secret), where the work is, and what to do: remove it, or have the person allow a false positive.
 */
function refusedText({ findings, cut }: SecretRefusal, branch: string): string {
  const lines = findings
    .slice(0, MAX_LISTED_FINDINGS)
    .map(
      (finding) =>
        `  ${showPath(finding.path)}:${finding.line}: ${finding.rule}${finding.docs ? ` (${finding.docs})` : ""}\n    ${cleanLine(finding.excerpt, 200)}`,
    );
  if (findings.length > MAX_LISTED_FINDINGS) lines.push(`  … and ${findings.length - MAX_LISTED_FINDINGS} more`);
  return [
    `NOT PUSHED: these changes add what looks like a secret (an API key, a token or a private key), and a secret must never be written into the memory, whose history keeps it for good. Nothing of it reached GitHub: ${branch} there is unchanged. Found by secretlint's recommended rules (secret shown masked):`,
    ...lines,
    `The changes are kept in the clone, uncommitted (commits of ${branch} not yet on GitHub were undone into the working tree): remove or replace the secret (write a placeholder, or where it is kept, never the value) and run your next command; it is committed and pushed then. If it is not a secret, ask the person to allow it on the ctx4-ai page Activity → Refused writes (/activity/findings); the next command pushes it then.`,
    ...(cut ? ["Only the first 2 MiB of what these changes add was scanned."] : []),
  ].join("\n");
}

function stream(name: string, output: StreamOutput): string {
  if (!output.text && !output.truncated) return "";
  const note = output.truncated
    ? `\n[${name} truncated: showing the first ${byteLength(output.text)} of ${output.totalBytes} bytes]`
    : "";
  return `${name}:\n${output.text}${note}`;
}

function committed(commit: SyncCommit, branch: string): string {
  const lines = [`Committed ${short(commit.sha)}:`, ...fileLines(commit.files)];
  if (commit.landed)
    lines.push(`It landed on ${branch} as ${short(commit.landed.sha)}:`, ...fileLines(commit.landed.files));
  if (commit.landed === null)
    lines.push(`Nothing of it was left to add: GitHub's ${branch} already had the same change.`);
  return lines.join("\n");
}

function fileLines(files: string[]): string[] {
  const listed = files.slice(0, MAX_LISTED_FILES).map((line) => `  ${line.replaceAll("\t", " ")}`);
  return files.length > MAX_LISTED_FILES ? [...listed, "  … and more"] : listed;
}

/**
 * ctx_instructions's answer: the guide for the grant (`canWrite`: see guideFor), then the
 * person's instructions, context and index (capped, with how many more entries exist).
 */
export function instructionsText(
  outcome: InstructionsOutcome,
  access: { canWrite: boolean },
): { text: string; isError: boolean } {
  const guide = guideFor(access);
  if (!outcome.ready)
    return { text: `${guide}\n---\n\nThe repository is not available: ${outcome.problem}`, isError: true };
  const parts = [guide, "---", `Repository: ${outcome.repo} (branch ${outcome.branch})`, ...outcome.notes];
  const empty = !outcome.instructions && !outcome.context && !outcome.resources.length && !outcome.skills.length;
  if (empty) {
    parts.push(
      access.canWrite
        ? "This memory is empty so far. Offer to set it up (the `onboarding` prompt does that) and ask the person a few questions about themselves."
        : "This memory is empty so far. With read access only you cannot set it up: tell the person, who can connect this app again with write access.",
    );
  }
  parts.push(file("resources/instructions.md", outcome.instructions), file("resources/context.md", outcome.context));
  parts.push(
    index("Resources (resources/*.md)", outcome.resources, outcome.moreResources, "resources"),
    index("Skills (skills/*/SKILL.md)", outcome.skills, outcome.moreSkills, "skills"),
  );
  if (outcome.skipped.length) {
    parts.push(
      `## Skipped\n\nNot regular files inside the repository (symlinks, or under one), so not read:\n${fileList(outcome.skipped)}`,
    );
  }
  return { text: parts.filter(Boolean).join("\n\n"), isError: false };
}

function file(path: string, content: { text: string; cut: boolean } | null): string {
  if (!content) return `## ${path}\n\n(missing)`;
  return `## ${path}\n\n${content.text.trimEnd()}${content.cut ? `\n\n[cut: read the rest with ctx_read ${path}]` : ""}`;
}

/** A list of paths, one a line, the first {@link MAX_LISTED_FILES} of them and a count of the rest. */
function fileList(paths: string[]): string {
  const listed = paths.slice(0, MAX_LISTED_FILES).map((path) => `- ${showPath(path)}`);
  if (paths.length > MAX_LISTED_FILES) listed.push(`- … and ${paths.length - MAX_LISTED_FILES} more`);
  return listed.join("\n");
}

/** Index descriptions are cut here: the index is for choosing what to read. */
const MAX_DESCRIPTION_LENGTH = 200;

function index(
  title: string,
  entries: { path: string; name: string; description: string; problem?: string }[],
  more: number | undefined,
  folder: string,
) {
  if (!entries.length) return `## ${title}\n\n(none)`;
  const lines = entries.map(
    (entry) =>
      `- ${cleanLine(entry.name, MAX_DESCRIPTION_LENGTH)} (${showPath(entry.path)})${entry.description ? `: ${cleanLine(entry.description, MAX_DESCRIPTION_LENGTH)}` : ""}${entry.problem ? ` [${entry.problem}]` : ""}`,
  );
  if (more)
    lines.push(
      `- … and ${more} more in ${folder}/, not listed here: find them with ctx_search (a word, with path "${folder}") or list the folder with ctx_read "${folder}".`,
    );
  return `## ${title}\n\n${lines.join("\n")}`;
}

/** ctx_search's answer: matches grouped per file as `path:line: text` (context `path-line- text`), and what was left out. */
export function searchText(input: SearchInput, outcome: ReadOutcome<SearchResult>): { text: string; isError: boolean } {
  if (!outcome.ready) return { text: `Nothing was searched. ${outcome.problem}`, isError: true };
  const parts = [...outcome.notes];
  const found = outcome.value;
  const what = `${input.regex ? "regex" : "text"} ${JSON.stringify(input.query)}${input.path ? ` in ${showPath(input.path)}` : ""}`;
  if (found.problem)
    return { text: [...parts, `Nothing was searched for ${what}: ${found.problem}`].join("\n\n"), isError: true };
  const atLeast = found.countsCut ? "at least " : "";
  if (!found.totalFiles) {
    parts.push(`No match for ${what}${input.caseSensitive ? "" : " (ignoring case)"}.`);
  } else {
    parts.push(
      `${atLeast}${found.totalMatches} matching line(s) in ${atLeast}${found.totalFiles} file(s) for ${what}${input.caseSensitive ? "" : " (ignoring case)"}:`,
    );
    for (const file of found.files) parts.push(searchLines(file.path, file.lines));
    const left = found.totalMatches - found.shownMatches;
    if (left > 0) {
      const files = found.more.slice(0, 20).map((file) => `${showPath(file.path)} (${file.matches})`);
      parts.push(
        `${atLeast}${left} more result(s): narrow the query or the path${files.length ? `. Also in: ${files.join(", ")}${found.more.length > files.length ? ", …" : ""}` : ""}.`,
      );
    }
  }
  if (found.timedOut)
    parts.push(
      `The search stopped at its time limit (${SEARCH_SECONDS} s): there may be more matches. Use a simpler pattern or a narrower path.`,
    );
  return { text: parts.join("\n\n"), isError: false };
}

/** Long lines are shown around their match: enough to recognise it, never a whole minified file. */
const MAX_SEARCH_LINE = 300;

function searchLines(path: string, lines: SearchLine[]): string {
  const name = showPath(path);
  const out: string[] = [];
  let previous: number | undefined;
  for (const line of lines) {
    if (previous !== undefined && line.line > previous + 1) out.push("--");
    previous = line.line;
    const text = around(line);
    out.push(`${name}${line.match ? ":" : "-"}${line.line}${line.match ? ":" : "-"}${text ? ` ${text}` : ""}`);
  }
  return out.join("\n");
}

/** A line's text cleaned and cut to about {@link MAX_SEARCH_LINE} characters around its match. */
function around(line: SearchLine): string {
  const points = Array.from(line.text.replace(/\r$/, ""));
  if (points.length <= MAX_SEARCH_LINE) return cleanLine(points.join(""), MAX_SEARCH_LINE);
  // git's column counts bytes: find the character it falls in.
  let start = 0;
  if (line.column) {
    let bytes = 0;
    while (start < points.length && bytes + byteLength(points[start] ?? "") < line.column) {
      bytes += byteLength(points[start] ?? "");
      start += 1;
    }
    start = Math.max(0, start - 50);
  }
  const shown = cleanLine(points.slice(start, start + MAX_SEARCH_LINE).join(""), MAX_SEARCH_LINE);
  return `${start > 0 ? "…" : ""}${shown}${start + MAX_SEARCH_LINE < points.length ? "…" : ""}`;
}

/** ctx_history's answer: one block per commit, newest first, or one commit with its stat and diff. */
export function historyText(
  input: HistoryInput,
  outcome: ReadOutcome<HistoryResult>,
): { text: string; isError: boolean } {
  if (!outcome.ready) return { text: `No history was read. ${outcome.problem}`, isError: true };
  const parts = [...outcome.notes];
  const history = outcome.value;
  if (history.problem) return { text: [...parts, history.problem].join("\n\n"), isError: Boolean(input.commit) };
  if (!history.commits.length) {
    parts.push(input.path ? `No commit changed ${showPath(input.path)}.` : "No commits.");
    return { text: parts.join("\n\n"), isError: false };
  }
  if (!input.commit)
    parts.push(
      `${history.commits.length} most recent commit(s) of ${outcome.branch}${input.path ? ` that changed ${showPath(input.path)}` : ""}, newest first:`,
    );
  parts.push(...history.commits.map(commitBlock));
  if (history.diff) {
    const { text, cut, error } = history.diff;
    parts.push(
      error
        ? `The diff could not be shown: ${error}`
        : `${text}${cut ? `\n[diff cut at ${MAX_DIFF_BYTES / 1000} KB: pass path with commit to see one file's part]` : ""}`,
    );
  } else if (history.commits.length === (input.limit ?? DEFAULT_HISTORY_LIMIT)) {
    parts.push("There may be older commits: raise limit (at most 100) or narrow with path. Show one with commit.");
  }
  return { text: parts.join("\n\n"), isError: false };
}

function commitBlock(commit: HistoryCommit): string {
  const files = commit.files.map((file) =>
    file.from !== undefined
      ? `  ${file.status} ${showPath(file.from)} -> ${showPath(file.path)}`
      : `  ${file.status} ${showPath(file.path)}`,
  );
  if (commit.moreFiles) files.push(`  … and ${commit.moreFiles} more file(s)`);
  return [`${short(commit.sha)} ${commit.date} ${commit.author}: ${commit.subject}`, ...files].join("\n");
}

const byteLength = (text: string) => new TextEncoder().encode(text).byteLength;
