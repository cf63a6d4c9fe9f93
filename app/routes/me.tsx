import { Form, Link, redirect, useSearchParams } from "react-router";
import { z } from "zod";
import { buttonClass, SubmitButton } from "../components/button";
import { ClientSetup } from "../components/client-setup";
import { CopyButton } from "../components/copy-button";
import { Notice } from "../components/notice";
import { Page } from "../components/page";
import { deleteUserGithubConfig } from "../lib/db/queries.server";
import type { InactiveReason } from "../lib/db/schema";
import { redirectToGitHubInstall } from "../lib/github/install-url.server";
import { loadUserConfig, nextStep } from "../lib/github-config.server";
import { userWorkspace } from "../lib/user-workspace.server";
import type { WorkerContext } from "../lib/worker-context";
import type { Route } from "./+types/me";

export const meta: Route.MetaFunction = () => [{ title: "Your memory · ctx4-ai" }];

export async function loader({ request, context }: Route.LoaderArgs) {
  const { user, config, env } = await loadUserConfig(context, request);
  if (!config?.repoFullName) throw redirect(nextStep(config));
  return {
    email: user.email,
    githubUsername: config.githubUsername,
    repoFullName: config.repoFullName,
    repoWebUrl: new URL(`/${config.repoFullName}`, env.GITHUB_WEB_URL).toString(),
    defaultBranch: config.defaultBranch,
    installationId: config.installationId,
    inactiveReason: config.isActive ? null : config.inactiveReason,
    mcpUrl: new URL("/mcp", env.APP_ORIGIN).toString(),
    clients: await connectedClients(env, user.id),
  };
}

async function connectedClients(env: WorkerContext["env"], userId: string) {
  const { items } = await env.OAUTH_PROVIDER.listUserGrants(userId);
  return items
    .map((grant) => ({
      grantId: grant.id,
      name: typeof grant.metadata?.clientName === "string" ? grant.metadata.clientName : grant.clientId,
      canWrite: grant.scope.includes("ctx:write"),
      connectedAt: new Date(grant.createdAt * 1000).toISOString(),
    }))
    .sort((a, b) => b.connectedAt.localeCompare(a.connectedAt));
}

const intent = z.discriminatedUnion("intent", [
  z.object({ intent: z.literal("disconnect") }),
  z.object({ intent: z.literal("update-access") }),
  z.object({ intent: z.literal("revoke"), grantId: z.string().min(1).max(200) }),
]);

export async function action({ request, context }: Route.ActionArgs) {
  const { user, env, db } = await loadUserConfig(context, request);
  const parsed = intent.safeParse(Object.fromEntries(await request.formData()));
  if (!parsed.success) throw new Response("Unknown action", { status: 400 });
  if (parsed.data.intent === "update-access") return redirectToGitHubInstall(env, user);
  if (parsed.data.intent === "revoke") {
    // The provider revokes only a grant of this user's.
    await env.OAUTH_PROVIDER.revokeGrant(parsed.data.grantId, user.id);
    return redirect("/me");
  }
  await deleteUserGithubConfig(db, user.id);
  const workspace = userWorkspace(env, user.id);
  await workspace.reset();
  await workspace.forgetGitHubUser();
  return redirect("/onboarding");
}

const PROBLEMS: Record<InactiveReason, { title: string; detail: string }> = {
  installation_deleted: {
    title: "The ctx4-ai App was removed from GitHub",
    detail: "Your AI cannot reach your repository. Install the App again to reconnect.",
  },
  installation_suspended: {
    title: "The ctx4-ai App is suspended on GitHub",
    detail: "Unsuspend it in your GitHub settings (Applications → Installed GitHub Apps), or install it again.",
  },
  repo_removed: {
    title: "The App no longer has access to your repository",
    detail: "Give the installation access to it again, or choose another repository.",
  },
  person_lost_repo: {
    title: "Your GitHub account can no longer open this repository",
    detail: "Ask the repository's owner for access again, or choose another repository.",
  },
  person_unconfirmed: {
    title: "GitHub needs to confirm your account again",
    detail: "Choose another repository (or the same one) and confirm your GitHub account there.",
  },
};

