import { createExecutionContext, waitOnExecutionContext } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { sign } from "@octokit/webhooks-methods";
import { describe, expect, inject, it } from "vitest";
import type { Delivery } from "../../local/github/delivery";
import { configOf, githubControl, onboardedVisitor, SITE, type Visitor } from "../../tests/workerd/visitor";
import worker from "../../workers/app";

const secret = () => inject("stack").workerVars.GITHUB_WEBHOOK_SECRET ?? "";

type Sent = { id?: string; event: string; payload: unknown; signature?: string | null };

/**
 * Posts a delivery to our webhook as GitHub does (signed with the App's secret unless
 * `signature` says otherwise). `githubApiUrl` runs the Worker with GitHub's API elsewhere.
 */
async function post({ id = crypto.randomUUID(), event, payload, signature }: Sent, githubApiUrl?: string) {
  const body = typeof payload === "string" ? payload : JSON.stringify(payload);
  const headers = new Headers({ "Content-Type": "application/json", "X-GitHub-Event": event, "X-GitHub-Delivery": id });
  const signed = signature === undefined ? await sign(secret(), body) : signature;
  if (signed !== null) headers.set("X-Hub-Signature-256", signed);
  const request = new Request(new URL("/api/github/webhook", SITE), {
    method: "POST",
    headers,
    body,
  });
  const ctx = createExecutionContext();
  // As the runtime hands it over; the test has no Cloudflare edge to add `cf`.
  const incoming = request as Parameters<typeof worker.fetch>[0];
  const response = await worker.fetch(incoming, { ...env, GITHUB_API_URL: githubApiUrl ?? env.GITHUB_API_URL }, ctx);
  await waitOnExecutionContext(ctx);
  return response;
}

/** GitHub's last delivery of `event`/`action` for the installation, as the emulator recorded it. */
async function lastDelivery(installationId: number, event: string, action: string): Promise<Delivery> {
  const deliveries = await githubControl().deliveries();
  const found = deliveries.findLast(
    (delivery) =>
      delivery.event === event &&
      delivery.action === action &&
      (delivery.payload.installation as { id: number }).id === installationId,
  );
  if (!found) throw new Error(`no ${event}.${action} delivery for installation ${installationId}`);
  return found;
}

async function connectedWithRepo(name: string) {
  const { visitor, installation } = await onboardedVisitor(name, ["ctx", "other"]);
  return { visitor, installationId: installation.id, control: githubControl() };
}

/** The problem /me shows the person, if any. */
const problemOn = async (visitor: Visitor) => {
  const me = await (await visitor.fetch("/me")).text();
  return ["removed from GitHub", "suspended on GitHub", "no longer has access"].find((text) => me.includes(text));
};

