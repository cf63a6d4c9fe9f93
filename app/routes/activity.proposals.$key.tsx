import { data, Form, Link, redirect } from "react-router";
import { z } from "zod";
import { SubmitButton } from "../components/button";
import { FileDiff } from "../components/file-diff";
import { AuthorLabel, CommitDate, MemoryNav } from "../components/memory-nav";
import { Page } from "../components/page";
import { WebActionStopNotice } from "../components/web-action-notice";
import { feedbackHeaders } from "../lib/feedback.server";
import { PROPOSAL_PREFIX } from "../lib/github/memory.server";
import { loadMemory, notFound } from "../lib/memory-page.server";
import { userWorkspace } from "../lib/user-workspace.server";
import type { Route } from "./+types/activity.proposals.$key";

export const meta: Route.MetaFunction = ({ data }) => [
  { title: `Proposal${data?.proposal.client ? ` of ${data.proposal.client}` : ""} · Activity · ctx4-ai` },
];

const keySchema = z.string().regex(/^[0-9a-f]{16}$/);
const form = z.object({ intent: z.enum(["approve", "reject"]) });

/**
 * A proposal the person has it in their own memory repo, or 404: a key of anyone else's repo
 * (or none) is simply not there. One GitHub call (a compare).
 */
async function pendingProposal(context: Route.LoaderArgs["context"], request: Request, key: string | undefined) {
  const parsed = keySchema.safeParse(key);
  if (!parsed.success) throw notFound();
  const memory = await loadMemory(context, request);
  const proposal = await memory.memory.proposal(parsed.data);
  if (!proposal || proposal.aheadBy === 0) throw notFound();
  return { ...memory, proposal };
}

/**
 * `GET /activity/proposals/:key`: what a reviewed client proposes, as it would land on the
 * default branch (its commits and the diff of them all), with Approve and Reject.
 */
export async function loader({ request, context, params }: Route.LoaderArgs) {
  const { email, fullName, webUrl, proposal } = await pendingProposal(context, request, params.key);
  return { email, fullName, webUrl, proposal };
}

/**
 * `POST` (`intent=approve|reject`), through the person's own workspace: Approve brings the
 * proposal onto the default branch as one commit (Workspace.approve; a conflict changes nothing
 * and the proposal stays), Reject deletes it (Workspace.reject). Done: to Activity (or the new
 * commit), which says so once; otherwise this page again, saying why.
 * A form posted from another site is refused before this runs (React Router's Origin check on
 * actions, with SameSite=Lax session cookies).
 */
export async function action({ request, context, params }: Route.ActionArgs) {
  const { proposal, userId, env } = await pendingProposal(context, request, params.key);
  const parsed = form.safeParse(Object.fromEntries(await request.formData()));
  if (!parsed.success) throw data("Unexpected form", { status: 400 });
  const { intent } = parsed.data;
  const workspace = userWorkspace(env, userId);
  const branch = `${PROPOSAL_PREFIX}${proposal.key}`;
  const outcome = intent === "approve" ? await workspace.approve(branch) : await workspace.reject(branch);
  if (outcome.state === "landed") {
    const feedback = { kind: "approved" as const, client: proposal.client, sha: outcome.sha };
    return redirect(`/activity/${outcome.sha}`, { headers: await feedbackHeaders(request, feedback) });
  }
  // Approved, but its work was on the default branch already: closed, and said so, not as a rejection.
  if (intent === "approve" && outcome.state === "nothing") {
    const feedback = { kind: "approved" as const, client: proposal.client, sha: null };
    return redirect("/activity", { headers: await feedbackHeaders(request, feedback) });
  }
  if (outcome.state === "rejected") {
    const feedback = { kind: "rejected" as const, client: proposal.client };
    return redirect("/activity", { headers: await feedbackHeaders(request, feedback) });
  }
  return data({ intent, outcome }, { status: outcome.state === "failed" ? 503 : 409 });
}

export default function ProposalPage({ loaderData, actionData }: Route.ComponentProps) {
  const { proposal } = loaderData;
  const who = proposal.client ?? "An AI client";
  return (
    <Page email={loaderData.email}>
      <MemoryNav fullName={loaderData.fullName} webUrl={loaderData.webUrl} />
      <div className="space-y-6">
        <p className="text-sm">
          <Link to="/activity" className="underline underline-offset-4">
            ← Activity
          </Link>
        </p>
        {actionData ? <WebActionStopNotice action={actionData.intent} outcome={actionData.outcome} /> : null}
        <header className="space-y-2">
          <h1 className="text-2xl font-semibold tracking-tight break-words">{who} proposes a change</h1>
          <p className="text-stone-600">
            You review this client&apos;s writes: they wait here until you approve them. Approve brings them onto your
            memory as one commit; Reject deletes them. Until then, only {who} sees them.
          </p>
          <p className="text-sm text-stone-600">
            {proposal.aheadBy} commit{proposal.aheadBy === 1 ? "" : "s"} · {proposal.files.length} file
            {proposal.files.length === 1 ? "" : "s"} · on branch <code className="font-mono">{proposal.name}</code>
          </p>
          <ul className="space-y-1 text-sm">
            {proposal.commits.map((commit) => (
              <li key={commit.sha}>
                {commit.subject || "(no message)"}{" "}
                <span className="text-stone-600">
                  · <AuthorLabel author={commit.author} /> · <CommitDate date={commit.date} />
                </span>
              </li>
            ))}
          </ul>
          <Form method="post" className="flex flex-wrap gap-3 pt-2">
            <SubmitButton name="intent" value="approve" pendingLabel="Approving…">
              Approve
            </SubmitButton>
            <SubmitButton name="intent" value="reject" variant="secondary" pendingLabel="Rejecting…">
              Reject
            </SubmitButton>
          </Form>
        </header>
        <div className="space-y-4">
          {proposal.files.map((file) => (
            <FileDiff
              key={`${file.previousFilename ?? ""}\u0000${file.filename}`}
              file={file}
              webUrl={`${loaderData.webUrl}/compare/${encodeURIComponent(proposal.name)}`}
            />
          ))}
        </div>
      </div>
    </Page>
  );
}
