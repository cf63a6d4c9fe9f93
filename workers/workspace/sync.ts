import type { BotIdentity } from "../../app/lib/github/app.server";
import type { SandboxBackend } from "../sandbox/backend";
import { gitRemoteUrl } from "../sandbox/git-egress";
import { SYNC_SCRIPT, WEB_ACTIONS_SCRIPT } from "./scripts";
import { addedFiles, clearedDigest, findSecrets, type PendingPush, type SecretFinding } from "./secret-scan";
import { CLONE_FILTER, SYNC_TIMEOUT_MS } from "./sync-settings";
import { type ActionReport, type WebAction, webActionEnv } from "./web-actions";

/** The repo a clone follows, as the user's config names it. */
export type CloneTarget = { repoId: number; fullName: string; cloneUrl: string; branch: string };

/**
 * The installation token, for the Worker's side of git only (the egress route, the ref check):
 * the cached one, or a fresh one after GitHub refused it.
 */
export type GitCredentials = { token(): Promise<string>; renew(): Promise<string> };

/**
 * A commit sync.sh made of what was uncommitted: its sha and git's name-status lines
 * (`"M\tpath"`, `"R100\told\tnew"`). `landed` is set when it reached the branch as another
 * commit: rebased because GitHub's branch had moved on since the clone's (someone pushed, or a
 * command moved the branch back), or put together with a command's own commits. Its files may
 * differ, as git follows renames; null when nothing of it was left to add.
 */
export type SyncCommit = { sha: string; files: string[]; landed?: { sha: string; files: string[] } | null };

/**
 * A file worth a word in the result: `refused` (over GitHub's 100 MiB limit) and `unstorable`
 * (a name git refuses) were left out of the commit; `large` (over 50 MiB, which GitHub warns
 * of) and `binary` were committed; `kept-aside`, over the limit too, was in work set aside on
 * a side branch, and is kept in the sandbox at `folder`/`path` instead. `bytes` is the size.
 */
export type FlaggedFile =
  | { kind: "refused" | "large" | "binary"; path: string; bytes: number }
  | { kind: "kept-aside"; path: string; bytes: number; folder: string }
  | { kind: "unstorable"; path: string };

/**
 * Work pushed to a new branch on GitHub instead of the memory's branch: `conflict`, commits
 * that conflicted with it; `recovered`, the files of a clone that had lost its git data;
 * `stashed`, changes put away with `git stash` (which lives only in the clone).
 */
export type SideBranch = { name: string; sha: string; why: SideBranchReason; conflicts: string[] };

const SIDE_BRANCH_REASONS = ["conflict", "recovered", "stashed"] as const;
type SideBranchReason = (typeof SIDE_BRANCH_REASONS)[number];
const isSideBranchReason = (word: string | undefined): word is SideBranchReason =>
  SIDE_BRANCH_REASONS.some((reason) => reason === word);

