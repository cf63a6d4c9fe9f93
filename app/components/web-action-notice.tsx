import type { WebActionStop } from "../../workers/workspace/web-actions";
import type { Feedback } from "../lib/feedback.server";
import { Notice } from "./notice";

const short = (sha: string) => sha.slice(0, 7);

const VERBS = { revert: "reverted", "bring-in": "brought in", approve: "approved", reject: "rejected" } as const;

/**
 * Why a revert, bring-in, approval or rejection the person asked for did not happen, and what
 * to do now: shown by the revert and proposal pages, and by the Activity page after a bring-in.
 */
export function WebActionStopNotice({ action, outcome }: { action: keyof typeof VERBS; outcome: WebActionStop }) {
  const verb = VERBS[action];
  switch (outcome.state) {
    case "nothing":
      return (
        <Notice tone="info" title="Nothing to do">
          {outcome.reason}
        </Notice>
      );
    case "refused":
      return (
        <Notice tone="error" title={`Not ${verb}`}>
          {outcome.reason}
        </Notice>
      );
    case "conflict": {
      const one = outcome.paths.length === 1;
      const files = outcome.paths.join(", ") || "(git named none)";
      return (
        <Notice tone="warning" title={`Not ${verb}: later changes touch the same lines`}>
          <p>
            Nothing was changed. {one ? "This file was" : "These files were"}{" "}
            {action === "revert" ? "changed again since" : "changed on the default branch too"}: {files}.
          </p>
          <p>
            Ask your AI to settle {one ? "it" : "them"} (it can read both versions), or edit {one ? "it" : "them"} on
            GitHub, then try again.
          </p>
        </Notice>
      );
    }
    case "set-aside":
      return (
        <Notice tone="warning" title={`Not ${verb} on the default branch yet`}>
          <p>
            Your memory changed on GitHub while this ran, and the two conflict. Nothing was lost: the change is on the
            side branch {outcome.branch}, listed on the Activity page, to bring in once the conflict is settled.
          </p>
        </Notice>
      );
    case "failed":
      return (
        <Notice tone="error" title={`Not ${verb}`}>
          {outcome.problem}
        </Notice>
      );
    case "rejected":
      return (
        <Notice tone="info" title="Rejected">
          Nothing of this proposal reached your memory.
        </Notice>
      );
  }
}

/** The Activity pages' word on the person's own last revert or bring-in, if that is what `feedback` is. */
export function ActivityFeedback({ feedback }: { feedback: Feedback | null }) {
  switch (feedback?.kind) {
    case "reverted":
      return (
        <Notice tone="success" title="Reverted">
          Commit {short(feedback.reverted)} is undone by a new commit, {short(feedback.sha)}, on GitHub. Your AI sees it
          on its next call.
        </Notice>
      );
    case "brought-in":
      return (
        <Notice tone="success" title={`Brought in ${feedback.branch}`}>
          Its work is on the default branch as commit {short(feedback.sha)}. The side branch stays on GitHub as it was;
          you can delete it there.
        </Notice>
      );
    case "bring-in-stopped":
      return <WebActionStopNotice action="bring-in" outcome={feedback.outcome} />;
    case "approved":
      return (
        <Notice tone="success" title={`Approved${feedback.client ? ` ${feedback.client}'s proposal` : ""}`}>
          {feedback.sha
            ? `It is on the default branch as commit ${short(feedback.sha)}, and the proposal is closed.`
            : "Everything in it was on the default branch already, so nothing was added; the proposal is closed."}
        </Notice>
      );
    case "rejected":
      return (
        <Notice tone="info" title={`Rejected${feedback.client ? ` ${feedback.client}'s proposal` : ""}`}>
          Its branch is deleted, and nothing of it reached your memory. Your AI starts afresh from the default branch.
        </Notice>
      );
    default:
      return null;
  }
}
