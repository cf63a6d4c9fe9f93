import { data, Form, Link, redirect } from "react-router";
import { z } from "zod";
import { buttonClass, SubmitButton } from "../components/button";
import { GitHubLeftovers } from "../components/github-leftovers";
import { Notice } from "../components/notice";
import { Page } from "../components/page";
import { deleteAccount, githubLeftovers, leftoverFactsOf } from "../lib/account.server";
import { getSupabase } from "../lib/auth/session.server";
import { feedbackHeaders } from "../lib/feedback.server";
import { loadUserConfig } from "../lib/github-config.server";
import { logProblem } from "../lib/log.server";
import type { Route } from "./+types/account.delete";

export const meta: Route.MetaFunction = () => [{ title: "Delete your account · ctx4-ai" }];

export async function loader({ request, context }: Route.LoaderArgs) {
  const { user, config, env } = await loadUserConfig(context, request);
  const { items } = await env.OAUTH_PROVIDER.listUserGrants(user.id);
  const clientNames = items.map((grant) =>
    typeof grant.metadata?.clientName === "string" ? grant.metadata.clientName : grant.clientId,
  );
  return {
    email: user.email,
    repoFullName: config?.repoFullName ?? null,
    // The first page (up to 1,000 grants) is enough to name them; the deletion pages through all.
    clientNames: [...new Set(clientNames)].sort(),
    leftovers: githubLeftovers(leftoverFactsOf(config), env.GITHUB_WEB_URL),
  };
}

const confirmation = z.object({ email: z.string().trim().max(320) });

/**
 * Deletes the account once the person typed their own email (a form posted from another site
 * is refused before this runs: React Router's Origin check on actions, with SameSite=Lax
 * session cookies), signs this browser out and shows the home page's notice. A failure part-way
 * is said on this page; pressing the button again finishes the deletion.
 */
export async function action({ request, context }: Route.ActionArgs) {
  const { user, config, env, db } = await loadUserConfig(context, request);
  const parsed = confirmation.safeParse(Object.fromEntries(await request.formData()));
  if (!parsed.success) throw new Response("Unexpected form", { status: 400 });
  if (parsed.data.email.toLowerCase() !== user.email.toLowerCase()) {
    return data({ problem: "mismatch" as const }, { status: 400 });
  }
  const facts = leftoverFactsOf(config);
  try {
    await deleteAccount(env, db, user.id);
  } catch (error) {
    logProblem("account_delete_part_way", error);
    return data({ problem: "failed" as const }, { status: 503 });
  }
  // The session ended with the user; this clears this browser's cookies (a 403 counts as done).
  await getSupabase(context).auth.signOut({ scope: "local" });
  return redirect("/", { headers: await feedbackHeaders(request, { kind: "account-deleted", leftovers: facts }) });
}

export default function DeleteAccount({ loaderData, actionData }: Route.ComponentProps) {
  const { email, repoFullName, clientNames, leftovers } = loaderData;
  return (
    <Page email={email}>
      <div className="max-w-2xl space-y-8">
        <header>
          <h1 className="text-2xl font-semibold tracking-tight">Delete your ctx4-ai account</h1>
          <p className="mt-1 text-stone-600">This cannot be undone. Your repository on GitHub is not touched.</p>
        </header>

        {actionData?.problem === "failed" ? (
          <Notice tone="error" title="Your account was not fully deleted">
            <p>
              Something did not answer in time. What was already removed stays removed: press Delete again to finish.
            </p>
          </Notice>
        ) : null}

        <section aria-labelledby="removed-heading" className="space-y-2">
          <h2 id="removed-heading" className="text-lg font-semibold">
            What ctx4-ai removes
          </h2>
          <ul className="list-disc space-y-1 pl-5 text-sm">
            <li>
              Its record of your GitHub connection
              {repoFullName ? (
                <>
                  {" "}
                  and of your choice of <span className="font-mono">{repoFullName}</span>
                </>
              ) : null}
              .{leftovers.account ? " GitHub revokes the token it gave ctx4-ai to act as you there." : null}
            </li>
            <li>
              {clientNames.length === 0
                ? "Access for any AI client you connect before then."
                : `Access for every connected AI client (${clientNames.join(", ")}): they stop working at once.`}
            </li>
            <li>
              The sandbox and its clone of your repository, with anything a command left there that is not on GitHub.
            </li>
            <li>Your sign-in account, {email}. Signing in with this email again starts a new, empty account.</li>
          </ul>
        </section>

        <section aria-labelledby="stays-heading" className="space-y-2">
          <h2 id="stays-heading" className="text-lg font-semibold">
            What stays on GitHub
          </h2>
          <div className="text-sm">
            <GitHubLeftovers leftovers={leftovers} />
          </div>
        </section>

        <Form method="post" className="space-y-3 rounded-lg border border-red-200 bg-white p-4">
          <label htmlFor="confirm-email" className="block text-sm font-medium">
            To confirm, type your email, {email}
          </label>
          <input
            id="confirm-email"
            name="email"
            type="email"
            required
            autoComplete="off"
            aria-invalid={actionData?.problem === "mismatch" ? true : undefined}
            aria-describedby={actionData?.problem === "mismatch" ? "confirm-problem" : undefined}
            className="block w-full rounded-md border border-stone-300 px-3 py-2 text-sm"
          />
          {actionData?.problem === "mismatch" ? (
            <p id="confirm-problem" className="text-sm text-red-700">
              That is not the email you signed in with. Nothing was deleted.
            </p>
          ) : null}
          <div className="flex flex-wrap gap-3">
            <SubmitButton variant="danger" pendingLabel="Deleting…">
              Delete my account
            </SubmitButton>
            <Link to="/me" className={buttonClass("secondary")}>
              Cancel
            </Link>
          </div>
        </Form>
      </div>
    </Page>
  );
}
