import type { BotIdentity } from "../../app/lib/github/app.server";
import type { SandboxBackend } from "../sandbox/backend";
import { redactSecrets } from "./redact";
import { SYNC_SCRIPT } from "./scripts";

/** The repo a clone follows, as the user's config names it. */
export type CloneTarget = { repoId: number; fullName: string; cloneUrl: string; branch: string };

/** Hands out the installation token: the cached one, or a fresh one after GitHub refused it. */
export type GitCredentials = { token(): Promise<string>; renew(): Promise<string> };

export type SyncOutcome = {
  /** The clone was made now (its head, or null for an empty repo). */
  cloned?: { head: string | null };
  /** Where the files of an old clone that was not of this repo were put. */
  movedAside?: string;
  /** Changes an earlier command left uncommitted, committed now. */
  committedLeftovers?: string;
  fetched: boolean;
  integrated?: "fast-forward" | "rebased";
  pushed?: string;
  /** Local commits that conflicted with GitHub's branch, pushed to a side branch instead. */
  sideBranch?: { name: string; sha: string; conflicts: string[] };
  head?: string | null;
  /** GitHub's branch as the clone last saw it (null: GitHub has no such branch yet). */
  upstream?: string | null;
};

/**
 * `fetch`: commit leftovers, fetch, integrate, push. `push-only`: commit leftovers and push
 * (fetching only if GitHub rejects the push). `read`: fetch and fast-forward a clean clone.
 */
export type SyncMode = "fetch" | "push-only" | "read";

export type SyncFailure = "auth" | "not-found" | "forbidden" | string;

/** A git step against GitHub failed; `message` is git's own, redacted. */
export class SyncError extends Error {
  override readonly name = "SyncError";
  constructor(
    readonly failure: SyncFailure,
    message: string,
  ) {
    super(message);
  }
}

/**
 * Git's filter for the clone: every blob up to 1 MB comes along, so the history of notes is
 * all there (`git log -p` works offline); larger files of old commits stay on GitHub. The
 * checkout still gets every file of the branch.
 */
export const CLONE_FILTER = "blob:limit=1m";
const SYNC_TIMEOUT_MS = 180_000;
const SYNC_OUTPUT_BYTES = 256 * 1024;
const LEFTOVER_MESSAGE = "Commit changes an earlier command left uncommitted";

/**
 * Runs sync.sh: clones when there is no clone of this repo, otherwise syncs as `mode` says.
 * The token reaches only this exec. When GitHub refuses the token, a fresh one is minted and
 * the script runs once more; the caller never notices.
 */
export async function syncClone(
  sandbox: SandboxBackend,
  target: CloneTarget,
  identity: BotIdentity,
  credentials: GitCredentials,
  mode: SyncMode,
): Promise<SyncOutcome> {
  const attempt = async (token: string): Promise<SyncAttempt> => {
    const result = await sandbox.exec({
      command: SYNC_SCRIPT,
      env: {
        ...identityEnv(identity),
        CTX4_GIT_TOKEN: token,
        CTX4_REPO_URL: target.cloneUrl,
        CTX4_REPO_ID: String(target.repoId),
        CTX4_BRANCH: target.branch,
        CTX4_MODE: mode,
        CTX4_CLONE_FILTER: CLONE_FILTER,
        CTX4_LEFTOVER_MESSAGE: LEFTOVER_MESSAGE,
      },
      timeoutMs: SYNC_TIMEOUT_MS,
      maxOutputBytes: SYNC_OUTPUT_BYTES,
    });
    const message = redactSecrets(result.stderr.trim(), [token]);
    if (result.timedOut)
      return { failure: "timeout", message: `git did not finish within ${SYNC_TIMEOUT_MS / 1000} s` };
    const parsed = parseSyncEvents(result.stdout);
    if (parsed.failure) return { failure: parsed.failure, message: message || `git failed (${parsed.failure})` };
    if (!parsed.outcome) return { failure: "no-report", message: message || "git stopped without a report" };
    return { outcome: parsed.outcome };
  };

  let result = await attempt(await credentials.token());
  // A refused token may be revoked or stale (a repo renamed, access changed): a fresh one
  // either works or makes GitHub say exactly what is wrong (uninstalled, suspended, no repo).
  if ("failure" in result && RENEW_ON.has(result.failure)) result = await attempt(await credentials.renew());
  if ("failure" in result) throw new SyncError(result.failure, result.message);
  return result.outcome;
}

const RENEW_ON = new Set<SyncFailure>(["auth", "forbidden", "not-found"]);

type SyncAttempt = { outcome: SyncOutcome } | { failure: SyncFailure; message: string };

/** The commit identity every exec gets: the App's bot, for our commits and the command's own. */
export function identityEnv(identity: BotIdentity): Record<string, string> {
  return {
    GIT_AUTHOR_NAME: identity.name,
    GIT_AUTHOR_EMAIL: identity.email,
    GIT_COMMITTER_NAME: identity.name,
    GIT_COMMITTER_EMAIL: identity.email,
  };
}

/** Reads the "@event ..." lines of sync.sh. */
export function parseSyncEvents(stdout: string): { outcome?: SyncOutcome; failure?: SyncFailure } {
  const outcome: SyncOutcome = { fetched: false };
  let complete = false;
  for (const line of stdout.split("\n")) {
    const [event, ...words] = line.split(" ");
    const rest = words.join(" ");
    switch (event) {
      case "@error":
        return { failure: rest || "unknown" };
      case "@cloned":
        outcome.cloned = { head: rest === "empty" ? null : rest };
        outcome.head = outcome.cloned.head;
        complete = true;
        break;
      case "@moved-aside":
        outcome.movedAside = rest;
        break;
      case "@committed":
        outcome.committedLeftovers = rest;
        break;
      case "@fetched":
        outcome.fetched = true;
        break;
      case "@integrated":
        if (rest === "fast-forward" || rest === "rebased") outcome.integrated = rest;
        break;
      case "@pushed":
        outcome.pushed = rest;
        break;
      case "@side-branch":
        outcome.sideBranch = { name: words[0] ?? "", sha: words[1] ?? "", conflicts: [] };
        break;
      case "@conflict":
        outcome.sideBranch?.conflicts.push(rest);
        break;
      case "@upstream":
        outcome.upstream = rest === "none" ? null : rest;
        break;
      case "@head":
        outcome.head = rest === "empty" ? null : rest;
        complete = true;
        break;
    }
  }
  return complete ? { outcome } : {};
}
