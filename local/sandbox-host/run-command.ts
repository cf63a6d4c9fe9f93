import { spawn, spawnSync } from "node:child_process";
import { randomUUID } from "node:crypto";
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  readlinkSync,
  renameSync,
  rmSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { CappedCollector, type CappedOutput } from "./capped-output";
import { outputHolders } from "./peer-process";

export type RunOptions = {
  command: string;
  /** An existing directory; checked by the caller. */
  cwd: string;
  /** The whole environment of the command: nothing is inherited from this process. */
  env: Record<string, string>;
  timeoutMs: number;
  maxOutputBytes: number;
  /** No network at all (see findNamespaceWrappers). */
  offline: boolean;
  /**
   * The command sees its sandbox folder `own`, and nothing under the folders `hide` (the local
   * stack's data, the checkout): see CONFINE_SCRIPT. Only where namespaces are allowed.
   * `fstab`: where this sandbox's mount table is kept (see confinementTable), in a folder
   * `hide` covers, so no command can read or change it.
   */
  confine?: { own: string; hide: string[]; fstab: string };
  /**
   * false runs the command bare, as where namespaces are not allowed (and as the container runs
   * it when it refuses them), so that tests see what a process escaping the group can do.
   */
  namespaces?: boolean;
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

/**
 * The grace for output in flight once bash has exited and its group is killed. Like the
 * container SDK, the host answers when the command's output pipes close, never before; what
 * still holds them then left the group (setsid, a daemon) outside a PID namespace, and is
 * killed after this long, so the pipes close with everything written to them read. Only where
 * there is no /proc to find it by are the pipes let go of then, with what was read.
 */
const OUTPUT_GRACE_MS = 200;

/**
 * How a command is started: `online` so that nothing it leaves running outlives it, in a PID
 * namespace of its own (`unshare --pid --fork --kill-child`), whose every process the kernel
 * kills when the command's shell exits, even one that left the process group with `setsid`,
 * and which sees only its own processes in /proc (`--mount-proc`: not the host's environment);
 * `offline` in a network namespace of its own as well, with no network at all (not even this
 * machine's loopback, where the local stack listens). Without root, a user namespace is needed
 * for either. Where they are not allowed (not Linux, or user namespaces switched off) the
 * command runs bare: only its process group is killed, and it has this machine's network.
 */
function findNamespaceWrappers(): { online: string[]; offline: string[] } {
  const works = (wrapper: string[]) =>
    spawnSync(wrapper[0] ?? "", [...wrapper.slice(1), "true"], { stdio: "ignore" }).status === 0;
  for (const user of [[], ["--user", "--map-root-user"]]) {
    const online = ["unshare", ...user, "--pid", "--fork", "--kill-child", "--mount-proc"];
    if (!works(online)) continue;
    const offline = [...online, "--net"];
    if (works(offline)) return { online, offline };
    console.warn(
      "[sandbox-host] network namespaces are not available here: commands can reach this machine's network.",
    );
    return { online, offline: online };
  }
  console.warn(
    "[sandbox-host] PID namespaces are not available here: a background process that leaves its command's process group (setsid) can outlive the command, and commands can reach this machine's network.",
  );
  return { online: [], offline: [] };
}

/**
 * Run first in the command's own mount namespace (`--mount-proc` gives it one): one `mount -a`
 * over the sandbox's table (confinementTable) puts an empty tmpfs over each folder to hide, then
 * binds the sandbox folder, opened beforehand, back at its own path, so the command sees its
 * sandbox and none of the others, nor the stack's files. One mount for all: each mount process
 * costs several milliseconds on a small VM, and an exec paid four. The command then runs in a
 * user and mount namespace of its own: the mounts it inherits that way are locked
 * (mount_namespaces(7)), so even as root it cannot unmount them to look beneath.
 * Arguments: the sandbox folder, its table's file, the command.
 */
const CONFINE_SCRIPT = `
exec 3<"$1" || exit 125
mount --all --no-canonicalize --fstab "$2" || exit 125
exec 3<&-
cd "$PWD" || exit 125
exec unshare --user --map-root-user --mount bash --noprofile --norc -c "$3"
`;

/**
 * The fstab(5) that CONFINE_SCRIPT mounts, in order: a tmpfs over each folder of `hide`, then
 * `own` (open as the script's fd 3: its path lies under a hidden folder by then) bound back at
 * its own path, the mount point made first (`X-mount.mkdir`, mount(8)). Paths are escaped as
 * fstab(5) asks: space, tab, newline and backslash as octal.
 */
function confinementTable(own: string, hide: string[]): string {
  const field = (path: string) =>
    path.replace(/[\\ \t\n]/g, (char) => `\\${char.charCodeAt(0).toString(8).padStart(3, "0")}`);
  return [
    ...hide.map((dir) => `ctx4-hidden ${field(dir)} tmpfs mode=0755,size=64k 0 0`),
    `/proc/self/fd/3 ${field(own)} none bind,X-mount.mkdir 0 0`,
  ]
    .join("\n")
    .concat("\n");
}

/**
 * Writes the sandbox's table to `file` unless it already holds it: whole, by a rename, so that
 * a mount reading it for another exec of the sandbox never sees half of it.
 */
function writeConfinementTable(file: string, table: string) {
  const held = existsSync(file) ? readFileSync(file, "utf8") : undefined;
  if (held === table) return;
  mkdirSync(dirname(file), { recursive: true, mode: 0o700 });
  const written = `${file}.${randomUUID()}`;
  writeFileSync(written, table, { mode: 0o600 });
  renameSync(written, file);
}

/** Whether CONFINE_SCRIPT works under `wrapper` here: tried once on a throw-away folder. */
function confinementWorks(wrapper: string[]): boolean {
  if (wrapper.length === 0) return false;
  const dir = mkdtempSync(join(tmpdir(), "ctx4-confine-"));
  try {
    const own = join(dir, "hidden", "own");
    mkdirSync(own, { recursive: true });
    const hidden = join(dir, "hidden");
    const probe = `[ -d ${JSON.stringify(own)} ] && [ ! -e ${JSON.stringify(join(hidden, "other"))} ] && ! umount -l ${JSON.stringify(hidden)} 2>/dev/null`;
    mkdirSync(join(dir, "hidden", "other"));
    const fstab = join(dir, "table");
    writeConfinementTable(fstab, confinementTable(own, [hidden]));
    const [program = "", ...args] = wrapper;
    const result = spawnSync(
      program,
      [...args, "bash", "--noprofile", "--norc", "-c", CONFINE_SCRIPT, "ctx4-confine", own, fstab, probe],
      {
        cwd: own,
        stdio: "ignore",
      },
    );
    return result.status === 0;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

let namespaces: { online: string[]; offline: string[]; confine: boolean } | undefined;

function commandWrappers() {
  if (!namespaces) {
    const wrappers = findNamespaceWrappers();
    const confine = confinementWorks(wrappers.online);
    if (wrappers.online.length > 0 && !confine) {
      console.warn(
        "[sandbox-host] mount namespaces are not available here: commands can see other sandboxes and the stack's files.",
      );
    }
    namespaces = { ...wrappers, confine };
  }
  return namespaces;
}

/** Which namespaces commands get on this machine (see findNamespaceWrappers and CONFINE_SCRIPT). */
export function commandNamespaces(): { pid: boolean; network: boolean; confined: boolean } {
  const wrappers = commandWrappers();
  return { pid: wrappers.online.length > 0, network: wrappers.offline.includes("--net"), confined: wrappers.confine };
}

/**
 * Runs `bash --noprofile --norc -c command` (no login or rc file: nothing a command wrote in
 * the sandbox runs before the next one), in a PID namespace of its own (and a network one when
 * `offline`, and a mount namespace that shows it only its own sandbox of the stack's folders)
 * where the machine allows it, and in its own process group (detached), stdin closed, output capped.
 * On timeout or kill() the whole group gets SIGKILL, so background jobs die too; when bash
 * exits by itself its leftover background jobs are killed as well, so no exec leaves
 * processes behind.
 */
export function runCommand(options: RunOptions): RunningCommand {
  const started = performance.now();
  const wrappers = commandWrappers();
  const bare = options.namespaces === false;
  const wrapper = bare ? [] : options.offline ? wrappers.offline : wrappers.online;
  const confine = wrappers.confine && !bare ? options.confine : undefined;
  if (confine) writeConfinementTable(confine.fstab, confinementTable(confine.own, confine.hide));
  const bash = confine
    ? ["bash", "--noprofile", "--norc", "-c", CONFINE_SCRIPT, "ctx4-confine", confine.own, confine.fstab]
    : ["bash", "--noprofile", "--norc", "-c"];
  // A gate in front: sh waits for a line on stdin, then runs the command with stdin closed
  // (/dev/null). Until then its output's identities are read (below): a quick command could
  // otherwise have exited, and a leftover of it still hold them unseen, before they were read.
  const child = spawn(
    "sh",
    ["-c", 'read -r _ && exec "$@" </dev/null', "ctx4-gate", ...wrapper, ...bash, options.command],
    {
      cwd: options.cwd,
      env: options.env,
      detached: true,
      stdio: ["pipe", "pipe", "pipe"],
    },
  );
  const stdout = new CappedCollector(child.stdout, options.maxOutputBytes);
  const stderr = new CappedCollector(child.stderr, options.maxOutputBytes);
  let timedOut = false;
  let exited = false;
  let closed = false;
  let graceTimer: NodeJS.Timeout | undefined;
  // What the command's stdout and stderr are (Node's socket pairs: the command's ends have
  // inodes of their own), to find who still holds them after it exited.
  const outputs = [1, 2].flatMap((fd) => {
    try {
      return [readlinkSync(`/proc/${child.pid}/fd/${fd}`)];
    } catch {
      return [];
    }
  });
  child.stdin.on("error", () => {
    // The gate is gone already (killed): its exit is handled below.
  });
  child.stdin.end("\n");

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
      graceTimer = setTimeout(() => {
        void outputHolders(outputs).then((holders) => {
          if (closed) return;
          if (holders) for (const pid of holders) killProcess(pid);
          else {
            child.stdout.destroy();
            child.stderr.destroy();
          }
        });
      }, OUTPUT_GRACE_MS);
    });
    child.on("close", (exitCode, signal) => {
      closed = true;
      clearTimeout(graceTimer);
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

function killProcess(pid: number) {
  try {
    process.kill(pid, "SIGKILL");
  } catch {
    // ESRCH: it is gone already.
  }
}
