import { connectDatabase } from "../../app/lib/db/client.server";
import {
  allowedFingerprints,
  getUserGithubConfig,
  recordAccess,
  replaceSecretFindings,
  updateSelectedRepo,
} from "../../app/lib/db/queries.server";
import type { InactiveReason, UserGithubConfig } from "../../app/lib/db/schema";
import {
  type BotIdentity,
  findBotIdentity,
  findTokenRepo,
  GitHubAccessError,
  type GitHubAccessProblem,
  mintRepoToken,
} from "../../app/lib/github/app.server";
import { logProblem } from "../../app/lib/log.server";
import type { SandboxBackend } from "../sandbox/backend";
import { checkGitEgress, forwardGitEgress, type PushedRef, type PushRules, refusedEgress } from "../sandbox/git-egress";
import { openSandbox } from "../sandbox/open-sandbox";
import { SandboxFailure } from "../sandbox/sandbox-errors";
import {
  type BashInput,
  bashInputSchema,
  commitMessage,
  DEFAULT_TIMEOUT_SECONDS,
  MAX_OUTPUT_BYTES,
} from "./bash-input";
import { withClientTrailer } from "./client-trailer";
import { runInClone, type StreamOutput } from "./command";
import {
  type MarkdownCursor,
  type MarkdownPage,
  markdownCursorSchema,
  markdownPage,
  type PathRead,
  type ReadInput,
  type ReadPurpose,
  readInputSchema,
  readPath,
  readPurposeSchema,
} from "./files";
import { type HistoryInput, type HistoryResult, historyInputSchema, readHistory } from "./history";
import { gatherInstructions, type RepoInstructions } from "./instructions";
import { CloneMissingError, configProblem, describeFailure, RouteRefusedError, WorkspaceResetError } from "./problems";
import {
  cloneState,
  inProposalFolder,
  keepCloneAsItWas,
  type Proposal,
  proposalOf,
  proposalOfBranch,
} from "./proposal";
import { redactSecrets } from "./redact";
import { remoteBranchHead } from "./remote-head";
import { RepoTokenCache, type TokenTarget } from "./repo-token";
import { type SearchInput, type SearchResult, searchClone, searchInputSchema } from "./search";
import { SerialQueue } from "./serial-queue";
import {
  type CloneTarget,
  type FlaggedFile,
  type GitCredentials,
  LEFTOVER_MESSAGE,
  type SecretRefusal,
  type SideBranch,
  type SyncCommit,
  SyncError,
  type SyncFailure,
  type SyncMode,
  type SyncOutcome,
  syncClone,
} from "./sync";
import {
  commitShaSchema,
  proposalBranchSchema,
  refusal,
  sideBranchSchema,
  type WebAction,
  type WebActionOutcome,
  webActionOutcome,
} from "./web-actions";

/**
 * How long after we last saw GitHub's branch we trust our clone to be current. Past this, the
 * next call asks GitHub where the branch is (one request from this object) and fetches only
 * if it moved, so a change made on GitHub meanwhile is seen. Within it (a burst of calls from
 * one answer) nothing is asked: our own pushes keep the view current, and a push rejected
 * because someone else pushed is rebased and retried anyway.
 */
export const REMOTE_FRESH_MS = 2_000;

const IDENTITY_KEY = "bot-identity";
const UNPUSHED_KEY = "unpushed-work";
/** Set while Postgres lists refused findings of this user's, so a push that goes through clears them. */
const FINDINGS_KEY = "secret-findings";
/** `review:<client id>`: the person reviews that client's writes (review mode, see proposal.ts). */
const REVIEW_PREFIX = "review:";
/**
 * The default branch's clone as it was before a reviewed client's command, kept until it is
 * checked after it: a command cut short (the sandbox failed) is checked by the next operation.
 */
const CLONE_STATE_KEY = "default-clone-state";
/** `proposal:<key>`: that proposal has work on GitHub waiting for the person, so its client reads there. */
const PENDING_PREFIX = "proposal:";

/**
 * What happened to the branch on GitHub after a command. Work set aside is in `setAside`.
 * `refused`: nothing was pushed, as it adds likely secrets (see SecretRefusal).
 */
export type PublishOutcome =
  | { state: "not-needed" }
  | { state: "pushed"; sha: string }
  | { state: "refused"; refusal: SecretRefusal }
  | { state: "failed"; message: string };

export type BashOutcome =
  | {
      ran: false;
      problem: string;
      /** The client cancelled the call before the command started. */
      cancelled?: true;
      /**
       * The sandbox failed while the command was in it (see SandboxFailure.commandMayHaveRun):
       * it may have run in full, in part or not at all, and nothing it changed was committed.
       */
      interrupted?: true;
    }
  | {
      ran: true;
      repo: string;
      branch: string;
      exitCode: number | null;
      timedOut: boolean;
      /** Stopped because the client cancelled the call; what it changed before is still committed. */
      cancelled: boolean;
      timeoutSeconds: number;
      stdout: StreamOutput;
      stderr: StreamOutput;
      /** The commit made of what the command changed, with git's name-status lines. */
      commit: SyncCommit | null;
      commitError?: string;
      publish: PublishOutcome;
      /**
       * Work pushed to side branches on GitHub instead of the branch during this call:
       * `earlier`, an earlier call's work met before the command ran; otherwise this command's.
       */
      setAside: (SideBranch & { earlier: boolean })[];
      /** Ref updates GitHub confirmed that none of our steps made (see confirmPushes): an alarm. */
      unexplainedPushes: { ref: string; sha: string }[];
      /** What happened around the command: cloned, pulled, rebased… */
      notes: string[];
      /**
       * Review mode: the change went to this proposal branch, not `branch`, and waits for the
       * person's approval. `baseConflict`: its paths that conflict with the default branch now.
       */
      proposal?: { branch: string; baseConflict: string[] };
      /**
       * The command changed the default branch's clone, which is not a reviewed client's to
       * change: it was moved to this folder of the sandbox, and nothing of it reached GitHub.
       */
      outsideMovedTo?: string;
    };

/**
 * A read of the clone (see Workspace.readClone): what was read, in which repo and branch, and
 * what the catch-up before it did; or why nothing could be read.
 */
export type ReadOutcome<T> =
  | { ready: false; problem: string }
  | { ready: true; repo: string; branch: string; notes: string[]; value: T };

export type InstructionsOutcome =
  | { ready: false; problem: string }
  | ({ ready: true; repo: string; branch: string; notes: string[] } & RepoInstructions);

/** Real counts since this object started, for the benchmarks. */
export type WorkspaceStats = {
  tokenMints: number;
  postgresQueries: number;
  sandboxExecs: number;
  /** Clone or fetch runs in the sandbox (the commit-and-push after each command is not counted). */
  gitSyncs: number;
  /** Questions to GitHub about where the branch is. */
  remoteChecks: number;
};

