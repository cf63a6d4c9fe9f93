import { sign } from "@octokit/webhooks-methods";
import { describe, expect, inject, it } from "vitest";
import { configOf, onboardedVisitor, Visitor } from "../../tests/workerd/visitor";

const secret = () => inject("stack").workerVars.GITHUB_WEBHOOK_SECRET ?? "";

async function deliver(event: string, payload: unknown, signature?: string) {
  const body = typeof payload === "string" ? payload : JSON.stringify(payload);
  const headers: Record<string, string> = {
    "Content-Type": "application/json",
    "X-GitHub-Event": event,
    "X-GitHub-Delivery": crypto.randomUUID(),
  };
  if (signature !== undefined) headers["X-Hub-Signature-256"] = signature;
  return new Visitor().fetch("/api/github/webhook", { method: "POST", headers, body });
}

const signed = async (event: string, payload: unknown) =>
  deliver(event, payload, await sign(secret(), JSON.stringify(payload)));

async function connectedWithRepo(name: string) {
  const { visitor, installation, repo } = await onboardedVisitor(name, ["ctx", "other"]);
  return { visitor, installationId: installation.id, repoId: repo.id };
}

describe("GitHub webhooks", () => {
  it("refuses unsigned and wrongly signed deliveries, changing nothing", async () => {
    const { visitor, installationId } = await connectedWithRepo("unsigned");
    const payload = { action: "deleted", installation: { id: installationId } };

    expect((await deliver("installation", payload)).status).toBe(401);
    expect((await deliver("installation", payload, await sign("wrong-secret", JSON.stringify(payload)))).status).toBe(
      401,
    );
    expect((await deliver("installation", payload, "sha256=00")).status).toBe(401);
    expect(await configOf(visitor)).toMatchObject({ isActive: true, inactiveReason: null });
  });

  it("marks a deleted installation, shows the fix on /me, and takes a duplicate delivery in stride", async () => {
    const { visitor, installationId } = await connectedWithRepo("uninstalled");
    const payload = { action: "deleted", installation: { id: installationId } };
    expect((await signed("installation", payload)).status).toBe(200);
    expect((await signed("installation", payload)).status).toBe(200);

    expect(await configOf(visitor)).toMatchObject({ isActive: false, inactiveReason: "installation_deleted" });
    const me = await (await visitor.fetch("/me")).text();
    expect(me).toContain("The ctx4-ai App was removed from GitHub");
    expect(me).toContain("Fix on GitHub");
  });

  it("marks a suspension and clears it when GitHub unsuspends", async () => {
    const { visitor, installationId } = await connectedWithRepo("suspended");
    await signed("installation", { action: "suspend", installation: { id: installationId } });
    expect(await configOf(visitor)).toMatchObject({ isActive: false, inactiveReason: "installation_suspended" });
    await signed("installation", { action: "unsuspend", installation: { id: installationId } });
    expect(await configOf(visitor)).toMatchObject({ isActive: true, inactiveReason: null });
  });

  it("flags the chosen repo when it is removed from the installation, and only that", async () => {
    const { visitor, installationId, repoId } = await connectedWithRepo("narrowed");
    await signed("installation_repositories", {
      action: "removed",
      installation: { id: installationId },
      repositories_added: [],
      repositories_removed: [{ id: repoId + 1 }],
    });
    expect(await configOf(visitor)).toMatchObject({ isActive: true });

    await signed("installation_repositories", {
      action: "removed",
      installation: { id: installationId },
      repositories_added: [],
      repositories_removed: [{ id: repoId }],
    });
    expect(await configOf(visitor)).toMatchObject({ isActive: false, inactiveReason: "repo_removed" });
    expect(await (await visitor.fetch("/me")).text()).toContain("no longer has access to your repository");

    await signed("installation_repositories", {
      action: "added",
      installation: { id: installationId },
      repositories_added: [{ id: repoId }],
      repositories_removed: [],
    });
    expect(await configOf(visitor)).toMatchObject({ isActive: true, inactiveReason: null });
  });

  it("answers a signed but malformed delivery with 400", async () => {
    expect((await deliver("installation", "not json", await sign(secret(), "not json"))).status).toBe(400);
    expect((await signed("installation", { action: "deleted" })).status).toBe(400);
    expect((await signed("installation_repositories", { installation: { id: "x" } })).status).toBe(400);
  });
});