export default function Me({ loaderData }: Route.ComponentProps) {
  const [searchParams] = useSearchParams();
  const confirmingDisconnect = searchParams.get("disconnect") === "confirm";
  // Back from GitHub's own settings page (api.github.callback): what is shown was read again.
  const updatedOnGitHub = searchParams.get("github") === "updated";
  const problem = loaderData.inactiveReason ? PROBLEMS[loaderData.inactiveReason] : null;

  return (
    <Page email={loaderData.email}>
      <div className="space-y-10">
        <header>
          <h1 className="text-2xl font-semibold tracking-tight">Your AI memory</h1>
          <p className="mt-1 text-stone-600">Signed in as {loaderData.email}</p>
        </header>

        {updatedOnGitHub && !problem ? (
          <Notice tone="success" title="Your changes on GitHub are in">
            <p>ctx4-ai read the App's access again: your AI clients use it from their next call.</p>
          </Notice>
        ) : null}

        {problem ? (
          <Notice tone="error" title={problem.title}>
            <p>{problem.detail}</p>
            <div className="flex flex-wrap gap-3">
              <Form method="post">
                <SubmitButton name="intent" value="update-access" pendingLabel="Opening GitHub…">
                  Fix on GitHub
                </SubmitButton>
              </Form>
              <Link to="/onboarding/select-repo" className={buttonClass("secondary")}>
                Choose another repository
              </Link>
            </div>
          </Notice>
        ) : null}

        <section aria-labelledby="repo-heading" className="space-y-3">
          <h2 id="repo-heading" className="text-lg font-semibold">
            Repository
          </h2>
          <dl className="grid gap-x-6 gap-y-2 rounded-lg border border-stone-200 bg-white p-4 text-sm sm:grid-cols-[10rem_1fr]">
            <dt className="text-stone-500">GitHub account</dt>
            <dd>{loaderData.githubUsername ?? "unknown"}</dd>
            <dt className="text-stone-500">Repository</dt>
            <dd>
              <a href={loaderData.repoWebUrl} className="font-mono underline underline-offset-4">
                {loaderData.repoFullName}
              </a>
            </dd>
            <dt className="text-stone-500">Branch</dt>
            <dd className="font-mono">{loaderData.defaultBranch}</dd>
            <dt className="text-stone-500">Installation</dt>
            <dd>{problem ? <span className="text-red-700">Needs attention</span> : "Active"}</dd>
          </dl>
          <div className="flex flex-wrap gap-3">
            <Link to="/onboarding/select-repo" className={buttonClass("secondary")}>
              Change repository
            </Link>
            <Form method="post">
              <SubmitButton name="intent" value="update-access" variant="secondary" pendingLabel="Opening GitHub…">
                Update access on GitHub
              </SubmitButton>
            </Form>
            <Link to="?disconnect=confirm" className={buttonClass("secondary")}>
              Disconnect
            </Link>
          </div>
          {confirmingDisconnect ? (
            <Notice tone="warning" title="Disconnect GitHub?">
              <p>
                Your AI loses access to {loaderData.repoFullName}. The repository and its history stay on GitHub; remove
                the App there too if you want to revoke its access entirely.
              </p>
              <div className="flex flex-wrap gap-3">
                <Form method="post">
                  <SubmitButton name="intent" value="disconnect" variant="danger" pendingLabel="Disconnecting…">
                    Yes, disconnect
                  </SubmitButton>
                </Form>
                <Link to="." className={buttonClass("secondary")}>
                  Cancel
                </Link>
              </div>
            </Notice>
          ) : null}
        </section>

        <section aria-labelledby="connect-heading" className="space-y-3">
          <h2 id="connect-heading" className="text-lg font-semibold">
            Connect your AI
          </h2>
          <p className="text-sm text-stone-600">Add this MCP server to your AI client. It asks you to sign in once.</p>
          <div className="flex items-center gap-2">
            <label htmlFor="mcp-url" className="sr-only">
              MCP URL
            </label>
            <input
              id="mcp-url"
              readOnly
              value={loaderData.mcpUrl}
              className="block w-full rounded-md border border-stone-300 bg-white px-3 py-2 font-mono text-sm"
            />
            <CopyButton text={loaderData.mcpUrl} label="Copy URL" />
          </div>
          <ClientSetup mcpUrl={loaderData.mcpUrl} />
        </section>

        <section aria-labelledby="clients-heading" className="space-y-3">
          <h2 id="clients-heading" className="text-lg font-semibold">
            Connected AI clients
          </h2>
          {loaderData.clients.length === 0 ? (
            <p className="text-sm text-stone-600">None yet. Clients appear here once you allow them.</p>
          ) : (
            <ul className="divide-y divide-stone-200 rounded-lg border border-stone-200 bg-white">
              {loaderData.clients.map((client) => (
                <li
                  key={client.grantId}
                  className="flex flex-wrap items-center justify-between gap-3 px-4 py-3 text-sm"
                >
                  <div>
                    <p className="font-medium">{client.name}</p>
                    <p className="text-stone-600">
                      {client.canWrite ? "Read and write" : "Read only"} · connected{" "}
                      <time dateTime={client.connectedAt}>{client.connectedAt.slice(0, 16).replace("T", " ")} UTC</time>
                    </p>
                  </div>
                  <Form method="post">
                    <input type="hidden" name="grantId" value={client.grantId} />
                    <SubmitButton
                      name="intent"
                      value="revoke"
                      variant="secondary"
                      pendingLabel="Revoking…"
                      aria-label={`Revoke ${client.name}`}
                    >
                      Revoke
                    </SubmitButton>
                  </Form>
                </li>
              ))}
            </ul>
          )}
        </section>

        <section aria-labelledby="delete-heading" className="space-y-2">
          <h2 id="delete-heading" className="text-lg font-semibold">
            Delete account
          </h2>
          <p className="text-sm text-stone-600">
            Remove everything ctx4-ai keeps about you; your repository stays on GitHub.{" "}
            <Link to="/account/delete" className="font-medium text-red-700 underline underline-offset-4">
              Delete your account
            </Link>
          </p>
        </section>
      </div>
    </Page>
  );
}