export type SyncOutcome = {
  /** The clone was made now (its head, or null for an empty repo). */
  cloned?: { head: string | null };
  /** Where the files of an old clone (of another repo, or without its .git) were put. */
  movedAside?: string;
  /** What was uncommitted, committed now. */
  committed?: SyncCommit;
  /** The commit a web action made (modes `revert` and `bring-in`), as `committed` is reported. */
  acted?: SyncCommit;
  /** What a web action did, when it made no commit or the commit did not land (see web-actions.sh). */
  action?: ActionReport;
  fetched: boolean;
  integrated?: "fast-forward" | "rebased";
  pushed?: string;
  /** Work pushed to side branches instead of the branch (see SideBranch). */
  sideBranches?: SideBranch[];
  /** Commits found on a detached HEAD or another local branch, now on the branch. */
  brought?: { from: string; commits: number }[];
  /** Local branches other than ours, deleted once their commits were brought in or set aside. */
  dropped?: string[];
  /**
   * Refs a command pointed at anything but a commit the clone has (a missing object, a tree, a
   * blob), by full name: deleted, with nothing behind them to keep (sync.sh's drop_broken_refs).
   */
  brokenRefs?: string[];
  /** Files left out of the commit, or committed but worth naming. */
  flagged?: FlaggedFile[];
  /**
   * How many of a command's own commits held a file GitHub refuses (named in `flagged`): they
   * were put together into one commit without it.
   */
  flattened?: number;
  /** The branch was behind GitHub's with nothing of its own (a reset): moved forward to this. */
  restored?: string;
  /** Untracked folders holding a .git of their own: their files were left out of the commit. */
  nested?: string[];
  /** Ref updates GitHub confirmed during this sync that the script did not report. */
  unexplainedPushes?: { ref: string; sha: string }[];
  head?: string | null;
  /** GitHub's branch as the clone last saw it (null: GitHub has no such branch yet). */
  upstream?: string | null;
  /** The sha256 of the clone's index as this sync left it: the next sync's `knownIndex`. */
  index?: string;
  /**
   * A proposal clone's commits conflict with GitHub's base branch in these paths: they stay on
   * the older base they were made on (sync.sh's `onto_base`).
   */
  baseConflict?: string[];
  /** The proposal branch an approve or reject deleted on GitHub, with its clone. */
  proposalClosed?: string;
  /** What was pushed was scanned only in part: its first 2 MiB of added text. */
  scanCut?: true;
  /** What the gate held back for the Worker to read before pushing (sync.sh's `gate`). */
  pending?: PendingPush;
  /**
   * Nothing was pushed: what it would have pushed adds likely secrets the person has not
   * allowed. The branch's unpushed commits are uncommitted changes in the clone again.
   */
  refused?: SecretRefusal;
};

/** Why a sync pushed nothing: the findings, and whether the text scanned was cut at 2 MiB. */
export type SecretRefusal = { findings: SecretFinding[]; cut: boolean };

/**
 * `fetch`: commit leftovers, fetch, integrate, push. `push-only`: commit leftovers and push
 * (fetching only if GitHub rejects the push). `read`: fetch and fast-forward a clean clone.
 * `revert`, `bring-in`, `approve` and `reject`: as `fetch`, then the person's web action
 * (SyncOptions.action) is made and pushed.
 */
export type SyncMode = "fetch" | "push-only" | "read" | WebAction["kind"];

/** Runs sync.sh once more, with the gate's commits let through, when the scan found nothing to refuse. */
const GATE_ROUNDS = 3;

export type SyncFailure = "auth" | "not-found" | "forbidden" | string;

/**
 * A git step failed; `message` is git's own. `partial` is what happened before it failed (a
 * commit made before a push failed, say). `cause`: why no fresh token could be had, if that
 * is why it stopped.
 */
export class SyncError extends Error {
  override readonly name = "SyncError";
  constructor(
    readonly failure: SyncFailure,
    message: string,
    readonly partial: SyncOutcome = { fetched: false },
    options?: { cause: unknown },
  ) {
    super(message, options);
  }
}

/** The events, plus the gate's 2 MiB of added text and its lines' headers. */
const SYNC_OUTPUT_BYTES = 256 * 1024 + 2 * 1024 * 1024 + 64 * 1024;
/** The message of a commit of what an earlier call left uncommitted. */
export const LEFTOVER_MESSAGE = "Commit changes an earlier command left uncommitted";

/**
 * What a sync is told beyond its mode: the message for what is uncommitted, and where the
 * Worker last saw GitHub's branch (a commit it fetched or GitHub confirmed), which the clone's
 * own record of it is reset to first: a command may have moved that record to hide a commit.
 */
export type SyncOptions = {
  commitMessage?: string;
  knownUpstream?: string;
  /**
   * The `index` the last sync of this clone reported: sync.sh uses the clone's index only when
   * it is still that one, and otherwise makes it again from HEAD (a command may have forged it
   * to hide a change; see sync.sh's trust_index).
   */
  knownIndex?: string;
  /** The person's action from the web, for modes `revert` and `bring-in`. */
  action?: WebAction;
  /**
   * Set for a proposal clone: the branch synced is a client's proposal, kept rebased on this one
   * (GitHub's default branch). See sync.sh.
   */
  base?: string;
  /** The fingerprints the person allowed (see secret-scan.ts), asked only when a scan finds something. */
  allowedFindings?: () => Promise<ReadonlySet<string>>;
};

