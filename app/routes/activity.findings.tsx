import { data, Form, Link } from "react-router";
import { z } from "zod";
import { buttonClass, SubmitButton } from "../components/button";
import { Notice } from "../components/notice";
import { Page } from "../components/page";
import { allowSecretFinding, listSecretFindings } from "../lib/db/queries.server";
import { loadUserConfig } from "../lib/github-config.server";
import type { Route } from "./+types/activity.findings";

export const meta: Route.MetaFunction = () => [{ title: "Refused writes · ctx4-ai" }];

/** The signed-in user's refused findings (their own only), as the workspace recorded them. */
export async function loader({ request, context }: Route.LoaderArgs) {
  const { user, db } = await loadUserConfig(context, request);
  const findings = await listSecretFindings(db, user.id);
  return {
    email: user.email,
    findings: findings.map(({ id, rule, path, line, excerpt, clientName, refusedAt }) => ({
      id,
      rule,
      path,
      line,
      excerpt,
      clientName,
      refusedAt: refusedAt.toISOString(),
      // Written on the server, so the page reads the same before and after hydration.
      refusedAtText: `${refusedAt.toISOString().slice(0, 16).replace("T", " ")} UTC`,
    })),
  };
}

const allowForm = z.object({ intent: z.literal("allow"), finding: z.uuid() });

/**
 * Allows one finding: its fingerprint (rule, path, hash of the text) is stored for the user, so
 * the next `ctx_bash` call pushes what was refused. A finding that is not the user's own (another
 * user's, or gone) is 404. A form posted from another site is refused before this runs (React
 * Router's Origin check on actions, with SameSite=Lax session cookies), as on the other pages.
 */
export async function action({ request, context }: Route.ActionArgs) {
  const { user, db } = await loadUserConfig(context, request);
  const parsed = allowForm.safeParse(Object.fromEntries(await request.formData()));
  if (!parsed.success) throw new Response("Unexpected form", { status: 400 });
  const allowed = await allowSecretFinding(db, user.id, parsed.data.finding);
  if (!allowed) throw data(null, 404);
  return { allowed: { path: allowed.path, line: allowed.line, rule: allowed.rule } };
}

export default function RefusedWrites({ loaderData, actionData }: Route.ComponentProps) {
  const { email, findings } = loaderData;
  return (
    <Page email={email}>
      <div className="max-w-3xl space-y-8">
        <header>
          <h1 className="text-2xl font-semibold tracking-tight">Refused writes</h1>
          <p className="mt-1 text-stone-600">
            Before anything your AI writes reaches GitHub, ctx4-ai looks for API keys, tokens and private keys in what
            it adds. A write holding one is not pushed: it waits in your workspace until the AI removes it. If a finding
            is not a secret (an example, a test value), allow it here and the AI's next command pushes it.
          </p>
        </header>

        {actionData?.allowed ? (
          <Notice tone="success" title="Allowed">
            <p>
              {actionData.allowed.path}:{actionData.allowed.line} ({actionData.allowed.rule}) is allowed from now on. It
              is pushed with your AI's next command.
            </p>
          </Notice>
        ) : null}

        {findings.length === 0 ? (
          <p className="text-sm text-stone-600">Nothing is refused now.</p>
        ) : (
          <ul className="space-y-4">
            {findings.map((finding) => (
              <li key={finding.id} className="space-y-2 rounded-lg border border-stone-200 bg-white p-4">
                <p className="font-mono text-sm">
                  {finding.path}:{finding.line}
                </p>
                <p className="text-sm text-stone-600">
                  Looks like: {finding.rule} · refused <time dateTime={finding.refusedAt}>{finding.refusedAtText}</time>
                  {finding.clientName ? ` · written by ${finding.clientName}` : null}
                </p>
                <pre className="overflow-x-auto rounded bg-stone-100 p-2 text-xs">{finding.excerpt}</pre>
                <Form method="post">
                  <input type="hidden" name="finding" value={finding.id} />
                  <SubmitButton name="intent" value="allow" variant="secondary" pendingLabel="Allowing…">
                    Allow: it is not a secret
                  </SubmitButton>
                </Form>
              </li>
            ))}
          </ul>
        )}

        <Link to="/activity" className={buttonClass("secondary")}>
          Back to Activity
        </Link>
      </div>
    </Page>
  );
}