type Ready = {
  target: CloneTarget;
  sandbox: SandboxBackend;
  identity: BotIdentity;
  credentials: GitCredentials;
  /**
   * Set when the work is a reviewed client's: `target.branch` is its proposal branch, `base` the
   * default branch, and `sandbox` runs in the proposal's folder; `root` is the sandbox itself.
   */
  lane?: { proposal: Proposal; base: string; root: SandboxBackend };
};

/**
 * One user's workspace: their config (read from Postgres once), installation token, sandbox
 * and clone. Every operation on the clone runs one at a time; a reset (new repo, disconnect)
 * makes operations still running give up instead of touching the new state.
 */
export class Workspace {
  #config: UserGithubConfig | null | undefined;
  #identity: BotIdentity | undefined;
  #sandbox: SandboxBackend | undefined;
  /**
   * The repo the clone was last synced for, when, GitHub's branch then, and the clone's index
   * as that sync left it (see SyncOptions.knownIndex): undefined until the first sync.
   */
  #synced:
    | { repoId: number; branch: string; at: number; upstream: string | null | undefined; index?: string }
    | undefined;
  /** A proposal clone's index as its last sync left it, by proposal branch (see SyncOptions.knownIndex). */
  readonly #proposalIndexes = new Map<string, string>();
  #generation = 0;
  /** Set only while our own sync runs in the sandbox: the one time git there may reach GitHub. */
  #gitRoute: Ready | undefined;
  /** What the running sync may push besides its branch (see PushRules). */
  #routeRules: PushRules = {};
  /** What GitHub said it did with each ref pushed through the route during the current sync. */
  #pushedRefs: PushedRef[] = [];
  /** Why the route refused requests of the current sync, if it did. */
  #routeRefusals: string[] = [];
  /**
   * The last commit-and-push did not finish, so the clone may hold changes of an earlier
   * command: the next command syncs first, which commits them under a message of their own.
   */
  #mayHoldLeftovers = false;
  /**
   * The client whose command's changes may be left uncommitted (its commit failed), known while
   * this object lives: the commit that takes them in names it in its trailer.
   */
  #leftoversOf: string | undefined;
  /** Set by {@link erase}: the account is being deleted, and nothing may run again. */
  #erased = false;
  readonly #queue = new SerialQueue();
  readonly #tokens: RepoTokenCache;
  readonly #counts = { postgresQueries: 0, sandboxExecs: 0, gitSyncs: 0, remoteChecks: 0 };

