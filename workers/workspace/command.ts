import type { BotIdentity } from "../../app/lib/github/app.server";
import type { SandboxBackend } from "../sandbox/backend";
import { CloneMissingError } from "./problems";
import { RUN_SCRIPT } from "./scripts";
import { identityEnv } from "./sync";

export type StreamOutput = { text: string; truncated: boolean; totalBytes: number };

export type CommandOutcome = {
  /** null when the command was killed (time limit, or cancelled). */
  exitCode: number | null;
  timedOut: boolean;
  /** Stopped on the client's request (MCP `notifications/cancelled`) before it ended by itself. */
  cancelled: boolean;
  stdout: StreamOutput;
  stderr: StreamOutput;
};

export type CommandRequest = {
  command: string;
  identity: BotIdentity;
  timeoutMs: number;
  /** Per stream, of the command's output. */
  maxOutputBytes: number;
  /** Aborting stops the command and everything it started; the outcome comes once they are gone. */
  signal?: AbortSignal;
};

/**
 * Runs a command in the clone (run.sh), in a fresh bash that reads no profile or rc file, with
 * no network.
 * Everything it prints is its own output: what it changed is committed by the sync that
 * follows, in another exec, so no output of the command can pass for our report.
 * @throws CloneMissingError when there is no clone to run in (nothing ran).
 */
export async function runInClone(sandbox: SandboxBackend, request: CommandRequest): Promise<CommandOutcome> {
  const mark = `ctx4-${crypto.randomUUID()}`;
  const result = await sandbox.exec({
    command: RUN_SCRIPT,
    env: { ...identityEnv(request.identity), CTX4_COMMAND: request.command, CTX4_MARK: mark },
    timeoutMs: request.timeoutMs,
    maxOutputBytes: request.maxOutputBytes,
    offline: true,
    signal: request.signal,
  });
  if (result.exitCode === 0 && result.stdout === `${mark} missing\n`) throw new CloneMissingError();
  return {
    exitCode: result.timedOut || result.cancelled ? null : result.exitCode,
    timedOut: result.timedOut,
    cancelled: result.cancelled,
    stdout: { text: result.stdout, truncated: result.stdoutTruncated, totalBytes: result.stdoutBytes },
    stderr: { text: result.stderr, truncated: result.stderrTruncated, totalBytes: result.stderrBytes },
  };
}
