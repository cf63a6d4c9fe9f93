import { createCookie, data, Form, Link, redirect } from "react-router";
import { z } from "zod";
import { buttonClass, SubmitButton } from "../components/button";
import { Notice } from "../components/notice";
import { Page } from "../components/page";
import { currentUser } from "../lib/auth/session.server";
import { saveInstallation } from "../lib/db/queries.server";
import { exchangeUserCode, findUserInstallation, type UserToken } from "../lib/github/app.server";
import { bindUpdateTrip, endUpdateTrip, updateTripOf } from "../lib/github/update-access-trip.server";
import { loadUserConfig, nextStep, withInstallationStatus, withRepoReach } from "../lib/github-config.server";
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
  "missing-state": [
    "Finish connecting from ctx4-ai",
    "GitHub sent you here without saying who you are on GitHub, so we cannot link this installation yet. Start from ctx4-ai: press Connect GitHub, pick the account you installed the App on, and confirm.",
  ],
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
  "authorization-failed": [
    "GitHub did not authorize ctx4-ai",
    "You pressed Cancel on GitHub, or GitHub refused the request. Start again and choose Authorize.",
  ],
  "bad-form": ["This confirmation was not filled in as expected", "Nothing was linked. Start the connection again."],
  "unknown-confirmation": [
    "This confirmation was already used or was not made for you",
    "Nothing was linked. Each confirmation works once, for the account and browser that connected GitHub. Start again.",
  ],
  "expired-confirmation": [
    "This confirmation expired",
    "Nothing was linked. Confirm within 10 minutes of coming back from GitHub. Start again.",
  ],
} as const;
type Problem = keyof typeof PROBLEMS;

const callbackQuery = z.object({
  state: z.string().min(1).max(512).optional(),
  code: z.string().min(1).max(512).optional(),
  installation_id: z.coerce.number().int().positive().optional(),
  setup_action: z.enum(["install", "update", "request"]).optional(),
  error: z.string().max(100).optional(),
});

const STATE_PROBLEMS = {
  unknown: "unknown-state",
  expired: "expired-state",
  "other-session": "other-session",
} as const satisfies Record<string, Problem>;

const LINK_PROBLEMS = {
  unknown: "unknown-confirmation",
  expired: "expired-confirmation",
  "other-session": "other-session",
} as const satisfies Record<string, Problem>;

/** Problems that are no one's mistake (GitHub's own pages sent the person, an owner must approve) are not 400s. */
const STATUS: Partial<Record<Problem, number>> = { "approval-pending": 202, "missing-state": 200 };

/** The page that names `problem`, for the signed-in person `email`. */
const refuse = (email: string, problem: Problem, headers?: HeadersInit) =>
  data({ problem, email, confirm: null }, { status: STATUS[problem] ?? 400, headers });

/**
 * The code of an install started on GitHub (no state of ours) by a signed-out person, kept in
 * this browser while they sign in, so that it travels neither in the login URL nor in the
 * sign-in email. GitHub's codes last 10 minutes.
 */
const setupCodeCookie = createCookie("ctx4_github_setup_code", {
  httpOnly: true,
  sameSite: "lax",
  path: "/api/github/callback",
  maxAge: 10 * 60,
});

/**
 * GitHub's redirect after the App was installed, its access changed, or the person authorized
 * it. Nothing is saved here: when GitHub confirms, with this person's own user token, that they
 * can access the installation, the link (with that token) is held in the user's Durable Object
 * and the page asks the person to confirm both identities. The `state` of an install started
 * on ctx4-ai must be ours and fresh. An install started on GitHub (its App page) arrives with
 * `installation_id`, `setup_action=install` and a `code` but no state ("About the setup URL",
 * docs.github.com/en/apps/creating-github-apps/registering-a-github-app/about-the-setup-url);
 * the code verifies who installed it just the same, and only the person's Link links it.
 */
