import { useId, useState } from "react";
import { data, Form, Link, redirect, useActionData } from "react-router";
import { z } from "zod";
import { buttonClass, SubmitButton } from "../components/button";
import { ClientNames } from "../components/client-names";
import { Notice } from "../components/notice";
import { Stepper } from "../components/stepper";
import { connectedClients } from "../lib/connected-clients.server";
import { saveSelectedRepo } from "../lib/db/queries.server";
import { feedbackHeaders } from "../lib/feedback.server";
import { redirectToGitHubAuthorization } from "../lib/github/install-url.server";
import { loadUserConfig, offeredRepos } from "../lib/github-config.server";
import { continueOnboarding } from "../lib/onboarding-return.server";
import { userGitHubRepos, userWorkspace } from "../lib/user-workspace.server";
import type { Route } from "./+types/onboarding.select-repo";

export const meta: Route.MetaFunction = () => [{ title: "Choose your repository · ctx4-ai" }];

/**
 * The repos offered are those of the installation that the person's GitHub account can open
 * (GitHub's user-scoped list), so a member of an organisation sees only the repos they may
 * open there, not every repo the organisation gave the App. Someone changing their repo
 * (one is chosen) is told which AI clients move to the new one, and can go back unchanged.
 */
export async function loader({ request, context }: Route.LoaderArgs) {
  const { user, config, env, db } = await loadUserConfig(context, request);
  if (!config) return redirect("/onboarding/connect-github");
  const [listed, clients] = await Promise.all([offeredRepos(env, db, config), connectedClients(env, user.id)]);
  return {
    repos: listed.ok ? listed.repos : [],
    problem: listed.ok ? null : listed.problem,
    githubUsername: config.githubUsername,
    selectedRepoId: config.repoId,
    currentRepo: config.repoFullName,
    clients: clients.map((client) => client.name),
  };
}

const LIST_ERRORS = {
  "needs-authorization": [403, "GitHub needs to confirm your account first: choose Confirm on GitHub."],
  "no-access": [403, "Your GitHub account cannot access the connected installation. Connect GitHub again."],
  failed: [502, "GitHub did not list your repositories. Try again."],
} as const;

const choice = z.union([
  z.object({ intent: z.literal("authorize-github") }),
  z.object({ repoId: z.coerce.number().int().positive() }),
]);

/**
 * Only the repo id comes from the browser. Whether the person's GitHub account can open it
 * through the installation, and its name, clone URL and default branch, are read again from
 * GitHub's user-scoped list. Or the person asks to confirm their GitHub account again.
 */
export async function action({ request, context }: Route.ActionArgs) {
  const { user, config, env, db } = await loadUserConfig(context, request);
  if (!config) return redirect("/onboarding/connect-github");
  const parsed = choice.safeParse(Object.fromEntries(await request.formData()));
  if (!parsed.success) return data({ error: "Choose a repository from the list." }, 400);
  if ("intent" in parsed.data) return redirectToGitHubAuthorization(env, user);
  const { repoId } = parsed.data;

  const listed = await userGitHubRepos(env, user.id, config.installationId);
  if (!listed.ok) {
    const [status, error] = LIST_ERRORS[listed.problem];
    return data({ error }, status);
  }
  const repo = listed.repos.find((candidate) => candidate.id === repoId);
  if (!repo) {
    const account = config.githubUsername ? `GitHub account @${config.githubUsername}` : "GitHub account";
    return data(
      {
        error: `You cannot use that repository: your ${account} cannot open it through the ctx4-ai installation. Choose one from the list.`,
      },
      403,
    );
  }
  const saved = await saveSelectedRepo(db, user.id, {
    repoId: repo.id,
    repoFullName: repo.fullName,
    repoUrl: repo.cloneUrl,
    defaultBranch: repo.defaultBranch,
  });
  await userWorkspace(env, user.id).reset();
  const next = await continueOnboarding(request, saved ?? null);
  next.headers.append("Set-Cookie", (await feedbackHeaders(request, { kind: "repo-chosen" }))["Set-Cookie"]);
  return next;
}

