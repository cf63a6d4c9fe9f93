import { data, Form, Link } from "react-router";
import { z } from "zod";
import { buttonClass } from "../components/button";
import { AuthorLabel, CommitDate, MemoryNav } from "../components/memory-nav";
import { Page } from "../components/page";
import { ActivityFeedback } from "../components/web-action-notice";
import { takeFeedback } from "../lib/feedback.server";
import type { ChangedFile } from "../lib/github/memory.server";
import { loadMemory } from "../lib/memory-page.server";
import type { Route } from "./+types/activity";

export const meta: Route.MetaFunction = () => [{ title: "Activity · ctx4-ai" }];

const pageSchema = z.coerce.number().int().min(1).max(1000).catch(1);

/**
 * What changed in the memory, newest first: the default branch's commits (a page of
 * `ACTIVITY_PAGE_SIZE`, `?page=`), who made each and the files it touched; on the first page,
 * reviewed clients' proposals waiting for approval and the side branches set aside on
 * conflicts; and, once, what the person's last bring-in, approval or rejection did.
 * GitHub calls: see memory.server.
 */
export async function loader({ request, context }: Route.LoaderArgs) {
  const { email, fullName, webUrl, memory } = await loadMemory(context, request);
  const page = pageSchema.parse(new URL(request.url).searchParams.get("page") ?? undefined);
  const [activity, proposals, sideBranches, { feedback, headers }] = await Promise.all([
    memory.activity(page),
    page === 1 ? memory.proposals() : Promise.resolve([]),
    page === 1 ? memory.sideBranches() : Promise.resolve([]),
    takeFeedback(request),
  ]);
  // The list shows names and counts: no patch goes to the browser.
  const waiting = proposals.map(({ files, ...proposal }) => ({
    ...proposal,
    files: files.map((file) => ({ ...file, patch: null })),
  }));
  return data({ email, fullName, webUrl, page, ...activity, proposals: waiting, sideBranches, feedback }, { headers });
}

const MAX_LISTED_FILES = 5;

function FileList({ files }: { files: ChangedFile[] }) {
  if (files.length === 0) return null;
  const shown = files.slice(0, MAX_LISTED_FILES);
  return (
    <ul className="mt-1 space-y-0.5 font-mono text-xs text-stone-600">
      {shown.map((file) => (
        <li key={file.filename} className="truncate">
          <span className="sr-only">{file.status} </span>
          <span aria-hidden className={STATUS_CLASS[file.status] ?? "text-stone-500"}>
            {STATUS_MARK[file.status] ?? "•"}
          </span>{" "}
          {file.filename}
        </li>
      ))}
      {files.length > shown.length ? <li>and {files.length - shown.length} more files</li> : null}
    </ul>
  );
}

const STATUS_MARK: Record<string, string> = { added: "+", removed: "−", modified: "~", renamed: "→" };
const STATUS_CLASS: Record<string, string> = {
  added: "text-green-700",
  removed: "text-red-700",
  modified: "text-amber-700",
  renamed: "text-sky-700",
};