export async function loader({ request, context }: Route.LoaderArgs) {
  const url = new URL(request.url);
  const query = callbackQuery.safeParse(Object.fromEntries(url.searchParams));
  const fromGitHub = query.success && !query.data.state && query.data.code && query.data.installation_id;
  if (fromGitHub && !(await currentUser(context))) return signInFirst(url, query.data.code ?? "");
  const { user, config, env, db } = await loadUserConfig(context, request);
  if (!query.success) return refuse(user.email, "bad-request");
  const { state, error, setup_action: setupAction } = query.data;
  const kept = state || query.data.code ? undefined : await setupCodeCookie.parse(request.headers.get("Cookie"));
  const keptCode = typeof kept === "string" ? kept : undefined;
  const code = query.data.code ?? keptCode;

  if (setupAction === "request") return refuse(user.email, "approval-pending");
  const workspace = userWorkspace(env, user.id);
  // GitHub's own settings page sends people here after they change the App's repository
  // access, with no state of ours (the same docs page). For the installation already verified
  // for this person that links nothing: what it can do is read again from GitHub.
  if (!state && setupAction === "update" && config && query.data.installation_id === config.installationId) {
    await withRepoReach(env, db, config);
    await workspace.configChanged();
    return redirect(config.repoFullName ? "/me?github=updated" : nextStep(config));
  }
  // An "Update access on GitHub" trip from /me comes back with the state it left with.
  const updateTrip = state !== undefined && state === (await updateTripOf(request));
  if (state) {
    const check = await workspace.consumeInstallState(state, user.sessionId);
    if (check !== "valid") return refuse(user.email, STATE_PROBLEMS[check]);
    if (error) return refuse(user.email, "authorization-failed");
  } else if (error || !code || !query.data.installation_id) {
    return refuse(user.email, "missing-state");
  }
  // GitHub's user authorization on its own names no installation: it is for the one connected.
  const installationId = query.data.installation_id ?? (setupAction ? undefined : config?.installationId);
  if (!installationId) return refuse(user.email, "missing-installation");

  if (!code) {
    // GitHub may skip authorization when an existing installation is updated; that is only
    // acceptable for the installation we already verified for this user.
    if (setupAction !== "update" || config?.installationId !== installationId)
      return refuse(user.email, "needs-authorization");
    await workspace.configChanged();
    const saved = await withRepoReach(env, db, config);
    return updateTrip ? backFromUpdate(request, saved) : continueOnboarding(request, saved);
  }

  const forgetCode =
    keptCode === undefined ? undefined : { "Set-Cookie": await setupCodeCookie.serialize("", { maxAge: 0 }) };
  let token: UserToken;
  try {
    token = await exchangeUserCode(env, code);
  } catch {
    return refuse(user.email, "code-rejected", forgetCode);
  }
  const installation = await findUserInstallation(env, token.token, installationId);
  if (!installation) return refuse(user.email, "installation-not-yours", forgetCode);

  const link = { installationId, account: installation.account, githubUsername: installation.githubUsername };
  const confirmation = await workspace.holdGitHubLink(link, token, user.sessionId);
  const headers = new Headers(forgetCode);
  if (updateTrip) headers.append("Set-Cookie", await bindUpdateTrip(request, confirmation));
  return data({ problem: null, email: user.email, confirm: { ...link, email: user.email, confirmation } }, { headers });
}

/** The end of an "Update access on GitHub" trip: `/me`, saying the changes are in, once a repo is chosen. */
async function backFromUpdate(request: Request, saved: { repoId: number | null } | null) {
  const step = nextStep(saved);
  return redirect(step === "/me" ? "/me?github=updated" : step, {
    headers: { "Set-Cookie": await endUpdateTrip(request) },
  });
}

/**
 * A signed-out person back from installing on GitHub: to sign in, and back here without the
 * code in the URL (it waits in {@link setupCodeCookie}).
 */
async function signInFirst(url: URL, code: string): Promise<Response> {
  const back = new URL(url);
  back.searchParams.delete("code");
  const returnTo = `${back.pathname}${back.search}`;
  return redirect(`/login?${new URLSearchParams({ returnTo })}`, {
    headers: {
      "Set-Cookie": await setupCodeCookie.serialize(code, { secure: url.protocol === "https:" }),
      "Cache-Control": "no-store",
    },
  });
}

