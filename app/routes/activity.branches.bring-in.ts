import { data, redirect } from "react-router";
import { z } from "zod";
import { MAX_CONFLICT_PATHS, type WebActionOutcome, type WebActionStop } from "../../workers/workspace/web-actions";
import { type Feedback, feedbackHeaders } from "../lib/feedback.server";
import { loadUserConfig } from "../lib/github-config.server";
import { userWorkspace } from "../lib/user-workspace.server";
import type { Route } from "./+types/activity.branches.bring-in";

const form = z.object({ branch: z.string().min(1).max(200) });

/** Longest sentence the notice after a bring-in carries (it travels in a cookie). */
const MAX_NOTICE_TEXT = 600;
const cut = (text: string) => (text.length > MAX_NOTICE_TEXT ? `${text.slice(0, MAX_NOTICE_TEXT - 1)}…` : text);

/**
 * `POST /activity/branches/bring-in` (`branch=<side branch>`): brings a side branch ctx4-ai made
 * onto the default branch through the person's own workspace (Workspace.bringIn: only
 * `ctx4-ai/` branches of the product's pattern, one squash commit, pushed as the tools push),
 * then back to `/activity`, which says what happened once. A form posted from another site is
 * refused before this runs (React Router's Origin check on actions, SameSite=Lax cookies).
 */
export async function action({ request, context }: Route.ActionArgs) {
  const { user, env } = await loadUserConfig(context, request);
  const parsed = form.safeParse(Object.fromEntries(await request.formData()));
  if (!parsed.success) throw data("Unexpected form", { status: 400 });
  const { branch } = parsed.data;
  const outcome = await userWorkspace(env, user.id).bringIn(branch);
  return redirect("/activity", { headers: await feedbackHeaders(request, feedbackOf(branch, outcome)) });
}

/** What `/activity` says of the bring-in: its texts cut, since the feedback travels in a cookie. */
function feedbackOf(branch: string, outcome: WebActionOutcome): Feedback {
  const stopped = (stop: WebActionStop): Feedback => ({ kind: "bring-in-stopped", branch, outcome: stop });
  switch (outcome.state) {
    case "landed":
      return { kind: "brought-in", branch, sha: outcome.sha };
    case "nothing":
    case "refused":
      return stopped({ ...outcome, reason: cut(outcome.reason) });
    case "failed":
      return stopped({ ...outcome, problem: cut(outcome.problem) });
    case "conflict":
      return stopped({ ...outcome, paths: outcome.paths.slice(0, MAX_CONFLICT_PATHS).map(cut) });
    case "set-aside":
    case "rejected":
      return stopped(outcome);
  }
}

/** Only a form posts here: a visit is a page that does not exist. */
export function loader() {
  return data(null, { status: 404 });
}