export default function Activity({ loaderData }: Route.ComponentProps) {
  const { commits, proposals, sideBranches, page, hasNext } = loaderData;
  return (
    <Page email={loaderData.email}>
      <MemoryNav fullName={loaderData.fullName} webUrl={loaderData.webUrl} />
      <div className="space-y-10">
        <header className="flex flex-wrap items-end justify-between gap-3">
          <div>
            <h1 className="text-2xl font-semibold tracking-tight">Activity</h1>
            <p className="mt-1 text-stone-600">Every change to your memory is a commit: see it, diff it, undo it.</p>
          </div>
          <Link to="/activity/findings" className="text-sm underline underline-offset-4">
            Refused writes
          </Link>
        </header>

        <ActivityFeedback feedback={loaderData.feedback} />

        {proposals.length > 0 ? (
          <section aria-labelledby="proposals-heading" className="space-y-3">
            <h2 id="proposals-heading" className="text-lg font-semibold">
              Waiting for your approval
            </h2>
            <p className="text-sm text-stone-600">
              You review these clients&apos; writes: nothing of them is in your memory until you approve it.
            </p>
            <ul className="space-y-3">
              {proposals.map((proposal) => (
                <li key={proposal.name} className="rounded-lg border border-violet-300 bg-violet-50 p-4 text-sm">
                  <div className="flex flex-wrap items-start justify-between gap-3">
                    <div className="min-w-0">
                      <p className="font-medium">{proposal.client ?? "An AI client"} proposes a change</p>
                      <p className="text-stone-700">
                        {proposal.aheadBy} commit{proposal.aheadBy === 1 ? "" : "s"} · {proposal.files.length} file
                        {proposal.files.length === 1 ? "" : "s"}
                      </p>
                    </div>
                    <Link to={`/activity/proposals/${proposal.key}`} className={buttonClass("primary")}>
                      Review
                    </Link>
                  </div>
                  <FileList files={proposal.files} />
                </li>
              ))}
            </ul>
          </section>
        ) : null}

        {sideBranches.length > 0 ? (
          <section aria-labelledby="side-heading" className="space-y-3">
            <h2 id="side-heading" className="text-lg font-semibold">
              Set aside on a conflict
            </h2>
            <p className="text-sm text-stone-600">
              These changes could not land on your memory as they were: nothing was lost, they wait on their own branch
              until you bring them in.
            </p>
            <ul className="space-y-3">
              {sideBranches.map((branch) => (
                <li key={branch.name} className="rounded-lg border border-amber-300 bg-amber-50 p-4 text-sm">
                  <div className="flex flex-wrap items-start justify-between gap-3">
                    <div className="min-w-0">
                      <p className="font-mono font-medium break-all">{branch.name}</p>
                      <p className="text-stone-700">
                        {branch.aheadBy} commit{branch.aheadBy === 1 ? "" : "s"} not on your memory yet ·{" "}
                        {branch.files.length} file{branch.files.length === 1 ? "" : "s"}
                      </p>
                    </div>
                    <Form method="post" action="/activity/branches/bring-in">
                      <input type="hidden" name="branch" value={branch.name} />
                      <button type="submit" className={buttonClass("secondary")}>
                        Bring in
                      </button>
                    </Form>
                  </div>
                  <ul className="mt-2 space-y-1">
                    {branch.commits.map((commit) => (
                      <li key={commit.sha}>
                        <Link to={`/activity/${commit.sha}`} className="underline underline-offset-4">
                          {commit.subject || "(no message)"}
                        </Link>{" "}
                        <span className="text-stone-600">
                          · <AuthorLabel author={commit.author} /> · <CommitDate date={commit.date} />
                        </span>
                      </li>
                    ))}
                  </ul>
                  <FileList files={branch.files} />
                </li>
              ))}
            </ul>
          </section>
        ) : null}

        <section aria-labelledby="commits-heading" className="space-y-3">
          <h2 id="commits-heading" className="text-lg font-semibold">
            Changes{page > 1 ? ` · page ${page}` : ""}
          </h2>
          {commits.length === 0 ? (
            <p className="text-sm text-stone-600">{page > 1 ? "No more changes." : "No changes yet."}</p>
          ) : (
            <ol className="divide-y divide-stone-200 rounded-lg border border-stone-200 bg-white">
              {commits.map((commit) => (
                <li key={commit.sha} className="px-4 py-3 text-sm">
                  <div className="flex flex-wrap items-baseline justify-between gap-x-4 gap-y-1">
                    <Link
                      to={`/activity/${commit.sha}`}
                      className="min-w-0 font-medium underline-offset-4 hover:underline"
                    >
                      {commit.subject || "(no message)"}
                    </Link>
                    <code className="text-xs text-stone-500">{commit.sha.slice(0, 7)}</code>
                  </div>
                  <p className="text-stone-600">
                    <AuthorLabel author={commit.author} /> · <CommitDate date={commit.date} /> · {commit.files.length}{" "}
                    file{commit.files.length === 1 ? "" : "s"}
                  </p>
                  <FileList files={commit.files} />
                </li>
              ))}
            </ol>
          )}
          <nav aria-label="Pages" className="flex justify-between text-sm">
            {page > 1 ? (
              <Link
                to={page === 2 ? "/activity" : `/activity?page=${page - 1}`}
                className="underline underline-offset-4"
              >
                ← Newer
              </Link>
            ) : (
              <span />
            )}
            {hasNext ? (
              <Link to={`/activity?page=${page + 1}`} className="underline underline-offset-4">
                Older →
              </Link>
            ) : null}
          </nav>
        </section>
      </div>
    </Page>
  );
}
