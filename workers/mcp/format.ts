import type { BashInput } from "../workspace/bash-input";
import type { StreamOutput } from "../workspace/command";
import type { SyncCommit } from "../workspace/sync";
import type { BashOutcome, InstructionsOutcome } from "../workspace/workspace";
import { short, sideBranchNote } from "../workspace/workspace";
import { GUIDE } from "./guide";

const MAX_LISTED_FILES = 20;

/** ctx_bash's answer as text for the AI, and whether it is an error (non-zero exit, failed push). */
export function bashResultText(outcome: BashOutcome): { text: string; isError: boolean } {
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
  if (publish.state === "pushed") parts.push(`Pushed to ${outcome.repo} (${outcome.branch} at ${short(publish.sha)}).`);
  for (const side of outcome.setAside)
    parts.push(sideBranchNote(side, outcome.branch, side.earlier ? "earlier local commits" : "this command's changes"));
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
    Boolean(outcome.commitError) ||
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
      ? ` and pushed to ${outcome.branch}`
      : outcome.publish.state === "failed"
        ? `, but the push FAILED (the commit is kept in the sandbox and pushed by the next command)`
        : "";
  const aside = sides.length ? `; work was set aside on ${sides.join(", ")}` : "";
  return `${when}: ${how}; ${kept}${outcome.commit ? pushed : ""}${aside}. Check before running it again.`;
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

/** ctx_instructions's answer: the guide, then the person's instructions, context and index. */
export function instructionsText(outcome: InstructionsOutcome): { text: string; isError: boolean } {
  if (!outcome.ready)
    return { text: `${GUIDE}\n---\n\nThe repository is not available: ${outcome.problem}`, isError: true };
  const parts = [GUIDE, "---", `Repository: ${outcome.repo} (branch ${outcome.branch})`, ...outcome.notes];
  const empty = !outcome.instructions && !outcome.context && !outcome.resources.length && !outcome.skills.length;
  if (empty) {
    parts.push(
      "This memory is empty so far. Offer to set it up (the `onboarding` prompt does that) and ask the person a few questions about themselves.",
    );
  }
  parts.push(file("resources/instructions.md", outcome.instructions), file("resources/context.md", outcome.context));
  parts.push(
    index("Resources (resources/*.md)", outcome.resources),
    index("Skills (skills/*/SKILL.md)", outcome.skills),
  );
  if (outcome.skipped.length) {
    parts.push(
      `## Skipped\n\nNot regular files inside the repository (symlinks, or under one), so not read:\n${outcome.skipped.map((path) => `- ${path}`).join("\n")}`,
    );
  }
  return { text: parts.filter(Boolean).join("\n\n"), isError: false };
}

function file(path: string, content: { text: string; cut: boolean } | null): string {
  if (!content) return `## ${path}\n\n(missing)`;
  return `## ${path}\n\n${content.text.trimEnd()}${content.cut ? `\n\n[cut: read the rest with ctx_bash \`cat ${path}\`]` : ""}`;
}

function index(title: string, entries: { path: string; name: string; description: string; problem?: string }[]) {
  if (!entries.length) return `## ${title}\n\n(none)`;
  const lines = entries.map(
    (entry) =>
      `- ${entry.name} (${entry.path})${entry.description ? `: ${entry.description}` : ""}${entry.problem ? ` [${entry.problem}]` : ""}`,
  );
  return `## ${title}\n\n${lines.join("\n")}`;
}

const byteLength = (text: string) => new TextEncoder().encode(text).byteLength;
