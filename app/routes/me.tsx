import { data, Form, Link, redirect, useSearchParams } from "react-router";
import { z } from "zod";
import { buttonClass, SubmitButton } from "../components/button";
import { ClientNames } from "../components/client-names";
import { ClientSetup } from "../components/client-setup";
import { CopyButton } from "../components/copy-button";
import { Notice } from "../components/notice";
import { Page } from "../components/page";
import {
  type ConnectedClient,
  connectedClients,
  revokeAllClients,
  revokeClient,
} from "../lib/connected-clients.server";
import { deleteUserGithubConfig } from "../lib/db/queries.server";
import type { InactiveReason } from "../lib/db/schema";
import { type Feedback, feedbackHeaders, takeFeedback } from "../lib/feedback.server";
import { gitHubInstallTrip } from "../lib/github/install-url.server";
import { startUpdateTrip } from "../lib/github/update-access-trip.server";
import { loadUserConfig, withInstallationStatus } from "../lib/github-config.server";
import { userWorkspace } from "../lib/user-workspace.server";
import type { Route } from "./+types/me";

export const meta: Route.MetaFunction = () => [{ title: "Your memory · ctx4-ai" }];

/**
 * The dashboard, whatever state the GitHub connection is in (none, no repo chosen, a problem
 * GitHub or a tool reported, active): the AI clients the person allowed keep their access in
 * every one of them, so they are always listed here with a way to revoke them. How the App's
 * installation stands is asked of GitHub on each load (`withInstallationStatus`), since its
 * webhook may never arrive; without GitHub's answer in time the page shows what is stored.
 */
export async function loader({ request, context }: Route.LoaderArgs) {
  const { user, config: stored, env, db } = await loadUserConfig(context, request);
  const [{ feedback, headers }, connected, config] = await Promise.all([
    takeFeedback(request),
    connectedClients(env, user.id),
    stored && withInstallationStatus(env, db, stored),
  ]);
  const reviewed = new Set(
    connected.length
      ? await userWorkspace(env, user.id).reviewedClients(connected.map((client) => client.clientId))
      : [],
  );
  const clients = connected.map((client) => ({ ...client, reviewed: reviewed.has(client.clientId) }));
  const github = config && {
    githubUsername: config.githubUsername,
    inactiveReason: config.isActive ? null : config.inactiveReason,
    repo: config.repoFullName
      ? {
          fullName: config.repoFullName,
          webUrl: new URL(`/${config.repoFullName}`, env.GITHUB_WEB_URL).toString(),
          defaultBranch: config.defaultBranch,
        }
      : null,
  };
  return data(
    { email: user.email, github, mcpUrl: new URL("/mcp", env.APP_ORIGIN).toString(), clients, feedback },
    { headers },
  );
}

const intent = z.discriminatedUnion("intent", [
  z.object({ intent: z.literal("disconnect"), revokeClients: z.literal("on").optional() }),
  z.object({ intent: z.literal("update-access") }),
  z.object({ intent: z.literal("revoke"), grantId: z.string().min(1).max(200) }),
  z.object({ intent: z.literal("review"), grantId: z.string().min(1).max(200), review: z.enum(["on", "off"]) }),
]);

/**
 * Disconnect (and, when asked, revoke every AI client), revoke one client, turn review mode on
 * or off for one (its next write follows it), or go to the App's settings on GitHub. Each lands back here with what it did, said once (`feedback.server`).
 */
