import { data, Link } from "react-router";
import { buttonClass } from "../components/button";
import { FileDiff } from "../components/file-diff";
import { AuthorLabel, CommitDate, MemoryNav } from "../components/memory-nav";
import { Page } from "../components/page";
import { ActivityFeedback } from "../components/web-action-notice";
import { bodyOf } from "../lib/commit-trailers";
import { takeFeedback } from "../lib/feedback.server";
import { loadMemory, notFound } from "../lib/memory-page.server";
import type { Route } from "./+types/activity.$sha";

export const meta: Route.MetaFunction = ({ data }) => [
  { title: `${data?.commit.subject || "A change"} · Activity · ctx4-ai` },
];

/**
 * One commit of the person's memory repo, by full id, with its diff (one GitHub call), and,
 * once, what the revert that made it did. An id their repo does not hold, someone else's
 * included, is 404.
 */
export async function loader({ request, context, params }: Route.LoaderArgs) {
  if (!/^[0-9a-f]{40}$/.test(params.sha)) throw notFound();
  const { email, fullName, webUrl, memory } = await loadMemory(context, request);
  const [commit, { feedback, headers }] = await Promise.all([memory.commit(params.sha), takeFeedback(request)]);
  if (!commit) throw notFound();
  return data({ email, fullName, webUrl, commit, feedback }, { headers });
}

export default function CommitPage({ loaderData }: Route.ComponentProps) {
  const { commit } = loaderData;
  const body = bodyOf(commit.message);
  // Our bot's commits can be reverted through the workspace: the AI's, and the person's own from these pages.
  const byBot = commit.author.kind === "ai" || (commit.author.kind === "you" && commit.author.fromWeb);
  return (
    <Page email={loaderData.email}>
      <MemoryNav fullName={loaderData.fullName} webUrl={loaderData.webUrl} />
      <div className="space-y-6">
        <p className="text-sm">
          <Link to="/activity" className="underline underline-offset-4">
            ← Activity
          </Link>
        </p>
        <ActivityFeedback feedback={loaderData.feedback} />
        <header className="space-y-2">
          <h1 className="text-2xl font-semibold tracking-tight break-words">{commit.subject || "(no message)"}</h1>
          <p className="text-sm text-stone-600">
            <AuthorLabel author={commit.author} /> · <CommitDate date={commit.date} /> ·{" "}
            <code className="text-xs">{commit.sha.slice(0, 7)}</code> · {commit.files.length} file
            {commit.files.length === 1 ? "" : "s"} changed
          </p>
          {body ? (
            <pre className="rounded-md bg-stone-100 p-3 text-sm whitespace-pre-wrap break-words">{body}</pre>
          ) : null}
          {byBot ? (
            <div>
              <Link to={`/activity/${commit.sha}/revert`} className={buttonClass("secondary")}>
                Revert this change
              </Link>
            </div>
          ) : null}
        </header>
        <div className="space-y-4">
          {commit.files.map((file) => (
            <FileDiff
              key={`${file.previousFilename ?? ""}\u0000${file.filename}`}
              file={file}
              webUrl={`${loaderData.webUrl}/commit/${commit.sha}`}
            />
          ))}
        </div>
      </div>
    </Page>
  );
}
