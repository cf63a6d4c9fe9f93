import { useId, useState } from "react";
import { data, Form, redirect, useActionData } from "react-router";
import { z } from "zod";
import { SubmitButton } from "../components/button";
import { Notice } from "../components/notice";
import { Stepper } from "../components/stepper";
import { saveSelectedRepo } from "../lib/db/queries.server";
import { listInstallationRepos } from "../lib/github/app.server";
import { loadUserConfig } from "../lib/github-config.server";
import { continueOnboarding } from "../lib/onboarding-return.server";
import { userWorkspace } from "../lib/user-workspace.server";
import type { Route } from "./+types/onboarding.select-repo";

export const meta: Route.MetaFunction = () => [{ title: "Choose your repository · ctx4-ai" }];

export async function loader({ request, context }: Route.LoaderArgs) {
  const { config, env } = await loadUserConfig(context, request);
  if (!config) return redirect("/onboarding/connect-github");
  try {
    const repos = await listInstallationRepos(env, config.installationId);
    return { repos, selectedRepoId: config.repoId, failed: false };
  } catch {
    return { repos: [], selectedRepoId: config.repoId, failed: true };
  }
}

const selection = z.object({ repoId: z.coerce.number().int().positive() });

/**
 * Only the repo id comes from the browser. Whether the installation reaches it, and its
 * name, clone URL and default branch, are read again from GitHub.
 */
export async function action({ request, context }: Route.ActionArgs) {
  const { user, config, env, db } = await loadUserConfig(context, request);
  if (!config) return redirect("/onboarding/connect-github");
  const parsed = selection.safeParse(Object.fromEntries(await request.formData()));
  if (!parsed.success) return data({ error: "Choose a repository from the list." }, 400);

  const repo = (await listInstallationRepos(env, config.installationId)).find((r) => r.id === parsed.data.repoId);
  if (!repo) {
    return data(
      { error: "That repository is not accessible through your GitHub installation. Pick one from the list." },
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
  return continueOnboarding(request, saved ?? null);
}

export default function SelectRepo({ loaderData }: Route.ComponentProps) {
  const actionData = useActionData<typeof action>();
  const [query, setQuery] = useState("");
  const searchId = useId();
  const { repos, selectedRepoId, failed } = loaderData;
  const visible = repos.filter((repo) => repo.fullName.toLowerCase().includes(query.trim().toLowerCase()));

  return (
    <div className="space-y-8">
      <Stepper current={1} />
      <section className="max-w-2xl space-y-4">
        <h1 className="text-2xl font-semibold tracking-tight">Choose your repository</h1>
        <p className="text-stone-600">
          Your AI reads and writes this repository. A private repository that holds nothing else works best.
        </p>
        {failed ? (
          <Notice tone="error" title="We could not list your repositories">
            <p>The GitHub installation may have been removed or suspended. Connect GitHub again.</p>
            <Form method="post" action="/onboarding/connect-github">
              <SubmitButton pendingLabel="Opening GitHub…">Connect GitHub again</SubmitButton>
            </Form>
          </Notice>
        ) : repos.length === 0 ? (
          <Notice tone="warning" title="The App cannot see any repository yet">
            <p>Give the installation access to the repository you want to use.</p>
            <Form method="post" action="/onboarding/connect-github">
              <SubmitButton pendingLabel="Opening GitHub…">Choose repositories on GitHub</SubmitButton>
            </Form>
          </Notice>
        ) : (
          <Form method="post" className="space-y-4">
            {actionData?.error ? <Notice tone="error" title={actionData.error} /> : null}
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
                      defaultChecked={repo.id === selectedRepoId}
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
            <SubmitButton pendingLabel="Saving…">Use this repository</SubmitButton>
          </Form>
        )}
      </section>
    </div>
  );
}