  /**
   * `confirmAccess` throws when the person may no longer use the repo (see RepoTokenCache).
   * `memoryChanged` is told each time the clone's branch moved: a command's commit, commits
   * from GitHub (the web, another client) brought in by a sync, a branch put back, or a reset.
   */
  constructor(
    private readonly storage: DurableObjectStorage,
    private readonly env: Env,
    private readonly userId: string,
    confirmAccess: (target: TokenTarget) => Promise<void>,
    private readonly memoryChanged: () => void = () => {},
  ) {
    this.#tokens = new RepoTokenCache(
      storage,
      (target) => mintRepoToken(env, target.installationId, target.repoId),
      confirmAccess,
    );
  }

  /** The user's GitHub config, read from Postgres once and kept until told it changed. */
  async config(): Promise<UserGithubConfig | null> {
    if (this.#config === undefined) {
      const database = connectDatabase(this.env.HYPERDRIVE.connectionString);
      try {
        this.#counts.postgresQueries += 1;
        this.#config = (await getUserGithubConfig(database.db, this.userId)) ?? null;
      } finally {
        await database.close();
      }
    }
    return this.#config;
  }

  stats(): WorkspaceStats {
    return { tokenMints: this.#tokens.mints, ...this.#counts };
  }

  /**
   * ctx_bash: brings the clone up to date if GitHub may have moved, runs, commits, pushes.
   * `signal` is the client's cancellation (MCP 2025-11-25, "Cancellation"): before the command
   * starts, nothing runs; while it runs, it and everything it started are stopped, and what it
   * had changed by then is still committed and pushed, so no change is ever lost unsaid. Our
   * own git steps are never interrupted: they always finish what they began. `client` is the
   * calling AI client's name (see clientTrailerName): its commit ends in the trailer naming it.
   * When the person reviews the client with OAuth id `clientId` (review mode), the command runs
   * in its proposal's clone and what it changed goes to its proposal branch (see proposal.ts).
   */
  bash(input: BashInput, signal?: AbortSignal, client?: string, clientId?: string): Promise<BashOutcome> {
    const parsed = bashInputSchema.safeParse(input);
    if (!parsed.success) return Promise.resolve({ ran: false, problem: `Invalid input: ${parsed.error.message}` });
    const { command, timeoutSeconds = DEFAULT_TIMEOUT_SECONDS } = parsed.data;

    const cancelledBeforeRun: BashOutcome = {
      ran: false,
      cancelled: true,
      problem: "Cancelled before the command started: nothing ran and nothing changed.",
    };
    return this.#queue.run(async () => {
      if (signal?.aborted) return cancelledBeforeRun;
      const found = await this.#ready(
        clientId && (await this.reviewed(clientId)) ? await proposalOf(clientId) : undefined,
      );
      if ("problem" in found) return { ran: false, problem: found.problem };
      let ready = found;
      const redact = (text: string) => redactSecrets(text, this.#tokens.knownTokens());
      const notes: string[] = [];
      /** The syncs before the command: catching up, and setting the clone up again if it was gone. */
      const before: SyncOutcome[] = [];
      const catchUp = async () => {
        const synced = await this.#syncFollowing(ready, "fetch", notes);
        ready = synced.ready;
        before.push(synced.outcome);
        notes.push(...describeSync(synced.outcome, ready.target));
      };
      /** Set while the command itself is in the sandbox: a failure then may have left some of its changes. */
      let commandSent = false;
      try {
        if (await this.#mayBeBehind(ready)) await catchUp();
        // What the catch-up brought in is committed and pushed already: only the command is skipped.
        if (signal?.aborted) return cancelledBeforeRun;
        const defaultClone = ready.lane && (await this.#defaultCloneBefore(ready.lane.root));
        const run = async () => {
          commandSent = true;
          const result = await runInClone(ready.sandbox, {
            command,
            identity: ready.identity,
            timeoutMs: timeoutSeconds * 1000,
            maxOutputBytes: MAX_OUTPUT_BYTES,
            signal,
          });
          commandSent = false;
          return result;
        };
        const outcome = await run().catch(async (error: unknown) => {
          if (!(error instanceof CloneMissingError)) throw error;
          commandSent = false;
          await catchUp();
          if (signal?.aborted) return undefined;
          return run();
        });
        if (!outcome) return cancelledBeforeRun;
        const outsideMovedTo =
          ready.lane && defaultClone ? await this.#defaultCloneAfter(ready.lane.root, defaultClone) : undefined;
        const message = commitMessage(parsed.data);
        const settled = await this.#publish(
          ready,
          withClientTrailer(outcome.cancelled ? `${message} (cancelled)` : message, client),
          client,
        );
        notes.push(...describeSync(settled.sync, ready.target, "after"));
        const lane = ready.lane;
        if (lane && [...before, settled.sync].some((sync) => sync.pushed))
          await this.storage.put(PENDING_PREFIX + lane.proposal.key, true);
        return {
          ran: true,
          repo: ready.target.fullName,
          branch: ready.target.branch,
          exitCode: outcome.exitCode,
          timedOut: outcome.timedOut,
          cancelled: outcome.cancelled,
          timeoutSeconds,
          stdout: { ...outcome.stdout, text: redact(outcome.stdout.text) },
          stderr: { ...outcome.stderr, text: redact(outcome.stderr.text) },
          commit: settled.sync.committed ?? null,
          commitError: settled.commitError && redact(settled.commitError),
          publish:
            settled.publish.state === "failed"
              ? { ...settled.publish, message: redact(settled.publish.message) }
              : settled.publish,
          setAside: [
            ...before.flatMap((sync) => sync.sideBranches ?? []).map((side) => ({ ...side, earlier: true })),
            ...(settled.sync.sideBranches ?? []).map((side) => ({ ...side, earlier: false })),
          ],
          unexplainedPushes: [...before, settled.sync].flatMap((sync) => sync.unexplainedPushes ?? []),
          notes,
          ...(lane && {
            proposal: {
              branch: lane.proposal.branch,
              baseConflict: [...new Set([...before, settled.sync].flatMap((sync) => sync.baseConflict ?? []))],
            },
          }),
          ...(outsideMovedTo && { outsideMovedTo }),
        };
      } catch (error) {
        if (commandSent && error instanceof SandboxFailure && error.commandMayHaveRun) {
          // The next call syncs first and commits what the command left, under a message of its own.
          if (!ready.lane) {
            this.#mayHoldLeftovers = true;
            this.#leftoversOf = client;
          }
          return { ran: false, interrupted: true, problem: redact(describeFailure(error, ready.target.fullName)) };
        }
        await this.#recordAccessFailure(error);
        return { ran: false, problem: redact(describeFailure(error, ready.target.fullName)) };
      }
    });
  }

  /**
   * The person reverts commit `sha` of the default branch from the web: a commit
   * `Revert "<subject>"` made by the bot and pushed through the same queue and sync as the
   * tools' commits (see web-actions.ts). Refused, with nothing run, for anything but a full
   * commit id; refused by the script for an unknown commit, one not on the branch, the first
   * commit, a merge.
   */
  revert(sha: string): Promise<WebActionOutcome> {
    const parsed = commitShaSchema.safeParse(sha);
    if (!parsed.success) return Promise.resolve(refusal({ kind: "revert", sha }, "invalid"));
    return this.#webAction({ kind: "revert", sha: parsed.data });
  }

  /**
   * The person brings side branch `branch` (one ctx4-ai made on a conflict, a recovery or a
   * stash) onto the default branch from the web: one squash commit by the bot, pushed as the
   * tools' commits are. The side branch stays on GitHub: the git route deletes no branch.
   */
  bringIn(branch: string): Promise<WebActionOutcome> {
    const parsed = sideBranchSchema.safeParse(branch);
    if (!parsed.success) return Promise.resolve(refusal({ kind: "bring-in", branch }, "invalid"));
    return this.#webAction({ kind: "bring-in", branch: parsed.data });
  }

  /**
   * The person approves the proposal on `branch` (`ctx4-ai/review-<key>`) from Activity: brought
   * onto the default branch as one squash commit, as a side branch is; a conflict changes
   * nothing and the proposal stays. Once landed, its branch and clone are removed.
   */
  approve(branch: string): Promise<WebActionOutcome> {
    const parsed = proposalBranchSchema.safeParse(branch);
    if (!parsed.success) return Promise.resolve(refusal({ kind: "approve", branch }, "invalid"));
    return this.#webAction({ kind: "approve", branch: parsed.data });
  }

  /** The person rejects the proposal on `branch`: its branch is deleted on GitHub and its clone removed. */
  reject(branch: string): Promise<WebActionOutcome> {
    const parsed = proposalBranchSchema.safeParse(branch);
    if (!parsed.success) return Promise.resolve(refusal({ kind: "reject", branch }, "invalid"));
    return this.#webAction({ kind: "reject", branch: parsed.data });
  }

  /** Review mode for OAuth client `clientId`: on, its writes go to its proposal; off, to the default branch. */
  async setReviewed(clientId: string, on: boolean): Promise<void> {
    if (on) await this.storage.put(REVIEW_PREFIX + clientId, true);
    else await this.storage.delete(REVIEW_PREFIX + clientId);
  }

  /** Whether the person reviews the writes of OAuth client `clientId`. */
  async reviewed(clientId: string): Promise<boolean> {
    return (await this.storage.get<boolean>(REVIEW_PREFIX + clientId)) === true;
  }

  /**
   * A web action, in the queue like every tool call: the sync in the action's mode catches the
   * clone up (committing and pushing what an earlier command left), makes the commit and pushes
   * it. A commit GitHub did not take stays in the clone and goes with the next sync, as a
   * command's does, and the outcome says so.
   */
  #webAction(action: WebAction): Promise<WebActionOutcome> {
    return this.#queue.run(async () => {
      const found = await this.#ready();
      if ("problem" in found) return { state: "failed", problem: found.problem };
      const redact = (text: string) => redactSecrets(text, this.#tokens.knownTokens());
      try {
        const { outcome } = await this.#syncFollowing(found, action.kind, [], action);
        const closed = outcome.proposalClosed && proposalOfBranch(outcome.proposalClosed);
        if (closed) await this.storage.delete(PENDING_PREFIX + closed.key);
        return webActionOutcome(action, outcome);
      } catch (error) {
        await this.#recordAccessFailure(error);
        const problem = redact(describeFailure(error, found.target.fullName));
        if (!(error instanceof SyncError && error.partial.acted)) return { state: "failed", problem };
        this.#mayHoldLeftovers = true;
        await this.storage.put(UNPUSHED_KEY, { repoId: found.target.repoId, since: Date.now() });
        return {
          state: "failed",
          problem: `${problem} The commit is made in your workspace and goes to GitHub with the next change to your memory.`,
        };
      }
    });
  }

  /** ctx_instructions: the repo's instructions, context and index, read in one round trip. */
  async instructions(clientId?: string): Promise<InstructionsOutcome> {
    const outcome = await this.readClone(({ sandbox }) => gatherInstructions(sandbox), clientId);
    if (!outcome.ready) return outcome;
    const { value, ...where } = outcome;
    return { ...where, ...value };
  }

  /** ctx_search: git grep over the clone as it is now (see searchClone). Never commits. */
  async search(input: SearchInput, clientId?: string): Promise<ReadOutcome<SearchResult>> {
    const parsed = searchInputSchema.safeParse(input);
    if (!parsed.success) return { ready: false, problem: `Invalid input: ${parsed.error.message}` };
    return this.readClone(({ sandbox, redact }) => searchClone(sandbox, parsed.data, redact), clientId);
  }

  /** ctx_history: the branch's recent commits, or one commit's diff (see readHistory). Never commits. */
  async history(input: HistoryInput, clientId?: string): Promise<ReadOutcome<HistoryResult>> {
    const parsed = historyInputSchema.safeParse(input);
    if (!parsed.success) return { ready: false, problem: `Invalid input: ${parsed.error.message}` };
    return this.readClone(({ sandbox, redact }) => readHistory(sandbox, parsed.data, redact), clientId);
  }

  /**
   * ctx_read (`purpose` tool) and resources/read (`resource`): one path of the clone, through
   * {@link readClone}, so it never commits. Invalid input runs nothing.
   */
  async read(input: ReadInput, purpose: ReadPurpose = "tool", clientId?: string): Promise<ReadOutcome<PathRead>> {
    const parsed = readInputSchema.safeParse(input);
    if (!parsed.success) return { ready: false, problem: `Invalid input: ${parsed.error.message}` };
    if (!readPurposeSchema.safeParse(purpose).success) return { ready: false, problem: "Invalid purpose." };
    const { startLine, endLine } = parsed.data;
    if (startLine !== undefined && endLine !== undefined && endLine < startLine)
      return { ready: false, problem: "Invalid input: endLine is before startLine." };
    return this.readClone(({ sandbox, redact }) => readPath(sandbox, redact, parsed.data, purpose), clientId);
  }

  /** resources/list: one page of the memory's Markdown files from `cursor` on (none: the first). */
  async markdown(cursor?: MarkdownCursor, clientId?: string): Promise<ReadOutcome<MarkdownPage>> {
    const parsed = cursor === undefined ? undefined : markdownCursorSchema.safeParse(cursor);
    if (parsed && !parsed.success) return { ready: false, problem: "Invalid cursor." };
    return this.readClone(({ sandbox, redact }) => markdownPage(sandbox, redact, parsed?.data ?? null), clientId);
  }

  /**
   * Every read tool's path to the clone: brings it up to date when GitHub may have moved (mode
   * `read`: fetch and fast-forward only, so a read never commits or pushes anything), sets it
   * up again when it is gone, and runs `read` there. `read` gets the sandbox and `redact`,
   * which removes every token this object knows from text bound for the AI; it throws
   * {@link CloneMissingError} when it finds no clone, and is then run once more.
   * A reviewed client (OAuth id `clientId`) with a proposal pending reads its proposal's clone:
   * the default branch plus its own work waiting for the person.
   * @returns `{ ready: false, problem }` for the AI when the clone cannot be read.
   */
  readClone<T>(
    read: (clone: { sandbox: SandboxBackend; redact: (text: string) => string }) => Promise<T>,
    clientId?: string,
  ): Promise<ReadOutcome<T>> {
    return this.#queue.run(async () => {
      const found = await this.#ready(clientId ? await this.#pendingProposal(clientId) : undefined);
      if ("problem" in found) return { ready: false, problem: found.problem };
      let ready = found;
      const redact = (text: string) => redactSecrets(text, this.#tokens.knownTokens());
      const notes: string[] = [];
      const catchUp = async () => {
        const synced = await this.#syncFollowing(ready, "read", notes);
        ready = synced.ready;
        notes.push(...describeSync(synced.outcome, ready.target));
        for (const side of synced.outcome.sideBranches ?? [])
          notes.push(sideBranchNote(side, ready.target.branch, "earlier local commits"));
      };
      try {
        if (await this.#mayBeBehind(ready)) await catchUp();
        const value = await read({ sandbox: ready.sandbox, redact }).catch(async (error: unknown) => {
          if (!(error instanceof CloneMissingError)) throw error;
          await catchUp();
          return read({ sandbox: ready.sandbox, redact });
        });
        return { ready: true, repo: ready.target.fullName, branch: ready.target.branch, notes, value };
      } catch (error) {
        await this.#recordAccessFailure(error);
        return { ready: false, problem: redact(describeFailure(error, ready.target.fullName)) };
      }
    });
  }

  /**
   * Disconnect or change of repo: forgets config, token and clone, and destroys the sandbox.
   * Operations still running give up. If the last push failed, the sandbox is kept: it holds
   * the only copy of that work, and the next sync pushes it (same repo) or sets it aside.
   */
  async reset(): Promise<{ sandbox: "destroyed" | "kept-unpushed-work" | "unreachable" }> {
    this.#generation += 1;
    this.#config = undefined;
    this.#synced = undefined;
    this.#gitRoute = undefined;
    // The files sessions listed belong to a repo this user no longer reads from.
    this.memoryChanged();
    await this.#tokens.discard();
    if (await this.storage.get(UNPUSHED_KEY)) return { sandbox: "kept-unpushed-work" };
    try {
      await this.#openSandbox().destroy();
      return { sandbox: "destroyed" };
    } catch (error) {
      logProblem("sandbox_destroy_on_reset", error);
      return { sandbox: "unreachable" };
    }
  }

  /**
   * Account deletion: nothing runs from now on, the operation running now gives up, the sandbox
   * goes with everything in it (unpushed work too: the person asked for it all to go), and this
   * resolves once no operation is left that could write to storage again. Unlike
   * {@link reset}, a sandbox that cannot be destroyed is an error, so the deletion is retried.
   * @throws when the sandbox backend refuses or cannot be reached.
   */
  async erase(): Promise<void> {
    this.#erased = true;
    this.#generation += 1;
    this.#config = undefined;
    this.#synced = undefined;
    this.#gitRoute = undefined;
    this.#identity = undefined;
    await this.#tokens.discard();
    // Destroying kills a command still running, so the operation waiting on it ends at once.
    await this.#openSandbox().destroy();
    await this.#queue.run(async () => undefined);
  }

  /** GitHub told us the installation or its repos changed: re-read the config and mint anew; keep the clone. */
  async configChanged(): Promise<void> {
    this.#config = undefined;
    await this.#tokens.discard();
  }

  /**
   * Config, sandbox, token and identity for git work, or why there are none; for `proposal`'s
   * clone and branch when given (see Ready.lane).
   */
  async #ready(proposal?: Proposal): Promise<Ready | { problem: string }> {
    if (this.#erased) return { problem: "This ctx4-ai account was deleted." };
    let config: UserGithubConfig | null;
    try {
      config = await this.config();
    } catch (error) {
      return { problem: `Could not read the person's settings: ${error instanceof Error ? error.message : error}` };
    }
    const problem = configProblem(config);
    if (problem || !config?.repoId || !config.repoUrl || !config.repoFullName) {
      return { problem: problem ?? "No repository is chosen yet." };
    }
    const target: CloneTarget = {
      repoId: config.repoId,
      fullName: config.repoFullName,
      cloneUrl: config.repoUrl,
      branch: config.defaultBranch ?? "main",
    };
    const tokenTarget = { installationId: config.installationId, repoId: config.repoId };
    const credentials: GitCredentials = {
      token: () => this.#tokens.token(tokenTarget),
      renew: () => this.#tokens.renew(tokenTarget),
    };
    try {
      // The token first: getting it confirms the person may still use the repo, before anything runs.
      await credentials.token();
      if (!config.isActive) await this.#recordAccess(null);
      const identity = await this.#botIdentity(credentials);
      const sandbox = this.#guardedSandbox();
      const unchecked = await this.storage.get<string>(CLONE_STATE_KEY);
      if (unchecked) await this.#defaultCloneAfter(sandbox, unchecked);
      if (!proposal) return { target, sandbox, identity, credentials };
      return {
        target: { ...target, branch: proposal.branch },
        sandbox: inProposalFolder(sandbox, proposal),
        identity,
        credentials,
        lane: { proposal, base: target.branch, root: sandbox },
      };
    } catch (error) {
      await this.#recordAccessFailure(error);
      return { problem: redactSecrets(describeFailure(error, target.fullName), this.#tokens.knownTokens()) };
    }
  }

  /** The proposal a client's reads go to: its own, while it is reviewed and has work pending. */
  async #pendingProposal(clientId: string): Promise<Proposal | undefined> {
    if (!(await this.reviewed(clientId))) return undefined;
    const proposal = await proposalOf(clientId);
    return (await this.storage.get<boolean>(PENDING_PREFIX + proposal.key)) ? proposal : undefined;
  }

  /**
   * Before a reviewed client's command: the default branch's clone with nothing of its own left
   * unpushed (synced first when it may hold some), and its state, to hold against after the
   * command (see keepCloneAsItWas): setting it aside then can never take another client's work.
   */
  async #defaultCloneBefore(root: SandboxBackend): Promise<string> {
    if (this.#mayHoldLeftovers || (await this.storage.get(UNPUSHED_KEY))) {
      const ready = await this.#ready();
      if ("problem" in ready) throw new Error(ready.problem);
      await this.#syncFollowing(ready, "fetch", []);
    }
    const state = await cloneState(root);
    await this.storage.put(CLONE_STATE_KEY, state);
    return state;
  }

  /**
   * After a reviewed client's command (or, when that was cut short, before the next operation):
   * the default branch's clone is as `state` left it, or it is moved to `lost+found/` (returned).
   */
  async #defaultCloneAfter(root: SandboxBackend, state: string): Promise<string | undefined> {
    const aside = await keepCloneAsItWas(root, state);
    await this.storage.delete(CLONE_STATE_KEY);
    return aside;
  }

  /**
   * Whether the clone must be synced first: never synced (this object just started), the last
   * commit-and-push did not finish, or stale and GitHub's branch moved.
   */
  async #mayBeBehind({ target, credentials, lane }: Ready): Promise<boolean> {
    // A proposal's clone is kept on top of the default branch: it fetches both each time.
    if (lane || this.#mayHoldLeftovers) return true;
    const synced = this.#synced;
    if (!synced || !sameBranch(synced, target) || synced.upstream === undefined) return true;
    if (Date.now() - synced.at <= REMOTE_FRESH_MS) return false;
    this.#counts.remoteChecks += 1;
    const head = await remoteBranchHead(target.cloneUrl, target.branch, await credentials.token());
    if (head === undefined || head !== synced.upstream) return true;
    this.#synced = { ...synced, at: Date.now() };
    return false;
  }

  /**
   * Runs sync.sh with the git route open: while it runs, and only then, git in the sandbox may
   * reach the user's repo on GitHub through {@link Workspace.gitEgress}.
   */
  async #sync(ready: Ready, mode: SyncMode, message?: string, action?: WebAction): Promise<SyncOutcome> {
    if (mode !== "push-only") this.#counts.gitSyncs += 1;
    const { lane } = ready;
    this.#gitRoute = ready;
    this.#routeRules = {
      replace: Boolean(lane),
      ...((action?.kind === "approve" || action?.kind === "reject") && { deletable: `refs/heads/${action.branch}` }),
    };
    this.#pushedRefs = [];
    this.#routeRefusals = [];
    const credentials: GitCredentials = {
      token: ready.credentials.token,
      // When the route itself refused, a fresh token changes nothing: say why instead.
      renew: () =>
        this.#routeRefusals.length ? Promise.reject(routeRefused(this.#routeRefusals)) : ready.credentials.renew(),
    };
    let outcome: SyncOutcome;
    try {
      const synced = lane ? undefined : this.#synced;
      const same = synced && sameBranch(synced, ready.target) ? synced : undefined;
      const knownUpstream = same?.upstream ?? undefined;
      const knownIndex = lane ? this.#proposalIndexes.get(ready.target.branch) : same?.index;
      outcome = confirmPushes(
        await syncClone(ready.sandbox, ready.target, ready.identity, credentials, mode, {
          commitMessage: message ?? withClientTrailer(LEFTOVER_MESSAGE, this.#leftoversOf),
          knownUpstream,
          knownIndex,
          base: lane?.base,
          action,
          allowedFindings: () => this.#allowedFindings(),
        }),
        this.#pushedRefs,
        ready.target.branch,
      );
    } catch (error) {
      if (error instanceof SyncError && this.#routeRefusals.length && !error.cause) {
        throw new SyncError(error.failure, error.message, error.partial, { cause: routeRefused(this.#routeRefusals) });
      }
      throw error;
    } finally {
      this.#gitRoute = undefined;
    }
    if (lane) {
      if (outcome.index) this.#proposalIndexes.set(ready.target.branch, outcome.index);
      else this.#proposalIndexes.delete(ready.target.branch);
      // A proposal's clone: the default branch's record, leftovers and unpushed work are not its.
      if (outcome.refused) await this.storage.put(UNPUSHED_KEY, { repoId: ready.target.repoId, since: Date.now() });
      if (mode !== "read") await this.#recordFindings(outcome.refused);
      return outcome;
    }
    const before = this.#synced && sameBranch(this.#synced, ready.target) ? this.#synced.upstream : undefined;
    this.#synced = {
      repoId: ready.target.repoId,
      branch: ready.target.branch,
      at: Date.now(),
      upstream: outcome.upstream,
      index: outcome.index,
    };
    if (memoryMoved(outcome, before)) this.memoryChanged();
    // After a push-capable sync, nothing of the clone is left unpushed. A clone set aside may
    // hold work that never reached GitHub, so the sandbox stays on reset then.
    // Refused work stays in the clone only, like a failed push's.
    if (outcome.refused) await this.storage.put(UNPUSHED_KEY, { repoId: ready.target.repoId, since: Date.now() });
    else if (mode !== "read" && !outcome.movedAside) await this.storage.delete(UNPUSHED_KEY);
    if (mode !== "read") {
      this.#mayHoldLeftovers = false;
      this.#leftoversOf = undefined;
      await this.#recordFindings(outcome.refused);
    }
    return outcome;
  }

  /** The fingerprints the person allowed from `/activity/findings`, read when a scan found something. */
  async #allowedFindings(): Promise<Set<string>> {
    const database = connectDatabase(this.env.HYPERDRIVE.connectionString);
    try {
      this.#counts.postgresQueries += 1;
      return await allowedFingerprints(database.db, this.userId);
    } finally {
      await database.close();
    }
  }

  /**
   * Keeps what `/activity/findings` lists in step with the last push-capable sync: its refused
   * findings, or none once a sync was not refused (written only when there were some). A failed
   * write is logged: the push was refused all the same.
   */
  async #recordFindings(refusal: SecretRefusal | undefined): Promise<void> {
    if (!refusal && !(await this.storage.get(FINDINGS_KEY))) return;
    const database = connectDatabase(this.env.HYPERDRIVE.connectionString);
    try {
      this.#counts.postgresQueries += 1;
      await replaceSecretFindings(
        database.db,
        this.userId,
        (refusal?.findings ?? []).map(({ fingerprint, rule, path, line, excerpt, commit, client }) => ({
          fingerprint,
          rule,
          path,
          line,
          excerpt,
          commitSha: commit,
          clientName: client,
        })),
      );
      if (refusal) await this.storage.put(FINDINGS_KEY, true);
      else await this.storage.delete(FINDINGS_KEY);
    } catch (failure) {
      logProblem("record_refused_findings", failure);
    } finally {
      await database.close();
    }
  }

  /**
   * {@link Workspace.#sync}, and when GitHub has no such branch or repo any more, the repo read
   * again by id: a renamed default branch or repo is followed (and stored, so the dashboard
   * agrees), with a note, and the sync runs once more there.
   */
  async #syncFollowing(
    ready: Ready,
    mode: SyncMode,
    notes: string[],
    action?: WebAction,
  ): Promise<{ ready: Ready; outcome: SyncOutcome }> {
    // A proposal's branch missing on GitHub is one not made yet, not a renamed default branch.
    if (ready.lane) return { ready, outcome: await this.#sync(ready, mode, undefined, action) };
    try {
      return { ready, outcome: await this.#sync(ready, mode, undefined, action) };
    } catch (error) {
      if (!(error instanceof SyncError) || !FOLLOW_ON.has(error.failure)) throw error;
      const moved = await this.#follow(ready);
      if (!moved) throw error;
      notes.push(moved.note);
      return { ready: moved.ready, outcome: await this.#sync(moved.ready, mode, undefined, action) };
    }
  }

  /** The chosen repo as GitHub describes it now, if that differs from what we follow. */
  async #follow(ready: Ready): Promise<{ ready: Ready; note: string } | undefined> {
    const { target } = ready;
    const repo = await findTokenRepo(this.env, await ready.credentials.token(), target.repoId);
    if (!repo) return undefined;
    const now = { fullName: repo.fullName, cloneUrl: repo.cloneUrl, branch: repo.defaultBranch };
    if (now.fullName === target.fullName && now.cloneUrl === target.cloneUrl && now.branch === target.branch) {
      return undefined;
    }
    const database = connectDatabase(this.env.HYPERDRIVE.connectionString);
    try {
      this.#counts.postgresQueries += 1;
      const selected = {
        repoId: target.repoId,
        repoFullName: now.fullName,
        repoUrl: now.cloneUrl,
        defaultBranch: now.branch,
      };
      this.#config = (await updateSelectedRepo(database.db, this.userId, selected)) ?? this.#config;
    } finally {
      await database.close();
    }
    const changes = [
      ...(now.fullName !== target.fullName
        ? [`the repository is now ${now.fullName} (it was ${target.fullName})`]
        : []),
      ...(now.branch !== target.branch ? [`its default branch is now ${now.branch} (it was ${target.branch})`] : []),
    ];
    const note = `On GitHub, ${changes.join(" and ") || "the repository moved"}: the memory follows it.`;
    return { ready: { ...ready, target: { ...target, ...now } }, note };
  }

  /**
   * After a command of `client`'s: commits what it changed as `message` and pushes, or says why
   * not.
   */
  async #publish(
    ready: Ready,
    message: string,
    client: string | undefined,
  ): Promise<{ sync: SyncOutcome; publish: PublishOutcome; commitError?: string }> {
    try {
      const sync = await this.#sync(ready, "push-only", message);
      if (sync.refused) return { sync, publish: { state: "refused", refusal: sync.refused } };
      if (sync.pushed) return { sync, publish: { state: "pushed", sha: sync.pushed } };
      return { sync, publish: { state: "not-needed" } };
    } catch (error) {
      if (error instanceof WorkspaceResetError) throw error;
      // A proposal's clone always catches up first: its leftovers are committed then.
      if (!ready.lane) this.#mayHoldLeftovers = true;
      const sync = error instanceof SyncError ? error.partial : { fetched: false };
      if (error instanceof SyncError && error.failure === "commit") {
        if (!ready.lane) this.#leftoversOf = client;
        return { sync, publish: { state: "not-needed" }, commitError: error.message };
      }
      await this.storage.put(UNPUSHED_KEY, { repoId: ready.target.repoId, since: Date.now() });
      return { sync, publish: { state: "failed", message: describeFailure(error, ready.target.fullName) } };
    }
  }

  /**
   * The egress route's decision for one HTTP request git in this user's sandbox made: refused
   * unless our own sync is running now and it is a smart HTTP request of the user's repo; then
   * sent to GitHub with the installation token, which never enters the sandbox.
   */
  async gitEgress(request: Request): Promise<Response> {
    const route = this.#gitRoute;
    if (!route) {
      await request.body?.cancel();
      return refusedEgress({
        allowed: false,
        status: 403,
        reason:
          "only ctx4-ai's own sync talks to GitHub; commands work on the clone, and what they change is pushed after them",
      });
    }
    const verdict = checkGitEgress(request.method, request.url, route.target);
    if (!verdict.allowed) {
      await request.body?.cancel();
      this.#routeRefusals.push(verdict.reason);
      return refusedEgress(verdict);
    }
    return forwardGitEgress(request, verdict, {
      token: await route.credentials.token(),
      branch: route.target.branch,
      branchExisted: Boolean(
        !route.lane && this.#synced && sameBranch(this.#synced, route.target) && this.#synced.upstream,
      ),
      rules: this.#routeRules,
      onPushed: (refs) => this.#pushedRefs.push(...refs),
      onRefused: (reason) => this.#routeRefusals.push(reason),
    });
  }

  /** Records an access problem GitHub gave, directly or as the reason a sync could not go on. */
  async #recordAccessFailure(error: unknown): Promise<void> {
    const access = error instanceof SyncError ? error.cause : error;
    if (access instanceof GitHubAccessError) await this.#recordAccess(access.problem);
  }

  /**
   * Keeps the config (what `/me` shows) in step with what GitHub told a tool: the problem, or
   * none (`null`) once access works again. Written only when it changes; a failed write is
   * logged, never the tool's failure.
   */
  async #recordAccess(problem: GitHubAccessProblem | null): Promise<void> {
    const config = this.#config;
    const reason = problem && INACTIVE_REASON[problem];
    if (!config?.repoId || (config.isActive === (reason === null) && config.inactiveReason === reason)) return;
    const database = connectDatabase(this.env.HYPERDRIVE.connectionString);
    try {
      this.#counts.postgresQueries += 1;
      this.#config = (await recordAccess(database.db, this.userId, config.repoId, reason)) ?? config;
    } catch (failure) {
      logProblem("record_access_problem", failure);
    } finally {
      await database.close();
    }
  }

  async #botIdentity(credentials: GitCredentials): Promise<BotIdentity> {
    this.#identity ??= await this.storage.get<BotIdentity>(IDENTITY_KEY);
    if (!this.#identity) {
      this.#identity = await findBotIdentity(this.env, await credentials.token());
      await this.storage.put(IDENTITY_KEY, this.#identity);
    }
    return this.#identity;
  }

  #openSandbox(): SandboxBackend {
    this.#sandbox ??= openSandbox(this.env, this.userId, (request) => this.gitEgress(request));
    return this.#sandbox;
  }

  /** The sandbox for one operation: it refuses to run anything once a reset happened. */
  #guardedSandbox(): SandboxBackend {
    const generation = this.#generation;
    const sandbox = this.#openSandbox();
    const check = () => {
      if (this.#generation !== generation) throw new WorkspaceResetError();
    };
    return {
      exec: async (request) => {
        check();
        this.#counts.sandboxExecs += 1;
        // A reset destroys the sandbox, which can make the exec fail: the reset is what to say then.
        const result = await sandbox.exec(request).catch((error: unknown) => {
          check();
          throw error;
        });
        check();
        return result;
      },
      destroy: () => sandbox.destroy(),
    };
  }
}

