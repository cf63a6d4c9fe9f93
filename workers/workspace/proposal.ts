import type { SandboxBackend } from "../sandbox/backend";
import { CLONE_STATE_SCRIPT } from "./scripts";

/**
 * Review mode: a client the person chose to review writes to a proposal instead of the default
 * branch. Its proposal is one branch on GitHub, `ctx4-ai/review-<key>`, holding everything it
 * wrote since the person last approved or rejected; the person approves it (brought onto the
 * default branch as one commit) or rejects it (the branch is deleted) from Activity.
 *
 * In the sandbox the proposal has a clone of its own, `proposals/<key>/repo`, on that branch,
 * kept rebased on the default branch: the client's commands run there and its reads read
 * there, so it sees the default branch plus its own pending work. The default branch's clone
 * (`repo/`) is not the client's to change: it is checked before and after each of its commands
 * (scripts/clone-state.sh), and the git route lets the proposal's sync push that branch only.
 */

/** A client's proposal: its key (16 hex digits of the SHA-256 of the client's id) and branch. */
export type Proposal = { key: string; branch: string };

/** The proposal of OAuth client `clientId` (its id, not its name: names are not unique). */
export async function proposalOf(clientId: string): Promise<Proposal> {
  const digest = new Uint8Array(await crypto.subtle.digest("SHA-256", new TextEncoder().encode(clientId)));
  const key = [...digest.slice(0, 8)].map((byte) => byte.toString(16).padStart(2, "0")).join("");
  return { key, branch: `ctx4-ai/review-${key}` };
}

/** The proposal of a branch name, when it is one (`ctx4-ai/review-<16 hex digits>`). */
export function proposalOfBranch(branch: string): Proposal | undefined {
  const key = /^ctx4-ai\/review-([0-9a-f]{16})$/.exec(branch)?.[1];
  return key ? { key, branch } : undefined;
}

/**
 * `sandbox` with every exec run in the proposal's folder, `proposals/<key>`, made when missing.
 * Whatever a command left there (a symlink to elsewhere, a file) is removed first: the
 * proposal's sync must never work on another clone.
 */
export function inProposalFolder(sandbox: SandboxBackend, { key }: Proposal): SandboxBackend {
  const enter = [
    `for ctx4_dir in proposals proposals/${key}; do`,
    '  if [ -L "$ctx4_dir" ] || { [ -e "$ctx4_dir" ] && [ ! -d "$ctx4_dir" ]; }; then rm -f "$ctx4_dir"; fi',
    '  [ -d "$ctx4_dir" ] || mkdir "$ctx4_dir" || exit 125',
    "done",
    `cd proposals/${key} || exit 125`,
    "unset ctx4_dir",
  ].join("\n");
  return {
    exec: (request) => sandbox.exec({ ...request, command: `${enter}\n${request.command}` }),
    destroy: () => sandbox.destroy(),
  };
}

/** The default branch's clone as it is now: a digest to hold against after a command (see clone-state.sh). */
export async function cloneState(sandbox: SandboxBackend): Promise<string> {
  const result = await sandbox.exec({ command: CLONE_STATE_SCRIPT, timeoutMs: 60_000, maxOutputBytes: 4096 });
  const digest = /^@clone-state (\S+)\n$/.exec(result.stdout)?.[1];
  if (!digest) throw new Error(`could not read the state of the default branch's clone: ${result.stderr.trim()}`);
  return digest;
}

/**
 * After a command of a reviewed client: the default branch's clone as `before` left it, or it
 * is moved to `lost+found/` (returned), so nothing the command changed there is ever pushed.
 */
export async function keepCloneAsItWas(sandbox: SandboxBackend, before: string): Promise<string | undefined> {
  const result = await sandbox.exec({
    command: CLONE_STATE_SCRIPT,
    env: { CTX4_EXPECT: before },
    timeoutMs: 60_000,
    maxOutputBytes: 4096,
  });
  if (result.stdout.startsWith("@clone-state ")) return undefined;
  const aside = /^@moved-aside (\S+)\n$/.exec(result.stdout)?.[1];
  if (!aside) throw new Error(`could not check the default branch's clone: ${result.stderr.trim()}`);
  return aside;
}
