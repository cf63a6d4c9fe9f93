import { verify } from "@octokit/webhooks-methods";
import { z } from "zod";
import type { Transaction } from "../lib/db/client.server";
import {
  applyInstallationStatus,
  applyReposReachable,
  chosenRepoIds,
  forgetDelivery,
  lockInstallation,
  recordDelivery,
} from "../lib/db/queries.server";
import { installationStatus, reachesRepo } from "../lib/github/app.server";
import { logProblem } from "../lib/log.server";
import { userWorkspace } from "../lib/user-workspace.server";
import { workerContext } from "../lib/worker-context";
import type { Route } from "./+types/api.github.webhook";

// https://docs.github.com/en/webhooks/webhook-events-and-payloads#delivery-headers
const deliveryIdSchema = z.guid();
// https://docs.github.com/en/webhooks/webhook-events-and-payloads#installation
const installationEvent = z.object({
  action: z.string(),
  installation: z.object({ id: z.number().int() }),
});
// https://docs.github.com/en/webhooks/webhook-events-and-payloads#installation_repositories
const repositoriesEvent = installationEvent.extend({
  repositories_added: z.array(z.object({ id: z.number().int() })).default([]),
  repositories_removed: z.array(z.object({ id: z.number().int() })).default([]),
});
const STATE_CHANGES = new Set(["deleted", "suspend", "unsuspend"]);

const MAX_BODY_BYTES = 25 * 1024 * 1024;

/** The installation (and repos) a delivery says changed: what to ask GitHub about. */
type Hint = { installationId: number; repoIds: number[] };

/**
 * GitHub's webhooks for our App. The signature is checked over the raw body before anything
 * is parsed. A signed delivery is only a hint that something changed: its installation (and
 * the chosen repos it names) are read from GitHub now and that is what is stored, so an old
 * delivery sent again changes nothing. Each delivery id is handled once (a redelivery of a
 * handled one answers 200 and does nothing), recorded in the transaction that applies it; if
 * GitHub cannot be asked, nothing changes, the answer is 502 and a redelivery is handled.
 */
export async function action({ request, context }: Route.ActionArgs) {
  const { env, db } = context.get(workerContext);
  const body = await request.text();
  if (body.length > MAX_BODY_BYTES || !(await signedByGitHub(env, body, request.headers.get("X-Hub-Signature-256")))) {
    return Response.json({ error: "Invalid signature" }, { status: 401 });
  }
  // The signature covers the body only: a replay may carry any id, so ids only spare repeats.
  const deliveryId = deliveryIdSchema.safeParse(request.headers.get("X-GitHub-Delivery"));
  if (!deliveryId.success) {
    return Response.json({ error: "X-GitHub-Delivery must be the delivery's GUID" }, { status: 400 });
  }

  const event = request.headers.get("X-GitHub-Event");
  const hint = hintOf(event, parseJson(body));
  if (hint === "malformed") return Response.json({ error: "Unexpected payload" }, { status: 400 });
  if (!hint) return Response.json({ ok: true, event, updated: 0 });

  const affected = await db.transaction(async (tx) => {
    if (!(await recordDelivery(tx, deliveryId.data))) return undefined;
    await lockInstallation(tx, hint.installationId);
    return applyWhatGitHubSays(tx, env, hint);
  });
  if (!affected) return Response.json({ ok: true, event, duplicate: true, updated: 0 });

  const users = [...new Set(affected.map(({ userId }) => userId))];
  try {
    await Promise.all(users.map((userId) => userWorkspace(env, userId).configChanged()));
  } catch (error) {
    // A workspace still holding the old config would not be told again: let the redelivery do it.
    await forgetDelivery(db, deliveryId.data);
    throw error;
  }
  return Response.json({ ok: true, event, updated: users.length });
}

/** The installation and repos a delivery is about, undefined for deliveries we do not act on. */
function hintOf(event: string | null, payload: unknown): Hint | "malformed" | undefined {
  if (event === "installation") {
    const parsed = installationEvent.safeParse(payload);
    if (!parsed.success) return "malformed";
    return STATE_CHANGES.has(parsed.data.action)
      ? { installationId: parsed.data.installation.id, repoIds: [] }
      : undefined;
  }
  if (event === "installation_repositories") {
    const parsed = repositoriesEvent.safeParse(payload);
    if (!parsed.success) return "malformed";
    const { installation, repositories_added: added, repositories_removed: removed } = parsed.data;
    return { installationId: installation.id, repoIds: [...added, ...removed].map((repo) => repo.id) };
  }
  return undefined;
}

/**
 * Stores what GitHub says now of the installation and, while it is active, of the named repos
 * some user chose; returns the users whose config changed. GitHub failing throws a 502
 * response, which rolls the transaction back.
 */
async function applyWhatGitHubSays(tx: Transaction, env: Env, hint: Hint) {
  const status = await askGitHub(() => installationStatus(env, hint.installationId));
  const affected = await applyInstallationStatus(tx, hint.installationId, status);
  if (status !== "active") return affected;

  const repoIds = await chosenRepoIds(tx, hint.installationId, hint.repoIds);
  const reachable = await askGitHub(() =>
    Promise.all(repoIds.map((repoId) => reachesRepo(env, hint.installationId, repoId))),
  );
  return [
    ...affected,
    ...(await applyReposReachable(
      tx,
      hint.installationId,
      repoIds.filter((_, index) => reachable[index]),
      true,
    )),
    ...(await applyReposReachable(
      tx,
      hint.installationId,
      repoIds.filter((_, index) => !reachable[index]),
      false,
    )),
  ];
}

async function askGitHub<T>(ask: () => Promise<T>): Promise<T> {
  try {
    return await ask();
  } catch (error) {
    logProblem("webhook_github_unreachable", error);
    throw Response.json(
      { error: "GitHub could not be asked for the current state; nothing was changed. Redeliver later." },
      { status: 502 },
    );
  }
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