/**
 * What sync.sh says it pushed, held against what GitHub answered through the egress route
 * (the Worker's own record, which nothing in the sandbox can write): a push GitHub did not
 * confirm is a failure, and every ref update GitHub confirmed that the script did not report
 * (another ref, or the branch at another commit) is named in `unexplainedPushes`. A sandbox
 * that lies about a push can neither make the result say a change landed nor hide one.
 */
export function confirmPushes(outcome: SyncOutcome, pushed: PushedRef[], branch: string): SyncOutcome {
  const landed = (ref: string, sha: string) =>
    pushed.some((entry) => entry.ok && entry.ref === ref && entry.new === sha);
  if (outcome.pushed && !landed(`refs/heads/${branch}`, outcome.pushed)) {
    throw new SyncError("unconfirmed-push", `GitHub did not confirm that ${branch} now is ${outcome.pushed}.`, {
      ...outcome,
      pushed: undefined,
    });
  }
  const sides = outcome.sideBranches ?? [];
  const unconfirmed = sides.find((side) => !landed(`refs/heads/${side.name}`, side.sha));
  if (unconfirmed) {
    throw new SyncError(
      "unconfirmed-push",
      `GitHub did not confirm branch ${unconfirmed.name} at ${unconfirmed.sha}.`,
      {
        ...outcome,
        sideBranches: sides.filter((side) => side !== unconfirmed),
      },
    );
  }
  const reported = new Set([
    ...(outcome.pushed ? [`refs/heads/${branch} ${outcome.pushed}`] : []),
    ...sides.map((side) => `refs/heads/${side.name} ${side.sha}`),
  ]);
  const unexplained = pushed.filter((entry) => entry.ok && !reported.has(`${entry.ref} ${entry.new}`));
  return unexplained.length
    ? { ...outcome, unexplainedPushes: unexplained.map(({ ref, new: sha }) => ({ ref, sha })) }
    : outcome;
}