export async function action({ request, context }: Route.ActionArgs) {
  const { user, env, db } = await loadUserConfig(context, request);
  const parsed = intent.safeParse(Object.fromEntries(await request.formData()));
  if (!parsed.success) throw new Response("Unknown action", { status: 400 });
  const back = async (feedback: Feedback) => redirect("/me", { headers: await feedbackHeaders(request, feedback) });

  if (parsed.data.intent === "update-access") {
    const trip = await gitHubInstallTrip(env, user);
    // Back through the callback's confirmation, and only then, the page says the changes are in.
    trip.redirect.headers.append("Set-Cookie", await startUpdateTrip(request, trip.state));
    return trip.redirect;
  }
  if (parsed.data.intent === "review") {
    const { grantId, review } = parsed.data;
    // Only a client of this person's own grants: any other id is not theirs to set.
    const client = (await connectedClients(env, user.id)).find((candidate) => candidate.grantId === grantId);
    if (!client) return back({ kind: "already-revoked" });
    await userWorkspace(env, user.id).setReviewed(client.clientId, review === "on");
    return back({ kind: "review-changed", client: client.name, on: review === "on" });
  }
  if (parsed.data.intent === "revoke") {
    const revoked = await revokeClient(env, user.id, parsed.data.grantId);
    return back(revoked ? { kind: "revoked", client: revoked.name } : { kind: "already-revoked" });
  }
  await deleteUserGithubConfig(db, user.id);
  const workspace = userWorkspace(env, user.id);
  await workspace.reset();
  await workspace.forgetGitHubUser();
  const revoked = parsed.data.revokeClients === "on" ? await revokeAllClients(env, user.id) : 0;
  return back({ kind: "disconnected", revoked });
}

type Fix = "settings" | "install-again" | "choose-repo" | "confirm-account";

/**
 * Each problem's fixes, only those that work in that state: with the App removed or suspended
 * no repository can be listed, so "choose another" is offered only where the installation works.
 */
const PROBLEMS: Record<InactiveReason, { title: string; detail: string; fixes: [Fix, string][] }> = {
  installation_deleted: {
    title: "The ctx4-ai App was removed from GitHub",
    detail: "Your AI cannot reach your repository. Install the App again to reconnect.",
    fixes: [["install-again", "Install the App again"]],
  },
  installation_suspended: {
    title: "The ctx4-ai App is suspended on GitHub",
    detail: "Unsuspend it in the App's settings on GitHub (Applications → Installed GitHub Apps).",
    fixes: [["settings", "Open the App's settings on GitHub"]],
  },
  repo_removed: {
    title: "The App no longer has access to your repository",
    detail: "Give the installation access to it again, or choose another repository.",
    fixes: [
      ["settings", "Give access on GitHub"],
      ["choose-repo", "Choose another repository"],
    ],
  },
  person_lost_repo: {
    title: "Your GitHub account can no longer open this repository",
    detail: "Ask the repository's owner for access again, or choose another repository.",
    fixes: [["choose-repo", "Choose another repository"]],
  },
  person_unconfirmed: {
    title: "GitHub needs to confirm your account again",
    detail: "Confirm your GitHub account on GitHub; your AI goes on with the same repository.",
    fixes: [["confirm-account", "Confirm on GitHub"]],
  },
};

function FixButton({ fix, label }: { fix: Fix; label: string }) {
  switch (fix) {
    case "settings":
      return (
        <Form method="post">
          <SubmitButton name="intent" value="update-access" pendingLabel="Opening GitHub…">
            {label}
          </SubmitButton>
        </Form>
      );
    case "install-again":
      return (
        <Form method="post" action="/onboarding/connect-github">
          <SubmitButton pendingLabel="Opening GitHub…">{label}</SubmitButton>
        </Form>
      );
    case "confirm-account":
      return (
        <Form method="post" action="/onboarding/select-repo">
          <SubmitButton name="intent" value="authorize-github" pendingLabel="Opening GitHub…">
            {label}
          </SubmitButton>
        </Form>
      );
    case "choose-repo":
      return (
        <Link to="/onboarding/select-repo" className={buttonClass("secondary")}>
          {label}
        </Link>
      );
  }
}