/**
 * Runs sync.sh: clones when there is no clone of this repo, otherwise syncs as `mode` says.
 * No credential goes into the sandbox: git there talks to the egress route, which adds the
 * token on the way out. When GitHub refuses the token, a fresh one is minted and the script
 * runs once more; the caller never notices.
 */
export async function syncClone(
  sandbox: SandboxBackend,
  target: CloneTarget,
  identity: BotIdentity,
  credentials: GitCredentials,
  mode: SyncMode,
  options: SyncOptions = {},
): Promise<SyncOutcome> {
  // No command runs between this call's runs of the script: each trusts the index the one before left.
  let index = options.knownIndex;
  const attempt = async (runMode: SyncMode | "hold", cleared?: Cleared): Promise<SyncAttempt> => {
    const result = await sandbox.exec({
      // The web actions' functions come first: sync.sh calls them once the clone is in step.
      command: options.action ? `${WEB_ACTIONS_SCRIPT}\n${SYNC_SCRIPT}` : SYNC_SCRIPT,
      env: {
        ...identityEnv(identity),
        CTX4_REPO_URL: gitRemoteUrl(target.fullName),
        CTX4_REPO_ID: String(target.repoId),
        CTX4_BRANCH: target.branch,
        CTX4_MODE: runMode,
        ...(cleared ? { CTX4_CLEARED: cleared.digest } : {}),
        ...(cleared?.committed ? { CTX4_COMMITTED: cleared.committed } : {}),
        CTX4_CLONE_FILTER: CLONE_FILTER,
        CTX4_COMMIT_MESSAGE: options.commitMessage ?? LEFTOVER_MESSAGE,
        ...(options.base ? { CTX4_BASE: options.base } : {}),
        ...(options.knownUpstream ? { CTX4_KNOWN_UPSTREAM: options.knownUpstream } : {}),
        ...(index ? { CTX4_INDEX: index } : {}),
        ...(options.action ? webActionEnv(options.action) : {}),
      },
      timeoutMs: SYNC_TIMEOUT_MS,
      maxOutputBytes: SYNC_OUTPUT_BYTES,
    });
    const message = result.stderr.trim();
    const parsed = parseSyncEvents(result.stdout);
    index = parsed.outcome.index;
    if (result.timedOut) {
      return { failure: "timeout", message: `git did not finish within ${SYNC_TIMEOUT_MS / 1000} s`, ...parsed };
    }
    if (parsed.failure)
      return { ...parsed, failure: parsed.failure, message: message || `git failed (${parsed.failure})` };
    if (!parsed.complete)
      return { ...parsed, failure: "no-report", message: message || "git stopped without a report" };
    return { outcome: parsed.outcome };
  };

  const run = async (cleared?: Cleared): Promise<SyncOutcome> => {
    let result = await attempt(mode, cleared);
    // A refused token may be revoked or stale (a repo renamed, access changed): a fresh one
    // either works or makes GitHub say exactly what is wrong (uninstalled, suspended, no repo).
    if ("failure" in result && RENEW_ON.has(result.failure)) {
      const first = result;
      try {
        await credentials.renew();
      } catch (error) {
        throw new SyncError(first.failure, first.message, first.outcome, { cause: error });
      }
      result = await attempt(mode, cleared);
      // What the first run committed is not uncommitted any more: the second cannot report it.
      result.outcome.committed ??= first.outcome.committed;
      result.outcome.acted ??= first.outcome.acted;
    }
    if ("failure" in result) throw new SyncError(result.failure, result.message, result.outcome);
    return result.outcome;
  };

  let outcome = await run();
  const committed = outcome.committed;
  // The gate held back what it would push: scanned here, then let through (the script runs
  // again and pushes only those very commits) or refused and turned back into uncommitted changes.
  for (let round = 1; outcome.pending; round += 1) {
    const { pending } = outcome;
    if (round > GATE_ROUNDS) {
      throw new SyncError("scan", "the commits to push kept changing while ctx4-ai read them", {
        ...outcome,
        pending: undefined,
      });
    }
    const findings = await refusedFindings(pending, options.allowedFindings);
    if (findings.length) {
      const held = await attempt("hold");
      if ("failure" in held) throw new SyncError(held.failure, held.message, { ...outcome, pending: undefined });
      return {
        ...outcome,
        head: held.outcome.head,
        index: held.outcome.index,
        committed: undefined,
        pending: undefined,
        refused: { findings, cut: pending.cut },
      };
    }
    const held = outcome;
    outcome = await run({ digest: await clearedDigest(pending.commits), committed: committed?.sha });
    // What the held run found while committing is news only it could tell.
    outcome.committed ??= committed;
    outcome.fetched ||= held.fetched;
    outcome.cloned ??= held.cloned;
    outcome.movedAside ??= held.movedAside;
    if (held.flagged) outcome.flagged = [...held.flagged, ...(outcome.flagged ?? [])];
    if (held.brokenRefs) outcome.brokenRefs = [...held.brokenRefs, ...(outcome.brokenRefs ?? [])];
    if (held.nested) outcome.nested = [...new Set([...held.nested, ...(outcome.nested ?? [])])];
    if (pending.cut) outcome.scanCut = true;
  }
  return outcome;
}