function routeRefused(reasons: string[]): RouteRefusedError {
  return new RouteRefusedError(`ctx4-ai's git route refused what git sent to GitHub: ${reasons.join("; ")}.`);
}

/**
 * Notes on a sync, for the AI. `before` a command every event is news; `after` it, the commit
 * and push are the result itself and only a clone set up again is worth a note.
 */
function describeSync(outcome: SyncOutcome, target: CloneTarget, phase: "before" | "after" = "before"): string[] {
  const notes: string[] = [];
  if (outcome.movedAside)
    notes.push(
      `The old clone (of another repository, or with its git data gone or broken) was moved to ${outcome.movedAside} in the sandbox.`,
    );
  if (outcome.cloned) {
    notes.push(
      outcome.cloned.head
        ? `Cloned ${target.fullName} (${target.branch} at ${short(outcome.cloned.head)}).`
        : `Cloned ${target.fullName}: it is empty, the first change creates ${target.branch}.`,
    );
  }
  if (outcome.nested?.length) {
    notes.push(
      `Not committed: ${outcome.nested.join(", ")}: each holds a .git of its own (a repository inside the repository), and ctx4-ai commits only the repository's own files. Remove the inner .git to have them committed.`,
    );
  }
  for (const { ref, sha } of outcome.unexplainedPushes ?? [])
    notes.push(
      `WARNING: something in the sandbox, not ctx4-ai's own steps, moved ${ref.replace(/^refs\/heads\//, "branch ")} on GitHub to ${short(sha)}. Tell the person to check that branch's history on GitHub.`,
    );
  if (outcome.flattened) {
    notes.push(
      `${outcome.flattened} commit(s) made by a command brought a file over GitHub's 100 MB limit, so GitHub would have refused every push: they were put together into one commit without it.`,
    );
  }
  for (const file of outcome.flagged ?? []) notes.push(flaggedNote(file));
  if (outcome.scanCut)
    notes.push(
      "These changes add more than 2 MiB of text: only the first 2 MiB were scanned for secrets before the push. Keep notes small, and never paste keys or tokens into them.",
    );
  for (const { from, commits } of outcome.brought ?? []) {
    const where = from === "HEAD" ? "on a detached HEAD" : `on local branch ${from}`;
    notes.push(`Brought ${commits} commit(s) made ${where} onto ${target.branch}: the memory lives on one branch.`);
  }
  if (outcome.dropped?.length) {
    notes.push(
      `Deleted local branch(es) ${outcome.dropped.join(", ")}: their commits are on ${target.branch} or on a side branch named here.`,
    );
  }
  if (outcome.brokenRefs?.length) {
    notes.push(
      `Deleted ref(s) ${outcome.brokenRefs.join(", ")}: each pointed at no commit this clone has (a missing object, a tree or a blob), so there was nothing behind it to keep.`,
    );
  }
  if (outcome.restored) {
    notes.push(
      `${target.branch} was behind GitHub's (a reset, or a checkout of an older commit) and is back at GitHub's ${short(outcome.restored)}: commits that reached GitHub are never removed. To undo one, use \`git revert\`.`,
    );
  }
  if (phase === "after") {
    if (outcome.integrated === "rebased") {
      notes.push(
        `GitHub's ${target.branch} had commits this clone's did not (someone else pushed meanwhile, or the command moved the branch back): this command's commit was rebased on top of them, and the clone has both.${outcome.committed?.landed ? " Git carries a change to a file renamed there to its new name: the files it landed on are listed below." : ""} Read files again before editing them further.`,
      );
    }
    return notes;
  }
  if (outcome.committed) {
    const landed = outcome.committed.landed === undefined ? outcome.committed : outcome.committed.landed;
    notes.push(
      landed
        ? `Committed changes an earlier command left (${short(landed.sha)}).`
        : "Changes an earlier command left were already on GitHub: nothing was left to commit.",
    );
  }
  if (outcome.integrated === "fast-forward")
    notes.push(`Pulled new commits from GitHub (now at ${short(outcome.head)}).`);
  if (outcome.integrated === "rebased") notes.push("Rebased earlier local commits on top of GitHub's new commits.");
  if (outcome.pushed) notes.push(`Pushed earlier local commits (${short(outcome.pushed)}).`);
  return notes;
}