/** What the last action did, in the person's words. */
function FeedbackNotice({
  feedback,
  repo,
  clients,
}: {
  feedback: Feedback;
  repo: string | null;
  clients: ConnectedClient[];
}) {
  const names = clients.map((client) => client.name);
  const plural = (count: number) => `${count} AI client${count === 1 ? "" : "s"}`;
  switch (feedback.kind) {
    case "disconnected":
      return (
        <Notice
          tone="success"
          title={`Disconnected from GitHub${feedback.revoked > 0 ? `; ${plural(feedback.revoked)} revoked` : ""}.`}
        >
          {clients.length > 0 ? (
            <p>
              Still connected: <ClientNames names={names} />. They reach no repository until you connect GitHub again,
              then they use the one you choose. Revoke them below if they should not.
            </p>
          ) : null}
        </Notice>
      );
    case "revoked":
      return (
        <Notice tone="success" title={`Revoked ${feedback.client}'s access.`}>
          <p>Its tokens stopped working at once. It can connect again only if you allow it again.</p>
        </Notice>
      );
    case "review-changed":
      return (
        <Notice
          tone="success"
          title={
            feedback.on
              ? `${feedback.client}'s writes now wait for your approval on the Activity page.`
              : `${feedback.client}'s writes go straight to your memory again.`
          }
        >
          {feedback.on ? null : "What it proposed before stays on the Activity page to approve or reject."}
        </Notice>
      );
    case "already-revoked":
      return <Notice tone="info" title="That AI client was already revoked." />;
    case "repo-chosen":
      return repo ? (
        <Notice tone="success" title={`Now using ${repo}.`}>
          {clients.length > 0 ? (
            <p>
              <ClientNames names={names} /> {clients.length === 1 ? "uses" : "use"} it from{" "}
              {clients.length === 1 ? "its" : "their"} next call.
            </p>
          ) : (
            <p>Connect your AI below to use it.</p>
          )}
        </Notice>
      ) : null;
    case "signed-out":
      return null;
  }
}

