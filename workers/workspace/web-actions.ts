import { z } from "zod";
import { clientTrailer, WEB_CLIENT } from "./client-trailer";
import type { SyncOutcome } from "./sync";

/**
 * The person's own changes to the memory from the web pages: revert one commit of the default
 * branch, or bring in a side branch ctx4-ai made. Each runs through the same serialised path as
 * the tools (the workspace's queue, `sync.sh` with `scripts/web-actions.sh`): the clone catches
 * up with GitHub first, one commit is made by the bot, and it is pushed as any commit is.
 */

/** A full commit id (SHA-1, or SHA-256 for repositories in that format), lower-case hex. */
export const commitShaSchema = z.string().regex(/^(?:[0-9a-f]{40}|[0-9a-f]{64})$/, "not a full commit id");

/**
 * The name of a side branch ctx4-ai made (sync.sh's `set_aside`:
 * `ctx4-ai/<conflict|recovered|stashed>-<UTC date>-<UTC time>-<short sha>`); nothing else can be brought in.
 */
export const sideBranchSchema = z
  .string()
  .regex(/^ctx4-ai\/(?:conflict|recovered|stashed)-\d{8}-\d{6}-[0-9a-f]{7,64}$/, "not a side branch ctx4-ai made");

/**
 * The branch of a client's pending proposal (review mode): `ctx4-ai/review-<key>`, the key 16
 * hex digits derived from the client's id (see proposal.ts).
 */
export const proposalBranchSchema = z.string().regex(/^ctx4-ai\/review-[0-9a-f]{16}$/, "not a proposal's branch");

/**
 * `revert` one commit of the default branch; `bring-in` a side branch; `approve` a proposal
 * (brought in as a side branch is, then closed) or `reject` it (closed: its branch deleted).
 */
export type WebAction = { kind: "revert"; sha: string } | { kind: "bring-in" | "approve" | "reject"; branch: string };

/** Longest sentence or path an outcome carries to the page (a path is the repo's text). */
const MAX_TEXT = 1_000;
/** Paths of a conflict named on the page; a conflict touching more is rare in notes. */
export const MAX_CONFLICT_PATHS = 20;
const text = z.string().max(MAX_TEXT);

/**
 * Why a web action was refused: `invalid` (not a full commit id, or not a side branch's name),
 * `unknown` (no such commit in the person's repo), `not-on-branch`, `initial` (the first
 * commit), `merge`, `no-such-branch` (GitHub has no such side branch).
 */
export const REFUSAL_CODES = ["invalid", "unknown", "not-on-branch", "initial", "merge", "no-such-branch"] as const;
export type RefusalCode = (typeof REFUSAL_CODES)[number];

/** Every outcome but `landed`: the default branch did not get the commit (see {@link WebActionOutcome}). */
export const webActionStopSchema = z.discriminatedUnion("state", [
  z.object({ state: z.literal("nothing"), reason: text }),
  z.object({ state: z.literal("refused"), code: z.enum(REFUSAL_CODES), reason: text }),
  z.object({ state: z.literal("conflict"), paths: z.array(text).max(MAX_CONFLICT_PATHS) }),
  z.object({ state: z.literal("set-aside"), branch: text }),
  z.object({ state: z.literal("failed"), problem: text }),
  z.object({ state: z.literal("rejected") }),
]);

export type WebActionStop = z.infer<typeof webActionStopSchema>;

/**
 * What a web action did, in words for the page:
 * - `landed`: the new commit is on the default branch on GitHub (`sha`, and git's name-status `files`);
 * - `nothing`: there was nothing to change (already reverted, already brought in);
 * - `refused`: not something that can be done (`reason` says why and what to do instead);
 * - `conflict`: the change conflicts with later commits in `paths` (the first
 *   {@link MAX_CONFLICT_PATHS}): nothing changed;
 * - `set-aside`: GitHub's branch moved meanwhile in a way that conflicts: the commit is on the
 *   new side branch `branch` instead, and the default branch is unchanged;
 * - `failed`: it could not run, or GitHub did not take the push (`problem`);
 * - `rejected`: the proposal is closed, its branch deleted; nothing of it reached the default branch.
 */