/**
 * Where work that did not go onto `branch` went, and why. `what` names the work of a conflict:
 * found before a command, earlier commits; after it, the command's own.
 */
export function sideBranchNote({ name, sha, why, conflicts }: SideBranch, branch: string, what: string): string {
  if (why === "stashed") {
    return `Changes put away with \`git stash\` were pushed to branch ${name} (${short(sha)}), and the stash was emptied: a stash lives only in the sandbox, whose disk can be replaced at any time. Nothing was lost: compare with \`git diff ${branch} origin/${name}\`, bring a file back with \`git checkout origin/${name} -- <path>\`, and tell the person.`;
  }
  if (why === "recovered") {
    return `The clone had lost its git data (its .git folder was gone or broken), so it was cloned again from GitHub. Nothing was lost: the files it held were pushed to branch ${name} (${short(sha)}); compare with \`git diff ${branch} origin/${name}\` and tell the person.`;
  }
  const where = conflicts.length ? ` in ${conflicts.join(", ")}` : "";
  return `Not merged: ${what} (${short(sha)}) conflict with ${branch}${where}, which someone else changed. Nothing was lost: they were pushed to branch ${name}, and the clone follows ${branch} with the other version. Tell the person; compare with \`git diff ${branch} origin/${name}\`.`;
}

