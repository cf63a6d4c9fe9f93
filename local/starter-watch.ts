import { readFileSync } from "node:fs";

/**
 * Calls `onGone` once the process that started this one is gone, however it died (SIGKILL
 * included, which no handler sees). `npm run dev` is npm → `sh -c` → tsx → us: npm killed hard
 * leaves the shell and tsx running, so our own parent never changes. So the watch covers every
 * ancestor that runs inside the same npm script (their environment has npm's
 * `npm_lifecycle_event`) and the one that started them: npm itself, or, run without npm, our
 * parent. An ancestor counts as gone when its pid no longer names the process it named at start
 * (its start time in `/proc/<pid>/stat` differs), since pids are reused. Without `/proc`
 * (not Linux), only our parent is watched, by `process.ppid` changing (we were reparented).
 * Checks every `intervalMs`; the timer never keeps the process alive.
 */
export function watchStarter(onGone: () => void, intervalMs = 1000): void {
  const watched = starterChain();
  const firstParent = process.ppid;
  const timer = setInterval(() => {
    const gone = watched
      ? watched.some(({ pid, startTime }) => statOf(pid)?.startTime !== startTime)
      : process.ppid !== firstParent;
    if (!gone) return;
    clearInterval(timer);
    onGone();
  }, intervalMs);
  timer.unref();
}

type Ancestor = { pid: number; startTime: string };

/** The ancestors to watch, nearest first; undefined without `/proc`. */
function starterChain(): Ancestor[] | undefined {
  const chain: Ancestor[] = [];
  let pid = process.ppid;
  while (pid > 1) {
    const stat = statOf(pid);
    if (!stat) return chain.length > 0 ? chain : undefined;
    chain.push({ pid, startTime: stat.startTime });
    if (!inNpmScript(pid)) break;
    pid = stat.parent;
  }
  return chain;
}

/** The parent pid and start time (field 22, in clock ticks since boot) of a process, per proc(5). */
function statOf(pid: number): { parent: number; startTime: string } | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    // The command name in parentheses may hold spaces and parentheses: fields follow the last ")".
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    const parent = fields[1];
    const startTime = fields[19];
    return parent && startTime ? { parent: Number(parent), startTime } : undefined;
  } catch {
    return undefined;
  }
}

/** Whether a process runs inside an npm script: npm sets `npm_lifecycle_event` for the script's processes. */
function inNpmScript(pid: number): boolean {
  try {
    return readFileSync(`/proc/${pid}/environ`, "latin1")
      .split("\0")
      .some((entry) => entry.startsWith("npm_lifecycle_event="));
  } catch {
    return false;
  }
}