export default function SelectRepo({ loaderData }: Route.ComponentProps) {
  const actionData = useActionData<typeof action>();
  const [query, setQuery] = useState("");
  const searchId = useId();
  const { repos, selectedRepoId, problem, githubUsername, currentRepo, clients } = loaderData;
  // The repo chosen now, else the only one there is: nothing to decide then but to confirm it.
  const [picked, setPicked] = useState(selectedRepoId ?? (repos.length === 1 ? repos[0]?.id : undefined));
  const visible = repos.filter((repo) => repo.fullName.toLowerCase().includes(query.trim().toLowerCase()));
  const pickedName = repos.find((repo) => repo.id === picked)?.fullName;
  const changing = currentRepo !== null;

  return (
    <div className="space-y-8">
      {changing ? null : <Stepper current={1} />}
      <section className="max-w-2xl space-y-4">
        <h1 className="text-2xl font-semibold tracking-tight">
          {changing ? "Change your repository" : "Choose your repository"}
        </h1>
        {changing ? (
          <p className="text-stone-600">
            Your AI uses <strong className="font-mono">{currentRepo}</strong> now. Choose the repository it should read
            and write instead.
          </p>
        ) : (
          <p className="text-stone-600">
            Your AI reads and writes this repository. A private repository that holds nothing else works best.
          </p>
        )}
        {actionData?.error ? <Notice tone="error" title={actionData.error} /> : null}
        {problem === "installation_deleted" ? (
          <Notice tone="error" title="The ctx4-ai App was removed from GitHub">
            <p>Without it we cannot list any repository. Install the App again, on the repository you want to use.</p>
            <Form method="post" action="/onboarding/connect-github">
              <SubmitButton pendingLabel="Opening GitHub…">Install the App again</SubmitButton>
            </Form>
          </Notice>
        ) : problem === "installation_suspended" ? (
          <Notice tone="error" title="The ctx4-ai App is suspended on GitHub">
            <p>
              While it is suspended we cannot list any repository. Unsuspend it in the App's settings on GitHub, then
              come back here.
            </p>
            <Form method="post" action="/onboarding/connect-github">
              <SubmitButton pendingLabel="Opening GitHub…">Open the App's settings on GitHub</SubmitButton>
            </Form>
          </Notice>
        ) : problem === "needs-authorization" ? (
          <Notice tone="warning" title="Confirm your GitHub account">
            <p>
              We offer only the repositories your GitHub account can open, so GitHub needs to confirm who you are first.
            </p>
            <Form method="post">
              <input type="hidden" name="intent" value="authorize-github" />
              <SubmitButton pendingLabel="Opening GitHub…">Confirm on GitHub</SubmitButton>
            </Form>
          </Notice>
        ) : problem === "no-access" ? (
          <Notice tone="error" title="Your GitHub account cannot access this installation">
            <p>
              GitHub says {githubUsername ? `@${githubUsername}` : "your account"} has no access to the ctx4-ai
              installation any more. Connect GitHub again.
            </p>
            <Form method="post" action="/onboarding/connect-github">
              <SubmitButton pendingLabel="Opening GitHub…">Connect GitHub again</SubmitButton>
            </Form>
          </Notice>
        ) : problem === "failed" ? (
          <Notice tone="error" title="We could not list your repositories">
            <p>GitHub did not answer. Try again in a moment.</p>
            <Link to="." reloadDocument className={buttonClass()}>
              Try again
            </Link>
          </Notice>
        ) : repos.length === 0 ? (
          <Notice tone="warning" title="The App cannot see any repository yet">
            <p>Give the installation access to the repository you want to use (one your GitHub account can open).</p>
            <Form method="post" action="/onboarding/connect-github">
              <SubmitButton pendingLabel="Opening GitHub…">Choose repositories on GitHub</SubmitButton>
            </Form>
          </Notice>
        ) : (
          <Form method="post" className="space-y-4">
            {repos.length > 8 ? (
              <div>
                <label htmlFor={searchId} className="block text-sm font-medium">
                  Search repositories
                </label>
                <input
                  id={searchId}
                  type="search"
                  value={query}
                  onChange={(event) => setQuery(event.target.value)}
                  placeholder="owner/name"
                  className="mt-1 block w-full rounded-md border border-stone-300 px-3 py-2 focus:border-stone-900 focus:outline-none focus:ring-1 focus:ring-stone-900"
                />
              </div>
            ) : null}
            <fieldset>
              <legend className="text-sm font-medium">
                Repositories ({visible.length} of {repos.length})
              </legend>
              <div className="mt-2 max-h-96 divide-y divide-stone-200 overflow-y-auto rounded-md border border-stone-200 bg-white">
                {visible.map((repo) => (
                  <label key={repo.id} className="flex cursor-pointer items-center gap-3 px-3 py-2 hover:bg-stone-50">
                    <input
                      type="radio"
                      name="repoId"
                      value={repo.id}
                      required
                      checked={repo.id === picked}
                      onChange={() => setPicked(repo.id)}
                    />
                    <span className="font-mono text-sm">{repo.fullName}</span>
                    {repo.private ? null : <span className="text-xs text-amber-700">public</span>}
                  </label>
                ))}
                {visible.length === 0 ? (
                  <p className="px-3 py-2 text-sm text-stone-500">No repository matches.</p>
                ) : null}
              </div>
            </fieldset>
            {changing ? <WhoMoves clients={clients} current={currentRepo} picked={pickedName} /> : null}
            <div className="flex flex-wrap gap-3">
              <SubmitButton pendingLabel="Saving…">Use this repository</SubmitButton>
              {changing ? (
                <Link to="/me" className={buttonClass("secondary")}>
                  Keep {currentRepo}
                </Link>
              ) : null}
            </div>
          </Form>
        )}
        {changing && problem !== null ? (
          <Link to="/me" className={buttonClass("secondary")}>
            Back to your dashboard
          </Link>
        ) : null}
      </section>
    </div>
  );
}

/** Which AI clients a change of repository moves, said before it is made. */
function WhoMoves({ clients, current, picked }: { clients: string[]; current: string; picked: string | undefined }) {
  const target =
    picked && picked !== current ? <strong className="font-mono">{picked}</strong> : "the repository you choose";
  return (
    <div role="status" className="rounded-lg border border-sky-200 bg-sky-50 p-4 text-sm text-sky-900">
      {clients.length === 0 ? (
        <p>No AI client is connected yet: none is affected by the change.</p>
      ) : (
        <p>
          {clients.length === 1 ? "This AI client" : `These ${clients.length} AI clients`} will use {target} from{" "}
          {clients.length === 1 ? "its" : "their"} next call: <ClientNames names={clients} />.
        </p>
      )}
    </div>
  );
}
