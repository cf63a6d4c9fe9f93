import { data, Form, Link } from "react-router";
import { z } from "zod";
import { buttonClass, SubmitButton } from "../components/button";
import { Notice } from "../components/notice";
import { Page } from "../components/page";
import { saveInstallation } from "../lib/db/queries.server";
import { exchangeUserCode, findUserInstallation } from "../lib/github/app.server";
import { loadUserConfig } from "../lib/github-config.server";
import { continueOnboarding } from "../lib/onboarding-return.server";
import { userWorkspace } from "../lib/user-workspace.server";
import type { Route } from "./+types/api.github.callback";

export const meta: Route.MetaFunction = () => [{ title: "Connecting GitHub · ctx4-ai" }];

const PROBLEMS = {
  "bad-request": ["GitHub sent us something we did not understand", "Start the connection again."],
  "approval-pending": [
    "Waiting for your organisation's approval",
    "An owner of the organisation must approve the ctx4-ai App on GitHub. Come back here once they have, or install it on your personal account instead.",
  ],
  "missing-state": ["This request did not come from ctx4-ai", "Start the connection from this page, not from GitHub."],
  "unknown-state": [
    "This GitHub link was already used or was not made for you",
    "Each link from our Install button works once, for the account that asked for it. Start again.",
  ],
  "expired-state": ["This GitHub link expired", "Links are valid for 10 minutes. Start again."],
  "other-session": [
    "This GitHub link belongs to another sign-in",
    "It was made in another browser or before you signed in again. Start again here.",
  ],
  "missing-installation": ["GitHub did not say which installation to use", "Start the connection again."],
  "code-rejected": [
    "GitHub did not confirm your account",
    "The authorization code was refused (it may have been used already). Start again.",
  ],
  "installation-not-yours": [
    "That installation is not yours",
    "The ctx4-ai App installation GitHub named is not accessible to your GitHub account, so we did not connect it. Install the App on your own account or an organisation you belong to.",
  ],
  "needs-authorization": [
    "Please confirm your GitHub account",
    "GitHub changed the installation without confirming who you are. Start again to connect it.",
  ],
} as const;
type Problem = keyof typeof PROBLEMS;

const callbackQuery = z.object({
  state: z.string().min(1).max(512).optional(),
  code: z.string().min(1).max(512).optional(),
  installation_id: z.coerce.number().int().positive().optional(),
  setup_action: z.enum(["install", "update", "request"]).optional(),
});

const STATE_PROBLEMS = {
  unknown: "unknown-state",
  expired: "expired-state",
  "other-session": "other-session",
} as const satisfies Record<string, Problem>;

const refuse = (problem: Problem) => data({ problem }, problem === "approval-pending" ? 202 : 400);

/**
 * GitHub's redirect after the App was installed or its access changed. Nothing is saved
 * unless the `state` is ours and fresh and GitHub confirms, with this person's own user
 * token, that they can access the installation.
 */
export async function loader({ request, context }: Route.LoaderArgs) {
  const { user, config, env, db } = await loadUserConfig(context, request);
  const query = callbackQuery.safeParse(Object.fromEntries(new URL(request.url).searchParams));
  if (!query.success) return refuse("bad-request");
  const { state, code, installation_id: installationId, setup_action: setupAction } = query.data;

  if (setupAction === "request") return refuse("approval-pending");
  if (!state) return refuse("missing-state");
  const workspace = userWorkspace(env, user.id);
  const check = await workspace.consumeInstallState(state, user.sessionId);
  if (check !== "valid") return refuse(STATE_PROBLEMS[check]);
  if (!installationId) return refuse("missing-installation");

  if (!code) {
    // GitHub may skip authorization when an existing installation is updated; that is only
    // acceptable for the installation we already verified for this user.
    if (setupAction !== "update" || config?.installationId !== installationId) return refuse("needs-authorization");
    await workspace.configChanged();
    return continueOnboarding(request, config);
  }

  let userToken: string;
  try {
    userToken = await exchangeUserCode(env, code);
  } catch {
    return refuse("code-rejected");
  }
  const installation = await findUserInstallation(env, userToken, installationId);
  if (!installation) return refuse("installation-not-yours");

  const saved = await saveInstallation(db, user.id, { installationId, githubUsername: installation.githubUsername });
  await workspace.configChanged();
  return continueOnboarding(request, saved);
}

export default function GitHubCallback({ loaderData }: Route.ComponentProps) {
  const [title, detail] = PROBLEMS[loaderData.problem];
  return (
    <Page>
      <div className="mx-auto max-w-xl space-y-6">
        <Notice tone={loaderData.problem === "approval-pending" ? "info" : "error"} title={title}>
          <p>{detail}</p>
        </Notice>
        <div className="flex flex-wrap gap-3">
          <Form method="post" action="/onboarding/connect-github">
            <SubmitButton pendingLabel="Opening GitHub…">Connect GitHub again</SubmitButton>
          </Form>
          <Link to="/onboarding" className={buttonClass("secondary")}>
            Back to onboarding
          </Link>
        </div>
      </div>
    </Page>
  );
}