/** The findings in what `pending` adds that the person has not allowed. */
async function refusedFindings(
  pending: PendingPush,
  allowed: SyncOptions["allowedFindings"],
): Promise<SecretFinding[]> {
  const findings = await findSecrets(addedFiles(pending));
  if (!findings.length || !allowed) return findings;
  const prints = await allowed();
  return findings.filter((finding) => !prints.has(finding.fingerprint));
}

const RENEW_ON = new Set<SyncFailure>(["auth", "forbidden", "not-found"]);

/** What a run after the gate's is told: the digest of the commits let through, and the commit the held run made. */
type Cleared = { digest: string; committed?: string };

type SyncAttempt = { outcome: SyncOutcome } | { failure: SyncFailure; message: string; outcome: SyncOutcome };

/** The commit identity every exec gets: the App's bot, for our commits and the command's own. */
export function identityEnv(identity: BotIdentity): Record<string, string> {
  return {
    GIT_AUTHOR_NAME: identity.name,
    GIT_AUTHOR_EMAIL: identity.email,
    GIT_COMMITTER_NAME: identity.name,
    GIT_COMMITTER_EMAIL: identity.email,
  };
}

/** A path as sync.sh's `escape` wrote it: a backslash and `n` is a newline, two backslashes one. */
function unescapePath(text: string): string {
  return text.replace(/\\(\\|n)/g, (_, char: string) => (char === "n" ? "\n" : "\\"));
}

/**
 * Reads the "@event ..." lines of sync.sh: what happened, whether it got to the end
 * (`complete`), and what failed if something did.
 */
