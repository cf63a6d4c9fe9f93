/**
 * Where a user's commands run: one sandbox per user, holding the clone of their repo. Two
 * implementations sit behind this: Cloudflare Sandbox containers in production and the local
 * sandbox host in development and tests. Everything above this interface is the same for both.
 */
export interface SandboxBackend {
  /** Runs `bash -lc command` in the sandbox and waits for it, whatever its outcome. */
  exec(request: ExecRequest): Promise<ExecResult>;
  /** Kills running commands and removes the sandbox with everything in it. */
  destroy(): Promise<void>;
}

export type ExecRequest = {
  command: string;
  /** Relative to the sandbox's workspace directory; the workspace directory itself when absent. */
  cwd?: string;
  /** Added to the sandbox's own minimal environment for this command only. */
  env?: Record<string, string>;
  /** The command and everything it started are killed after this long. */
  timeoutMs: number;
  /** Per stream: output past this many bytes is counted but not kept. */
  maxOutputBytes: number;
  /**
   * A user's command: no network at all, where the sandbox allows a network namespace (only our
   * sync talks to GitHub), which keeps it from the sandbox's control plane and, locally, from
   * the services on the machine's loopback; locally it also sees only its own sandbox folder.
   * Our own scripts, which run none of a command's code, leave it off and skip that cost.
   */
  offline?: boolean;
  /**
   * Aborting it stops the command: it and everything it started are killed (as at the time
   * limit), and `exec` still resolves, with what it printed so far and `cancelled: true`, only
   * once they are gone, so that whatever runs next in the sandbox never meets one of them.
   * Never sent to the sandbox itself.
   */
  signal?: AbortSignal;
};

export type ExecResult = {
  /** null when the command was killed. */
  exitCode: number | null;
  timedOut: boolean;
  /** The command was stopped because `signal` aborted (MCP `notifications/cancelled`). */
  cancelled: boolean;
  stdout: string;
  stderr: string;
  stdoutTruncated: boolean;
  stderrTruncated: boolean;
  /** Bytes the command wrote, counted past the cap too. */
  stdoutBytes: number;
  stderrBytes: number;
};

/** The sandbox could not be reached or refused the request: no command ran. */
export class SandboxUnavailableError extends Error {
  override readonly name = "SandboxUnavailableError";
}