describe("GitHub webhooks", () => {
  it("refuses unsigned and wrongly signed deliveries, changing nothing", async () => {
    const { visitor, installationId, control } = await connectedWithRepo("unsigned");
    await control.suspend(installationId);
    const payload = (await lastDelivery(installationId, "installation", "suspend")).payload;

    expect((await post({ event: "installation", payload, signature: null })).status).toBe(401);
    const wrong = await sign("wrong-secret", JSON.stringify(payload));
    expect((await post({ event: "installation", payload, signature: wrong })).status).toBe(401);
    expect((await post({ event: "installation", payload, signature: "sha256=00" })).status).toBe(401);
    expect(await configOf(visitor)).toMatchObject({ isActive: true, inactiveReason: null });
  });

  it("marks a real suspension and clears it when GitHub unsuspends", async () => {
    const { visitor, installationId, control } = await connectedWithRepo("suspended");
    await control.suspend(installationId);
    expect((await post(await lastDelivery(installationId, "installation", "suspend"))).status).toBe(200);
    expect(await configOf(visitor)).toMatchObject({ isActive: false, inactiveReason: "installation_suspended" });
    expect(await problemOn(visitor)).toBe("suspended on GitHub");

    await control.unsuspend(installationId);
    expect((await post(await lastDelivery(installationId, "installation", "unsuspend"))).status).toBe(200);
    expect(await configOf(visitor)).toMatchObject({ isActive: true, inactiveReason: null });
    expect(await problemOn(visitor)).toBeUndefined();
  });

  it("ignores a recorded suspend replayed after the real unsuspend, with its own id or a new one", async () => {
    const { visitor, installationId, control } = await connectedWithRepo("replayed");
    await control.suspend(installationId);
    const suspend = await lastDelivery(installationId, "installation", "suspend");
    await post(suspend);
    await control.unsuspend(installationId);
    await post(await lastDelivery(installationId, "installation", "unsuspend"));

    const sameId = await post(suspend);
    expect(sameId.status).toBe(200);
    expect(await sameId.json()).toMatchObject({ duplicate: true, updated: 0 });
    const newId = await post({ ...suspend, id: crypto.randomUUID() });
    expect(newId.status).toBe(200);
    expect(await newId.json()).toMatchObject({ updated: 0 });

    expect(await configOf(visitor)).toMatchObject({ isActive: true, inactiveReason: null });
    expect(await problemOn(visitor)).toBeUndefined();
  });

  it("handles each delivery id once, also when it arrives twice at once: a redelivery does nothing", async () => {
    const { visitor, installationId, control } = await connectedWithRepo("redelivered");
    await control.suspend(installationId);
    const suspend = await lastDelivery(installationId, "installation", "suspend");
    const atOnce = await Promise.all([post(suspend), post(suspend)]);
    const answers = await Promise.all(atOnce.map((response) => response.json() as Promise<{ updated: number }>));
    expect(atOnce.map((response) => response.status)).toEqual([200, 200]);
    expect(answers.map((answer) => answer.updated).sort()).toEqual([0, 1]);
    // GitHub has moved on; were the redelivery handled again, it would read that and apply it.
    await control.unsuspend(installationId);
    expect(await (await post(suspend)).json()).toMatchObject({ duplicate: true, updated: 0 });
    expect(await configOf(visitor)).toMatchObject({ inactiveReason: "installation_suspended" });
  });

  it("marks a real uninstall and shows the fix on /me, but ignores a deleted delivery for a live installation", async () => {
    const live = await connectedWithRepo("still-installed");
    const forged = await post({
      event: "installation",
      payload: { action: "deleted", installation: { id: live.installationId } },
    });
    expect(await forged.json()).toMatchObject({ updated: 0 });
    expect(await configOf(live.visitor)).toMatchObject({ isActive: true, inactiveReason: null });

    const { visitor, installationId, control } = await connectedWithRepo("uninstalled");
    await control.deleteInstallation(installationId);
    expect((await post(await lastDelivery(installationId, "installation", "deleted"))).status).toBe(200);
    expect(await configOf(visitor)).toMatchObject({ isActive: false, inactiveReason: "installation_deleted" });
    const me = await (await visitor.fetch("/me")).text();
    expect(me).toContain("The ctx4-ai App was removed from GitHub");
    expect(me).toContain("Install the App again");
  });

  it("flags the chosen repo when it is removed, clears it when added back, and ignores a replayed removal", async () => {
    const { visitor, installationId, control } = await connectedWithRepo("narrowed");
    await control.setRepositories(installationId, { repositories: ["ctx"] });
    await post(await lastDelivery(installationId, "installation_repositories", "removed"));
    expect(await configOf(visitor)).toMatchObject({ isActive: true, inactiveReason: null });

    await control.setRepositories(installationId, { repositories: [] });
    const removed = await lastDelivery(installationId, "installation_repositories", "removed");
    await post(removed);
    expect(await configOf(visitor)).toMatchObject({ isActive: false, inactiveReason: "repo_removed" });
    expect(await problemOn(visitor)).toBe("no longer has access");

    await control.setRepositories(installationId, { repositories: ["ctx", "other"] });
    await post(await lastDelivery(installationId, "installation_repositories", "added"));
    expect(await configOf(visitor)).toMatchObject({ isActive: true, inactiveReason: null });

    expect(await (await post({ ...removed, id: crypto.randomUUID() })).json()).toMatchObject({ updated: 0 });
    expect(await configOf(visitor)).toMatchObject({ isActive: true, inactiveReason: null });
    expect(await problemOn(visitor)).toBeUndefined();
  });

  it("answers 502 and changes nothing while GitHub cannot be reached; the redelivery then applies", async () => {
    const { visitor, installationId, control } = await connectedWithRepo("github-down");
    await control.suspend(installationId);
    const suspend = await lastDelivery(installationId, "installation", "suspend");

    const down = await post(suspend, "http://127.0.0.1:9");
    expect(down.status).toBe(502);
    expect(await down.json()).toMatchObject({ error: expect.stringContaining("nothing was changed") });
    expect(await configOf(visitor)).toMatchObject({ isActive: true, inactiveReason: null });

    expect(await (await post(suspend)).json()).toMatchObject({ updated: 1 });
    expect(await configOf(visitor)).toMatchObject({ isActive: false, inactiveReason: "installation_suspended" });
  });

  it("answers a signed but malformed delivery, or one without a delivery GUID, with 400", async () => {
    const deleted = { action: "deleted", installation: { id: 1 } };
    expect((await post({ event: "installation", payload: "not json" })).status).toBe(400);
    expect((await post({ event: "installation", payload: { action: "deleted" } })).status).toBe(400);
    expect((await post({ event: "installation_repositories", payload: { installation: { id: "x" } } })).status).toBe(
      400,
    );
    for (const id of ["", "not-a-guid", "72d3162e-cc78-11e3-81ab-4c9367dc095"]) {
      const response = await post({ id, event: "installation", payload: deleted });
      expect(response.status).toBe(400);
      expect(await response.json()).toMatchObject({ error: expect.stringContaining("X-GitHub-Delivery") });
    }
  });
});
