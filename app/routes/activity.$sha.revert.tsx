import { data, Form, Link, redirect } from "react-router";
import { commitShaSchema } from "../../workers/workspace/web-actions";
import { SubmitButton } from "../components/button";
import { Notice } from "../components/notice";
import { Page } from "../components/page";
import { WebActionStopNotice } from "../components/web-action-notice";
import { feedbackHeaders } from "../lib/feedback.server";
import { loadUserConfig } from "../lib/github-config.server";
import { userWorkspace } from "../lib/user-workspace.server";
import type { Route } from "./+types/activity.$sha.revert";

export const meta: Route.MetaFunction = () => [{ title: "Revert a change · ctx4-ai" }];

/** The page's 404: no such commit in this person's memory (another user's included). */
const notFound = () => data(null, { status: 404 });

/**
 * `GET /activity/:sha/revert`: the confirmation, naming the commit and the files it changed.
 * The commit is read from the person's own workspace clone (`ctx_history`'s reader, which
 * catches up with GitHub first), so nothing reaches the browser but what is shown, and a commit
 * of anyone else's repo is simply not found.
 */
export async function loader({ request, context, params }: Route.LoaderArgs) {
  const { user, env } = await loadUserConfig(context, request);
  const sha = commitShaSchema.safeParse(params.sha);
  if (!sha.success) throw notFound();
  const history = await userWorkspace(env, user.id).history({ commit: sha.data });
  if (!history.ready) return { email: user.email, sha: sha.data, commit: null, problem: history.problem };
  const [commit] = history.value.commits;
  if (history.value.problem || commit?.sha !== sha.data) throw notFound();
  const { subject, author, date, files, moreFiles } = commit;
  return { email: user.email, sha: sha.data, commit: { subject, author, date, files, moreFiles }, problem: null };
}

/**
 * `POST`: the revert, through the person's own workspace (Workspace.revert). Landed: to the new
 * commit's page, which says so once. A commit the person's repo does not have: 404. Otherwise
 * this page again, saying why and what to do.
 * A form posted from another site is refused before this runs (React Router's Origin check on
 * actions, with SameSite=Lax session cookies).
 */
export async function action({ request, context, params }: Route.ActionArgs) {
  const { user, env } = await loadUserConfig(context, request);
  const sha = commitShaSchema.safeParse(params.sha);
  if (!sha.success) throw notFound();
  const outcome = await userWorkspace(env, user.id).revert(sha.data);
  // No such commit in this person's repo (another person's, say): the page does not exist.
  if (outcome.state === "refused" && outcome.code === "unknown") throw notFound();
  if (outcome.state === "landed") {
    const feedback = { kind: "reverted" as const, reverted: sha.data, sha: outcome.sha };
    return redirect(`/activity/${outcome.sha}`, { headers: await feedbackHeaders(request, feedback) });
  }
  return data({ outcome }, { status: outcome.state === "failed" ? 503 : 409 });
}

export default function RevertCommit({ loaderData, actionData }: Route.ComponentProps) {
  const { email, sha, commit, problem } = loaderData;
  return (
    <Page email={email}>
      <div className="space-y-6">
        <p className="text-sm">
          <Link to={`/activity/${sha}`} className="underline underline-offset-4">
            ← Back to this change
          </Link>
        </p>
        <h1 className="text-2xl font-semibold tracking-tight">Revert this change?</h1>
        {actionData ? <WebActionStopNotice action="revert" outcome={actionData.outcome} /> : null}
        {problem ? (
          <Notice tone="error" title="Your memory cannot be read right now">
            {problem}
          </Notice>
        ) : null}
        {commit ? (
          <>
            <section className="space-y-2 rounded-lg border border-stone-200 bg-white p-4">
              <p className="font-medium">{commit.subject || "(no message)"}</p>
              <p className="text-sm text-stone-600">
                {commit.author} · <time dateTime={commit.date}>{commit.date}</time> ·{" "}
                <code className="font-mono">{sha.slice(0, 7)}</code>
              </p>
              <ul className="space-y-1 font-mono text-sm">
                {commit.files.map((file) => (
                  <li key={`${file.status} ${file.from ?? ""} ${file.path}`}>
                    {file.status} {file.from ? `${file.from} → ` : ""}
                    {file.path}
                  </li>
                ))}
              </ul>
              {commit.moreFiles > 0 ? (
                <p className="text-sm text-stone-600">and {commit.moreFiles} more files</p>
              ) : null}
            </section>
            <p className="text-sm text-stone-700">
              A new commit undoes what this one changed, on top of everything since; this commit stays in the history.
              If later changes touched the same lines, nothing is changed and this page says which files.
            </p>
            <Form method="post" className="flex items-center gap-3">
              <SubmitButton variant="danger" pendingLabel="Reverting…">
                Revert this change
              </SubmitButton>
              <Link to={`/activity/${sha}`} className="text-sm underline underline-offset-4">
                Cancel
              </Link>
            </Form>
          </>
        ) : null}
      </div>
    </Page>
  );
}