export function parseSyncEvents(stdout: string): { outcome: SyncOutcome; complete: boolean; failure?: SyncFailure } {
  const outcome: SyncOutcome = { fetched: false };
  let complete = false;
  /** Where `@file` lines go: the commit, then the commit as it landed. */
  let files: string[] | undefined;
  /** The commit a `@landed` line is about: the one of what was uncommitted, or a web action's. */
  let latest: SyncCommit | undefined;
  const lines = stdout.split("\n");
  for (let at = 0; at < lines.length; at += 1) {
    const [event, ...words] = (lines[at] ?? "").split(" ");
    const rest = words.join(" ");
    switch (event) {
      case "@scan-commit":
        outcome.pending ??= { commits: [], mark: "", diff: "", cut: false };
        outcome.pending.commits.push(rest);
        break;
      case "@scan-begin": {
        // The gate's diff, up to the line that ends it: a file's text cannot hold that line,
        // as every line of a diff starts with a diff marker.
        const end = lines.indexOf(`@scan-end ${rest}`, at + 1);
        if (!outcome.pending || !rest || end < 0) break;
        outcome.pending.mark = rest;
        outcome.pending.diff = lines.slice(at + 1, end).join("\n");
        at = end;
        break;
      }
      case "@scan-cut":
        if (outcome.pending) outcome.pending.cut = true;
        break;
      case "@error":
        return { outcome, complete: false, failure: rest || "unknown" };
      case "@cloned":
        outcome.cloned = { head: rest === "empty" ? null : rest };
        outcome.head = outcome.cloned.head;
        complete = true;
        break;
      case "@moved-aside":
        outcome.movedAside = rest;
        break;
      case "@committed":
        outcome.committed = { sha: rest, files: [] };
        latest = outcome.committed;
        files = latest.files;
        break;
      case "@acted":
        outcome.acted = { sha: rest, files: [] };
        latest = outcome.acted;
        files = latest.files;
        break;
      case "@landed":
        if (!latest) break;
        latest.landed = rest === "none" ? null : { sha: rest, files: [] };
        files = latest.landed?.files;
        break;
      case "@action":
        outcome.action = { state: words[0] ?? "", why: words[1] ?? "", conflicts: [] };
        break;
      case "@action-conflict":
        outcome.action?.conflicts.push(unescapePath(rest));
        break;
      case "@file":
        files?.push(rest.split("\t").map(unescapePath).join("\t"));
        break;
      case "@unstorable":
        outcome.flagged = [...(outcome.flagged ?? []), { kind: "unstorable", path: unescapePath(rest) }];
        break;
      case "@refused":
      case "@large":
      case "@binary":
        outcome.flagged = [
          ...(outcome.flagged ?? []),
          {
            kind: event.slice(1) as "refused" | "large" | "binary",
            bytes: Number(words[0]),
            path: unescapePath(words.slice(1).join(" ")),
          },
        ];
        break;
      case "@kept-aside":
        outcome.flagged = [
          ...(outcome.flagged ?? []),
          {
            kind: "kept-aside",
            bytes: Number(words[0]),
            folder: words[1] ?? "",
            path: unescapePath(words.slice(2).join(" ")),
          },
        ];
        break;
      case "@nested":
        if (!outcome.nested?.includes(rest)) outcome.nested = [...(outcome.nested ?? []), rest];
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
        outcome.sideBranches = [
          ...(outcome.sideBranches ?? []),
          {
            name: words[0] ?? "",
            sha: words[1] ?? "",
            why: isSideBranchReason(words[2]) ? words[2] : "conflict",
            conflicts: [],
          },
        ];
        break;
      case "@conflict":
        outcome.sideBranches?.at(-1)?.conflicts.push(rest);
        break;
      case "@base-conflict":
        outcome.baseConflict = [...(outcome.baseConflict ?? []), unescapePath(rest)];
        break;
      case "@proposal-closed":
        outcome.proposalClosed = rest;
        break;
      case "@brought":
        outcome.brought = [...(outcome.brought ?? []), { from: words[0] ?? "", commits: Number(words[1]) || 0 }];
        break;
      case "@flattened":
        outcome.flattened = Number(rest) || 0;
        break;
      case "@restored":
        outcome.restored = rest;
        break;
      case "@dropped":
        outcome.dropped = [...(outcome.dropped ?? []), rest];
        break;
      case "@broken-ref":
        outcome.brokenRefs = [...(outcome.brokenRefs ?? []), rest];
        break;
      case "@upstream":
        outcome.upstream = rest === "none" ? null : rest;
        break;
      case "@head":
        outcome.head = rest === "empty" ? null : rest;
        complete = true;
        break;
      case "@index":
        outcome.index = rest;
        break;
    }
  }
  return { outcome, complete };
}
