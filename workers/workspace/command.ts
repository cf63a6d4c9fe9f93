import type { BotIdentity } from "../../app/lib/github/app.server";
import type { ExecResult, SandboxBackend } from "../sandbox/backend";
import { RUN_SCRIPT } from "./scripts";
import { identityEnv } from "./sync";

export type StreamOutput = { text: string; truncated: boolean; totalBytes: number };

/** Where the clone's branch stands after the command: `ahead` is null when GitHub has no such branch yet. */
export type BranchState = { head: string | null; branch: string | null; ahead: number | null };

export type CommandOutcome = {
  /** null when the command was killed (time limit). */
  exitCode: number | null;
  timedOut: boolean;
  stdout: StreamOutput;
  stderr: StreamOutput;
  /** The commit made of what the command changed: its sha and git's name-status lines. */
  commit: { sha: string; files: string[] } | null;
  commitError?: string;
  /** The clone (or its .git) is gone: the command removed it. */
  cloneBroken: boolean;
  state: BranchState | null;
};

export type CommandRequest = {
  command: string;
  commitMessage: string;
  identity: BotIdentity;
  timeoutMs: number;
  /** Per stream, of the command's own output. */
  maxOutputBytes: number;
};

/** Room on stdout for run.sh's report after the command's output. */
const REPORT_RESERVE_BYTES = 64 * 1024;
/** For recovering a lost report and committing what a command left: no user code runs then. */
const SETTLE_TIMEOUT_MS = 60_000;

/**
 * Runs a command in the clone and commits what it changed, in one sandbox round trip. When
 * the report is lost (time limit, output far past the cap), a second exec recovers it, or
 * commits what the command left, so a change is never left out of history.
 */
export async function runInClone(sandbox: SandboxBackend, request: CommandRequest): Promise<CommandOutcome> {
  const mark = newMark();
  const result = await sandbox.exec({
    command: RUN_SCRIPT,
    env: {
      ...identityEnv(request.identity),
      CTX4_MARK: mark,
      CTX4_COMMAND: request.command,
      CTX4_COMMIT_MESSAGE: request.commitMessage,
    },
    timeoutMs: request.timeoutMs,
    maxOutputBytes: request.maxOutputBytes + REPORT_RESERVE_BYTES,
  });
  const split = splitReport(result.stdout, mark);
  const recovered = split.report ? undefined : await recover(sandbox, request, mark);
  const report = split.report ?? recovered?.report;
  if (!report) throw new Error("The command's report was lost and could not be recovered.");
  const reportBytes = split.report ? split.reportBytes : (recovered?.lostReportBytes ?? 0);
  return {
    exitCode: result.timedOut ? null : report.exitCode,
    timedOut: result.timedOut,
    stdout: capped(split.output, result.stdoutBytes - reportBytes, request.maxOutputBytes),
    stderr: capped(result.stderr, result.stderrBytes, request.maxOutputBytes),
    commit: report.commit,
    commitError: report.commitError,
    cloneBroken: report.cloneBroken,
    state: report.state,
  };
}

/**
 * After a lost report: the run's own report if run.sh got to write it (output past the cap),
 * and in any case a commit of what the command left (it may have been killed mid-way).
 */
async function recover(sandbox: SandboxBackend, request: CommandRequest, lostMark: string) {
  const mark = newMark();
  const result: ExecResult = await sandbox.exec({
    command: RUN_SCRIPT,
    env: {
      ...identityEnv(request.identity),
      CTX4_MARK: mark,
      CTX4_COMMAND: "",
      CTX4_COMMIT_MESSAGE: request.commitMessage,
      CTX4_LOST_MARK: lostMark,
    },
    timeoutMs: SETTLE_TIMEOUT_MS,
    maxOutputBytes: 2 * REPORT_RESERVE_BYTES,
  });
  const settled = splitReport(result.stdout, mark).report;
  if (!settled) throw new Error(`Could not commit what the command left: ${result.stderr.slice(0, 500)}`);
  const lost = splitReport(result.stdout, lostMark);
  if (!lost.report) return { report: settled };
  return {
    report: { ...lost.report, commit: lost.report.commit ?? settled.commit, state: settled.state },
    lostReportBytes: lost.reportBytes,
  };
}

type Report = Pick<CommandOutcome, "commit" | "commitError" | "cloneBroken" | "state"> & { exitCode: number | null };

/** Separates the command's stdout from run.sh's report (the last one carrying this call's mark). */
export function splitReport(stdout: string, mark: string): { output: string; report?: Report; reportBytes: number } {
  const begin = stdout.lastIndexOf(`\n${mark} begin `);
  if (begin < 0) return { output: stdout, reportBytes: 0 };
  const endLine = `${mark} end\n`;
  const end = stdout.indexOf(endLine, begin);
  if (end < 0) return { output: stdout.slice(0, begin), reportBytes: 0 };
  const lines = stdout.slice(begin + 1, end).split("\n");
  const output = stdout.slice(0, begin) + stdout.slice(end + endLine.length);
  const reportBytes = byteLength(stdout.slice(begin, end + endLine.length));
  const [, , code = "-", status = ""] = (lines.shift() ?? "").split(" ");

  let commitSha: string | undefined;
  const files: string[] = [];
  const errors: string[] = [];
  const state: BranchState = { head: null, branch: null, ahead: null };
  for (const line of lines) {
    if (line.startsWith("# branch.oid ")) state.head = line.slice(13) === "(initial)" ? null : line.slice(13);
    else if (line.startsWith("# branch.head ")) state.branch = line.slice(14) === "(detached)" ? null : line.slice(14);
    else if (line.startsWith("# branch.ab ")) state.ahead = Number(/^\+(\d+)/.exec(line.slice(12))?.[1] ?? 0);
    else if (line.startsWith("@commit ")) commitSha = line.slice(8);
    else if (line.startsWith("! ")) errors.push(line.slice(2));
    else if (line.includes("\t")) files.push(line);
  }
  const cloneBroken = status === "missing" || status === "no-git";
  return {
    output,
    reportBytes,
    report: {
      exitCode: code === "-" ? null : Number(code),
      commit: status === "done" && commitSha ? { sha: commitSha, files } : null,
      commitError: status === "failed" ? errors.join("\n") : undefined,
      cloneBroken,
      state: cloneBroken ? null : state,
    },
  };
}

function capped(text: string, totalBytes: number, maxBytes: number): StreamOutput {
  const bytes = new TextEncoder().encode(text);
  if (bytes.byteLength <= maxBytes) return { text, truncated: totalBytes > bytes.byteLength, totalBytes };
  return { text: new TextDecoder().decode(bytes.subarray(0, maxBytes)), truncated: true, totalBytes };
}

const byteLength = (text: string) => new TextEncoder().encode(text).byteLength;

function newMark(): string {
  const bytes = crypto.getRandomValues(new Uint8Array(16));
  return `ctx4-${Array.from(bytes, (byte) => byte.toString(16).padStart(2, "0")).join("")}`;
}
