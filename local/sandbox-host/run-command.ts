import { spawn, spawnSync } from "node:child_process";
import { CappedCollector, type CappedOutput } from "./capped-output";

export type RunOptions = {
  command: string;
  /** An existing directory; checked by the caller. */
  cwd: string;
  /** The whole environment of the command: nothing is inherited from this process. */
  env: Record<string, string>;
  timeoutMs: number;
  maxOutputBytes: number;
};

export type RunResult = {
  exitCode: number | null;
  signal: NodeJS.Signals | null;
  timedOut: boolean;
  stdout: CappedOutput;
  stderr: CappedOutput;
  durationMs: number;
};

/** `pid`: the command's first process, which leads a session (and process group) of its own. */
export type RunningCommand = { pid: number | undefined; result: Promise<RunResult>; kill(): void };

// Once bash has exited and its group is killed, only a process that left the group (setsid)
// can still hold the output pipes open; stop waiting for it after this long.
const PIPE_DRAIN_MS = 1_000;

/**
 * How a command is started so that nothing it leaves running outlives it: in a PID namespace
 * of its own (`unshare --pid --fork --kill-child`), whose every process the kernel kills when
 * the command's shell exits, even one that left the process group with `setsid`. Without root,
 * a user namespace is needed for that too. Where neither is allowed (not Linux, or user
 * namespaces switched off) the command runs bare and only its process group is killed.
 */
function findNamespaceWrapper(): string[] {
  const tries = [
    ["unshare", "--pid", "--fork", "--kill-child"],
    ["unshare", "--user", "--map-root-user", "--pid", "--fork", "--kill-child"],
  ];
  for (const wrapper of tries) {
    const [program = "", ...args] = wrapper;
    if (spawnSync(program, [...args, "true"], { stdio: "ignore" }).status === 0) return wrapper;
  }
  console.warn(
    "[sandbox-host] PID namespaces are not available here: a background process that leaves its command's process group (setsid) can outlive the command.",
  );
  return [];
}

let namespaceWrapper: string[] | undefined;

/** Whether commands run in PID namespaces of their own on this machine (see findNamespaceWrapper). */
export function commandsHavePidNamespaces(): boolean {
  namespaceWrapper ??= findNamespaceWrapper();
  return namespaceWrapper.length > 0;
}

/**
 * Runs `bash --noprofile --norc -c command` (no login or rc file: nothing a command wrote in
 * the sandbox runs before the next one), in a PID namespace of its own where the machine
 * allows it, and in its own process group (detached), stdin closed, output capped.
 * On timeout or kill() the whole group gets SIGKILL, so background jobs die too; when bash
 * exits by itself its leftover background jobs are killed as well, so no exec leaves
 * processes behind.
 */
export function runCommand(options: RunOptions): RunningCommand {
  const started = performance.now();
  namespaceWrapper ??= findNamespaceWrapper();
  const [program = "bash", ...args] = [...namespaceWrapper, "bash", "--noprofile", "--norc", "-c", options.command];
  const child = spawn(program, args, {
    cwd: options.cwd,
    env: options.env,
    detached: true,
    stdio: ["ignore", "pipe", "pipe"],
  });
  const stdout = new CappedCollector(child.stdout, options.maxOutputBytes);
  const stderr = new CappedCollector(child.stderr, options.maxOutputBytes);
  let timedOut = false;
  let exited = false;
  let drainTimer: NodeJS.Timeout | undefined;

  // The group id is bash's pid. Only signal it while bash is alive or at the moment it is
  // reaped: later the id could in theory be reused by an unrelated process group.
  const killGroup = () => {
    if (child.pid === undefined) return;
    try {
      process.kill(-child.pid, "SIGKILL");
    } catch {
      // ESRCH: every process of the group is already gone.
    }
  };
  const timer = setTimeout(() => {
    timedOut = true;
    killGroup();
  }, options.timeoutMs);

  const result = new Promise<RunResult>((resolve, reject) => {
    child.on("error", (error) => {
      clearTimeout(timer);
      reject(error);
    });
    child.on("exit", () => {
      exited = true;
      clearTimeout(timer);
      killGroup();
      drainTimer = setTimeout(() => {
        child.stdout.destroy();
        child.stderr.destroy();
      }, PIPE_DRAIN_MS);
    });
    child.on("close", (exitCode, signal) => {
      clearTimeout(drainTimer);
      resolve({
        exitCode,
        signal,
        timedOut,
        stdout: stdout.result(),
        stderr: stderr.result(),
        durationMs: Math.round(performance.now() - started),
      });
    });
  });

  return {
    pid: child.pid,
    result,
    kill() {
      if (!exited) killGroup();
    },
  };
}