function flaggedNote(file: FlaggedFile): string {
  if (file.kind === "unstorable") {
    return `Not committed: ${file.path}: git cannot store a file by that name. It stays in the clone, uncommitted: rename or delete it.`;
  }
  const size = `${(file.bytes / 1024 / 1024).toFixed(1)} MB`;
  if (file.kind === "kept-aside") {
    return `Not on GitHub: ${file.path} is ${size}, over GitHub's limit of 100 MB for one file, so it could not go with the work set aside on a side branch. It is kept in the sandbox at ${file.folder}/${file.path}, whose disk does not last: tell the person, and make it smaller or delete it.`;
  }
  const { kind, path } = file;
  if (kind === "refused") {
    return `Not committed: ${path} is ${size}, over GitHub's limit of 100 MB for one file, so GitHub would refuse it. It stays in the clone, uncommitted: make it smaller or split it, or delete it.`;
  }
  if (kind === "large")
    return `Committed ${path}, ${size}: GitHub warns about files over 50 MB; a memory works best as text.`;
  return `Committed ${path}, a binary file (${size}): its changes cannot be read as text in diffs.`;
}

/** The dashboard's name for each access problem GitHub gives the tools. */
const INACTIVE_REASON: Record<GitHubAccessProblem, InactiveReason> = {
  installation_missing: "installation_deleted",
  installation_suspended: "installation_suspended",
  repo_unreachable: "repo_removed",
  person_lost_repo: "person_lost_repo",
  person_unconfirmed: "person_unconfirmed",
};

/**
 * Whether a sync changed what the clone's branch holds: it made or brought in commits, or put
 * the branch back, or GitHub's branch is not where this object last saw it (`before`; unknown
 * right after the object started, when only the events themselves tell).
 */
function memoryMoved(outcome: SyncOutcome, before: string | null | undefined): boolean {
  if (outcome.committed || outcome.integrated || outcome.pushed || outcome.restored || outcome.brought?.length)
    return true;
  return before !== undefined && outcome.upstream !== undefined && outcome.upstream !== before;
}

/** Failures of a sync after which the repo is read again: its branch or itself may have moved. */
const FOLLOW_ON = new Set<SyncFailure>(["branch-gone", "not-found"]);

const sameBranch = (a: { repoId: number; branch: string }, b: { repoId: number; branch: string }) =>
  a.repoId === b.repoId && a.branch === b.branch;

export const short = (sha: string | null | undefined) => (sha ? sha.slice(0, 7) : "none");