export type WebActionOutcome = { state: "landed"; sha: string; files: string[] } | WebActionStop;

/** What `sync.sh` says of a web action: `@action <state> <why>` and its `@action-conflict` paths. */
export type ActionReport = { state: string; why: string; conflicts: string[] };

/** The trailer lines of a commit made from the web. */
export const WEB_TRAILERS = clientTrailer(WEB_CLIENT);

/** The environment `scripts/web-actions.sh` reads for `action`. */
export function webActionEnv(action: WebAction): Record<string, string> {
  return {
    ...(action.kind === "revert" ? { CTX4_REVERT: action.sha } : { CTX4_SIDE_BRANCH: action.branch }),
    CTX4_TRAILERS: WEB_TRAILERS,
  };
}

const REFUSALS: Record<Exclude<RefusalCode, "invalid">, string> = {
  unknown: "This commit is not in your memory's repository.",
  "not-on-branch":
    "This commit is not on your memory's default branch (it may be on a side branch): only changes on the default branch can be reverted here.",
  initial:
    "This is the repository's first commit: reverting it would remove everything. Delete files one by one instead.",
  merge:
    "This is a merge commit, which joins two lines of work: ctx4-ai does not revert those from the web. Revert the changes it brought one by one, or on GitHub.",
  "no-such-branch": "GitHub has no such side branch of ctx4-ai's (it may have been deleted).",
};

/** The outcome of a web action from the sync that ran it (see {@link WebActionOutcome}). */
export function webActionOutcome(action: WebAction, outcome: SyncOutcome): WebActionOutcome {
  // The sync stopped at the secret scan, before the action: nothing of either was pushed.
  if (outcome.refused)
    return {
      state: "failed",
      problem:
        "Your AI's latest changes in your workspace hold what looks like a secret, so nothing was pushed and nothing was changed. See Refused writes (/activity/findings), then try again.",
    };
  const report = outcome.action;
  if (action.kind === "reject" && outcome.proposalClosed === action.branch) return { state: "rejected" };
  if (report?.state === "refused") {
    const code = REFUSAL_CODES.find((known) => known === report.why && known !== "invalid") ?? "unknown";
    return refusal(action, code);
  }
  if (report?.state === "conflict")
    return {
      state: "conflict",
      paths: report.conflicts.slice(0, MAX_CONFLICT_PATHS).map((path) => path.slice(0, MAX_TEXT)),
    };
  const acted = outcome.acted;
  if (report?.state === "nothing" || acted?.landed === null) {
    return {
      state: "nothing",
      reason:
        action.kind === "revert"
          ? "This change is already undone on the default branch: there was nothing to revert."
          : action.kind === "approve"
            ? "Everything in this proposal is already on the default branch: it is closed."
            : "Everything on this side branch is already on the default branch: there was nothing to bring in.",
    };
  }
  if (report?.state === "set-aside") {
    // The side branch holds the commit itself (another one of this sync holds earlier work).
    const side = outcome.sideBranches?.find((branch) => branch.sha === acted?.sha) ?? outcome.sideBranches?.at(-1);
    return { state: "set-aside", branch: side?.name ?? "" };
  }
  if (!report && !acted) {
    return {
      state: "failed",
      problem:
        "Your workspace's copy of the memory had to be set up again from GitHub first, so nothing was changed. Try again.",
    };
  }
  if (acted && outcome.pushed) {
    const { sha, files } = acted.landed ?? acted;
    return { state: "landed", sha, files };
  }
  return { state: "failed", problem: "ctx4-ai could not tell what happened. Look at the Activity page." };
}

/** A refusal of `action` with the sentence the page shows for `code`. */
export function refusal(action: WebAction, code: RefusalCode): WebActionOutcome {
  if (code !== "invalid") return { state: "refused", code, reason: REFUSALS[code] };
  const reason =
    action.kind === "revert"
      ? "This is not a commit of your memory."
      : action.kind === "bring-in"
        ? "Only a side branch ctx4-ai made can be brought in."
        : "This is not a proposal of one of your AI clients.";
  return { state: "refused", code, reason };
}
