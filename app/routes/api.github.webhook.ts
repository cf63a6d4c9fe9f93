import { verify } from "@octokit/webhooks-methods";
import { z } from "zod";
import { markInstallationInactive, markInstallationUnsuspended, markReposReachable } from "../lib/db/queries.server";
import { userWorkspace } from "../lib/user-workspace.server";
import { workerContext } from "../lib/worker-context";
import type { Route } from "./+types/api.github.webhook";

const installationEvent = z.object({
  action: z.string(),
  installation: z.object({ id: z.number().int() }),
});
const repositoriesEvent = installationEvent.extend({
  repositories_added: z.array(z.object({ id: z.number().int() })).default([]),
  repositories_removed: z.array(z.object({ id: z.number().int() })).default([]),
});

const MAX_BODY_BYTES = 25 * 1024 * 1024;

/**
 * GitHub's webhooks for our App. The signature is checked over the raw body before anything
 * is parsed; the handlers only flag or clear a config, so a repeated delivery is harmless.
 */
export async function action({ request, context }: Route.ActionArgs) {
  const { env, db } = context.get(workerContext);
  const signature = request.headers.get("X-Hub-Signature-256");
  const body = await request.text();
  if (!signature || body.length > MAX_BODY_BYTES || !(await verify(env.GITHUB_WEBHOOK_SECRET, body, signature))) {
    return Response.json({ error: "Invalid signature" }, { status: 401 });
  }

  let payload: unknown;
  try {
    payload = JSON.parse(body);
  } catch {
    return Response.json({ error: "Body is not JSON" }, { status: 400 });
  }
  const event = request.headers.get("X-GitHub-Event");
  let affected: { userId: string }[] = [];
  if (event === "installation") {
    const { action, installation } = installationEvent.parse(payload);
    if (action === "deleted") affected = await markInstallationInactive(db, installation.id, "installation_deleted");
    if (action === "suspend") affected = await markInstallationInactive(db, installation.id, "installation_suspended");
    if (action === "unsuspend") affected = await markInstallationUnsuspended(db, installation.id);
  } else if (event === "installation_repositories") {
    const parsed = repositoriesEvent.parse(payload);
    const ids = (repos: { id: number }[]) => repos.map((repo) => repo.id);
    affected = [
      ...(await markReposReachable(db, parsed.installation.id, ids(parsed.repositories_removed), false)),
      ...(await markReposReachable(db, parsed.installation.id, ids(parsed.repositories_added), true)),
    ];
  }
  await Promise.all(affected.map(({ userId }) => userWorkspace(env, userId).forgetConfig()));
  return Response.json({ ok: true, event, updated: affected.length });
}
