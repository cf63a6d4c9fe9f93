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
  const body = await request.text();
  if (body.length > MAX_BODY_BYTES || !(await signedByGitHub(env, body, request.headers.get("X-Hub-Signature-256")))) {
    return Response.json({ error: "Invalid signature" }, { status: 401 });
  }

  const event = request.headers.get("X-GitHub-Event");
  const payload = parseJson(body);
  let affected: { userId: string }[] = [];
  if (event === "installation") {
    const parsed = installationEvent.safeParse(payload);
    if (!parsed.success) return malformed();
    const { action, installation } = parsed.data;
    if (action === "deleted") affected = await markInstallationInactive(db, installation.id, "installation_deleted");
    if (action === "suspend") affected = await markInstallationInactive(db, installation.id, "installation_suspended");
    if (action === "unsuspend") affected = await markInstallationUnsuspended(db, installation.id);
  } else if (event === "installation_repositories") {
    const parsed = repositoriesEvent.safeParse(payload);
    if (!parsed.success) return malformed();
    const { installation, repositories_added: added, repositories_removed: removed } = parsed.data;
    const ids = (repos: { id: number }[]) => repos.map((repo) => repo.id);
    affected = [
      ...(await markReposReachable(db, installation.id, ids(removed), false)),
      ...(await markReposReachable(db, installation.id, ids(added), true)),
    ];
  }
  await Promise.all(affected.map(({ userId }) => userWorkspace(env, userId).configChanged()));
  return Response.json({ ok: true, event, updated: affected.length });
}

async function signedByGitHub(env: Env, body: string, signature: string | null): Promise<boolean> {
  if (!signature || !body) return false;
  try {
    return await verify(env.GITHUB_WEBHOOK_SECRET, body, signature);
  } catch {
    return false;
  }
}

function parseJson(body: string): unknown {
  try {
    return JSON.parse(body);
  } catch {
    return undefined;
  }
}

const malformed = () => Response.json({ error: "Unexpected payload" }, { status: 400 });
