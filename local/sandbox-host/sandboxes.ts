import type { GitEgressRelay } from "./git-egress-relay";
import { type RunningCommand, runCommand } from "./run-command";
import type { SandboxDirs } from "./sandbox-dirs";
import type { ExecRequest } from "./validation";

export type ExecResponse = {
  exitCode: number | null;
  signal: string | null;
  timedOut: boolean;
  stdout: string;
  stderr: string;
  stdoutTruncated: boolean;
  stderrTruncated: boolean;
  /** Bytes the command wrote, counted past the cap too. */
  stdoutBytes: number;
  stderrBytes: number;
  durationMs: number;
};

/** How long a cancel that came before its exec is remembered. */
const EARLY_CANCEL_KEPT_MS = 60_000;

/**
 * The sandboxes of this host: where their commands run and which are running now, so that
 * destroying a sandbox (or stopping the host) can kill them. Commands of one sandbox are not
 * serialised here: the caller owns that.
 */
export class Sandboxes {
  private readonly running = new Map<string, Set<RunningCommand>>();
  /** Running commands the caller named (`execId`), by `<sandbox id>/<exec id>`. */
  private readonly named = new Map<string, RunningCommand>();
  /** Names cancelled before their exec arrived (the two requests race): those start killed. */
  private readonly cancelledEarly = new Set<string>();

  constructor(
    private readonly dirs: SandboxDirs,
    private readonly relay: GitEgressRelay,
    private readonly record: (entry: object) => void,
    /** false: commands run without namespaces (see RunOptions). */
    private readonly namespaces?: boolean,
  ) {}

  /** Runs a command; `signal` aborting (the client went away) kills its process group. */
  async exec(id: string, request: ExecRequest, signal: AbortSignal): Promise<ExecResponse> {
    const dir = await this.dirs.ensure(id);
    const cwd = await this.dirs.resolveCwd(dir, request.cwd);
    const env = { ...commandBaseEnv(dir, await this.relay.proxyUrl(id)), ...request.env };
    const command = runCommand({
      command: request.command,
      cwd,
      env,
      timeoutMs: request.timeoutMs,
      maxOutputBytes: request.maxOutputBytes,
      offline: request.offline,
      // A command (offline) sees its own sandbox only; our own sync steps need not pay for that.
      confine: request.offline
        ? { own: dir, hide: this.dirs.hidden, fstab: this.dirs.confinementTableFile(id) }
        : undefined,
      namespaces: this.namespaces,
    });
    const ofSandbox = this.running.get(id) ?? new Set();
    this.running.set(id, ofSandbox.add(command));
    const kill = () => command.kill();
    const name = request.execId && `${id}/${request.execId}`;
    if (name) this.named.set(name, command);
    signal.addEventListener("abort", kill, { once: true });
    if (signal.aborted || (name && this.cancelledEarly.delete(name))) kill();
    try {
      const result = await command.result;
      const encode = (bytes: Buffer) => bytes.toString(request.encoding);
      this.record({
        sandbox: id,
        exec: { command: request.command, cwd: request.cwd, env },
        stdout: result.stdout.bytes.toString("utf8"),
        stderr: result.stderr.bytes.toString("utf8"),
      });
      return {
        exitCode: result.exitCode,
        signal: result.signal,
        timedOut: result.timedOut,
        stdout: encode(result.stdout.bytes),
        stderr: encode(result.stderr.bytes),
        stdoutTruncated: result.stdout.truncated,
        stderrTruncated: result.stderr.truncated,
        stdoutBytes: result.stdout.totalBytes,
        stderrBytes: result.stderr.totalBytes,
        durationMs: result.durationMs,
      };
    } finally {
      signal.removeEventListener("abort", kill);
      if (name && this.named.get(name) === command) this.named.delete(name);
      ofSandbox.delete(command);
      if (ofSandbox.size === 0 && this.running.get(id) === ofSandbox) this.running.delete(id);
    }
  }

  /**
   * Stops the command the caller named `execId` (its whole group, as at the time limit); its
   * exec then answers as usual once its processes are gone. Nothing happens if it is not running.
   */
  cancel(id: string, execId: string): void {
    const name = `${id}/${execId}`;
    const command = this.named.get(name);
    if (command) {
      command.kill();
      return;
    }
    // Kept only briefly: an exec that never comes must not leave its name here for good.
    this.cancelledEarly.add(name);
    setTimeout(() => this.cancelledEarly.delete(name), EARLY_CANCEL_KEPT_MS).unref();
  }

  /** The session ids of the sandbox's running commands (each leads a session of its own). */
  sessions(id: string): number[] {
    return [...(this.running.get(id) ?? [])].flatMap((command) => (command.pid === undefined ? [] : [command.pid]));
  }

  /** Kills the sandbox's running commands, waits for them, then removes its directory. */
  async destroy(id: string): Promise<void> {
    await this.killAll(this.running.get(id));
    await this.relay.close(id);
    await this.dirs.remove(id);
  }

  /** Kills every running command of every sandbox and waits for them to end. */
  async stopAll(): Promise<void> {
    await Promise.all([...this.running.values()].map((commands) => this.killAll(commands)));
  }

  private async killAll(commands: Set<RunningCommand> | undefined): Promise<void> {
    const list = [...(commands ?? [])];
    for (const command of list) command.kill();
    await Promise.allSettled(list.map((command) => command.result));
  }
}

/**
 * A command starts from this minimal environment, nothing of the host's (PATH is not secret and
 * keeps tools such as node reachable). `http_proxy` is the sandbox's way to the git egress route.
 */
function commandBaseEnv(sandboxDir: string, proxyUrl: string): Record<string, string> {
  return {
    PATH: process.env.PATH ?? "/usr/local/bin:/usr/bin:/bin",
    HOME: sandboxDir,
    LANG: "C.UTF-8",
    TERM: "dumb",
    GIT_TERMINAL_PROMPT: "0",
    http_proxy: proxyUrl,
  };
}