export default function Me({ loaderData }: Route.ComponentProps) {
  const [searchParams] = useSearchParams();
  const { github, clients, feedback } = loaderData;
  const confirmingDisconnect = github !== null && searchParams.get("disconnect") === "confirm";
  // Back from GitHub's own settings page (api.github.callback): what is shown was read again.
  const updatedOnGitHub = searchParams.get("github") === "updated";
  const problem = github?.inactiveReason ? PROBLEMS[github.inactiveReason] : null;
  const repo = github?.repo ?? null;

  return (
    <Page email={loaderData.email}>
      <div className="space-y-10">
        <header>
          <h1 className="text-2xl font-semibold tracking-tight">Your AI memory</h1>
          <p className="mt-1 text-stone-600">Signed in as {loaderData.email}</p>
        </header>

        {feedback ? <FeedbackNotice feedback={feedback} repo={repo?.fullName ?? null} clients={clients} /> : null}

        {updatedOnGitHub && !problem ? (
          <Notice tone="success" title="Your changes on GitHub are in">
            <p>ctx4-ai read the App's access again: your AI clients use it from their next call.</p>
          </Notice>
        ) : null}

        {problem ? (
          <Notice tone="error" title={problem.title}>
            <p>{problem.detail}</p>
            <div className="flex flex-wrap gap-3">
              {problem.fixes.map(([fix, label]) => (
                <FixButton key={fix} fix={fix} label={label} />
              ))}
            </div>
          </Notice>
        ) : null}

        <section aria-labelledby="repo-heading" className="space-y-3">
          <h2 id="repo-heading" className="text-lg font-semibold">
            Repository
          </h2>
          {github === null ? (
            <Notice tone="warning" title="GitHub not connected">
              <p>
                Your AI reaches no repository.
                {clients.length > 0
                  ? " The AI clients below keep their access: once you connect GitHub, they use the repository you choose."
                  : " Connect GitHub and choose the repository it should use."}
              </p>
              <div>
                <Link to="/onboarding/connect-github" className={buttonClass()}>
                  Connect GitHub
                </Link>
              </div>
            </Notice>
          ) : repo === null ? (
            problem ? null : (
              <Notice tone="warning" title="No repository chosen">
                <p>
                  GitHub is connected{github.githubUsername ? ` as @${github.githubUsername}` : ""}, but your AI reaches
                  no repository until you choose one.
                </p>
                <div>
                  <Link to="/onboarding/select-repo" className={buttonClass()}>
                    Choose a repository
                  </Link>
                </div>
              </Notice>
            )
          ) : (
            <dl className="grid gap-x-6 gap-y-2 rounded-lg border border-stone-200 bg-white p-4 text-sm sm:grid-cols-[10rem_1fr]">
              <dt className="text-stone-500">GitHub account</dt>
              <dd>{github.githubUsername ?? "unknown"}</dd>
              <dt className="text-stone-500">Repository</dt>
              <dd className="flex flex-wrap items-baseline gap-x-3">
                <Link to="/files" className="font-mono underline underline-offset-4">
                  {repo.fullName}
                </Link>
                <Link to="/activity" className="underline underline-offset-4">
                  Activity
                </Link>
                <a href={repo.webUrl} className="text-stone-600 underline underline-offset-4">
                  On GitHub
                </a>
              </dd>
              <dt className="text-stone-500">Branch</dt>
              <dd className="font-mono">{repo.defaultBranch}</dd>
              <dt className="text-stone-500">Installation</dt>
              <dd>{problem ? <span className="text-red-700">Needs attention</span> : "Active"}</dd>
            </dl>
          )}
          {github === null ? null : (
            <div className="flex flex-wrap gap-3">
              {repo === null || problem ? null : (
                <>
                  <Link to="/onboarding/select-repo" className={buttonClass("secondary")}>
                    Change repository
                  </Link>
                  <Form method="post">
                    <SubmitButton
                      name="intent"
                      value="update-access"
                      variant="secondary"
                      pendingLabel="Opening GitHub…"
                    >
                      Update access on GitHub
                    </SubmitButton>
                  </Form>
                </>
              )}
              <Link to="?disconnect=confirm" className={buttonClass("secondary")}>
                Disconnect
              </Link>
            </div>
          )}
          {confirmingDisconnect ? (
            <Notice tone="warning" title="Disconnect GitHub?">
              <p>
                Your AI loses access to {repo ? repo.fullName : "GitHub"}. The repository and its history stay on
                GitHub; remove the App there too if you want to revoke its access entirely.
              </p>
              <Form method="post" className="space-y-3">
                {clients.length > 0 ? (
                  <label className="flex items-start gap-2">
                    <input type="checkbox" name="revokeClients" defaultChecked className="mt-1" />
                    <span>
                      Also revoke access for {clients.length} connected AI client{clients.length === 1 ? "" : "s"}:{" "}
                      <ClientNames names={clients.map((client) => client.name)} />. Otherwise they keep it, and use the
                      repository you choose when you connect GitHub again.
                    </span>
                  </label>
                ) : null}
                <div className="flex flex-wrap gap-3">
                  <SubmitButton name="intent" value="disconnect" variant="danger" pendingLabel="Disconnecting…">
                    Yes, disconnect
                  </SubmitButton>
                  <Link to="." className={buttonClass("secondary")}>
                    Cancel
                  </Link>
                </div>
              </Form>
            </Notice>
          ) : null}
        </section>

        {repo === null ? null : (
          <section aria-labelledby="connect-heading" className="space-y-3">
            <h2 id="connect-heading" className="text-lg font-semibold">
              Connect your AI
            </h2>
            <p className="text-sm text-stone-600">
              Add this MCP server to your AI client. It asks you to sign in once.
            </p>
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
        )}

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
                      {client.canWrite
                        ? client.reviewed
                          ? "Writes await your approval"
                          : "Read and write"
                        : "Read only"}{" "}
                      · connected{" "}
                      <time dateTime={client.connectedAt}>{client.connectedAt.slice(0, 16).replace("T", " ")} UTC</time>
                    </p>
                  </div>
                  {client.canWrite ? (
                    <Form method="post">
                      <input type="hidden" name="grantId" value={client.grantId} />
                      <input type="hidden" name="review" value={client.reviewed ? "off" : "on"} />
                      <SubmitButton
                        name="intent"
                        value="review"
                        variant="secondary"
                        pendingLabel="Saving…"
                        aria-label={`${client.reviewed ? "Stop reviewing" : "Review"} ${client.name}'s writes`}
                      >
                        {client.reviewed ? "Stop reviewing writes" : "Review writes first"}
                      </SubmitButton>
                    </Form>
                  ) : null}
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
            {github?.repo
              ? "Remove everything ctx4-ai keeps about you; your repository stays on GitHub."
              : "Remove everything ctx4-ai keeps about you."}{" "}
            <Link to="/account/delete" className="font-medium text-red-700 underline underline-offset-4">
              Delete your account
            </Link>
          </p>
        </section>
      </div>
    </Page>
  );
}