const decisionForm = z.object({ confirmation: z.uuid(), decision: z.enum(["link", "cancel"]) });

/**
 * Link or Cancel on the confirmation page: the only request that saves an installation. The
 * held link must be this user's, from this sign-in session, unused and under 10 minutes old;
 * whatever the answer, it is used up.
 */
export async function action({ request, context }: Route.ActionArgs) {
  const { user, config, env, db } = await loadUserConfig(context, request);
  const form = decisionForm.safeParse(Object.fromEntries(await request.formData()));
  if (!form.success) return refuse(user.email, "bad-form");
  const workspace = userWorkspace(env, user.id);
  const settled = await workspace.settleGitHubLink(form.data.confirmation, user.sessionId, form.data.decision);
  if (settled.outcome === "cancelled") return redirect(nextStep(config));
  if (settled.outcome !== "linked") return refuse(user.email, LINK_PROBLEMS[settled.outcome]);

  const { installationId, githubUsername } = settled.link;
  // Saved as active, then as GitHub has it: a suspended installation is linked, and says so.
  const linked = await saveInstallation(db, user.id, { installationId, githubUsername });
  const saved = await withRepoReach(env, db, await withInstallationStatus(env, db, linked));
  await workspace.configChanged();
  const updateTrip = form.data.confirmation === (await updateTripOf(request));
  return updateTrip ? backFromUpdate(request, saved) : continueOnboarding(request, saved);
}

export default function GitHubCallback({ loaderData, actionData }: Route.ComponentProps) {
  if (actionData) return <ProblemPage problem={actionData.problem} email={actionData.email} />;
  if (loaderData.problem) return <ProblemPage problem={loaderData.problem} email={loaderData.email} />;
  const { confirm } = loaderData;
  const installation = confirm.account
    ? `installation on ${confirm.account}`
    : `installation ${confirm.installationId}`;
  return (
    <Page email={confirm.email}>
      <div className="mx-auto max-w-xl space-y-6">
        <h1 className="text-2xl font-semibold tracking-tight">Link GitHub to ctx4-ai?</h1>
        <p>
          Link GitHub account <strong>{`@${confirm.githubUsername}`}</strong>
          {` (${installation}) to your ctx4-ai account `}
          <strong>{confirm.email}</strong>?
        </p>
        <p className="text-sm text-stone-600">
          Your AI reads and writes the repository you choose, through this installation.
        </p>
        <Notice tone="warning" title="Not your ctx4-ai account?">
          <p>
            If you did not sign in to ctx4-ai as {confirm.email}, press Cancel and sign out: someone may have sent you a
            sign-in link to their own account.
          </p>
        </Notice>
        <Form method="post" action="/api/github/callback" className="flex flex-wrap gap-3">
          <input type="hidden" name="confirmation" value={confirm.confirmation} />
          <SubmitButton name="decision" value="link" pendingLabel="Linking…">
            Link
          </SubmitButton>
          <SubmitButton name="decision" value="cancel" variant="secondary" pendingLabel="Cancelling…">
            Cancel
          </SubmitButton>
        </Form>
      </div>
    </Page>
  );
}

function ProblemPage({ problem, email }: { problem: Problem; email: string }) {
  const [title, detail] = PROBLEMS[problem];
  // Coming from GitHub's own pages is no mistake: the person only has to start here.
  const startHere = problem === "missing-state";
  return (
    <Page email={email}>
      <div className="mx-auto max-w-xl space-y-6">
        <h1 className="text-2xl font-semibold tracking-tight">Connect GitHub</h1>
        <Notice tone={problem === "approval-pending" || startHere ? "info" : "error"} title={title}>
          <p>{detail}</p>
        </Notice>
        <div className="flex flex-wrap gap-3">
          <Form method="post" action="/onboarding/connect-github">
            <SubmitButton pendingLabel="Opening GitHub…">
              {startHere ? "Connect GitHub" : "Connect GitHub again"}
            </SubmitButton>
          </Form>
          <Link to="/onboarding" className={buttonClass("secondary")}>
            Back to onboarding
          </Link>
        </div>
      </div>
    </Page>
  );
}
