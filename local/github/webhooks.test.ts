import { verify } from "@octokit/webhooks-methods";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type ReceivedHook, startTestStack, type TestStack } from "./test-support";

let stack: TestStack;
beforeAll(async () => {
  stack = await startTestStack();
});
afterAll(() => stack.stop());

async function received(from: number): Promise<(ReceivedHook & { payload: Record<string, unknown> })[]> {
  await stack.emulator.idle();
  return stack.hooks.slice(from).map((hook) => ({ ...hook, payload: JSON.parse(hook.body) }));
}

describe("webhooks", () => {
  it("signs every delivery so @octokit/webhooks-methods and @octokit/app verify it", async () => {
    const from = stack.hooks.length;
    const installation = await stack.emulator.control.createInstallation("alice", { repositories: ["ctx"] });
    const [hook] = await received(from);
    if (!hook) throw new Error("no delivery");
    const signature = String(hook.headers["x-hub-signature-256"]);
    expect(signature).toMatch(/^sha256=[0-9a-f]{64}$/);
    expect(await verify(stack.settings.webhookSecret, hook.body, signature)).toBe(true);
    expect(await verify("another secret", hook.body, signature)).toBe(false);
    expect(await verify(stack.settings.webhookSecret, `${hook.body} `, signature)).toBe(false);

    await expect(
      stack.app.webhooks.verifyAndReceive({
        id: String(hook.headers["x-github-delivery"]),
        name: "installation",
        payload: hook.body,
        signature,
      }),
    ).resolves.toBeUndefined();

    expect(hook.headers).toMatchObject({
      "x-github-event": "installation",
      "x-github-hook-installation-target-type": "integration",
      "x-github-hook-installation-target-id": String(stack.settings.id),
      "content-type": "application/json",
    });
    expect(hook.headers["x-github-delivery"]).toMatch(/^[0-9a-f-]{36}$/);
    expect(hook.payload).toMatchObject({
      action: "created",
      installation: { id: installation.id, account: { login: "alice" } },
      repositories: [{ full_name: "alice/ctx", private: true }],
      sender: { login: "alice" },
    });
  });

  it("reports repositories added and removed, suspend, unsuspend and uninstall", async () => {
    const control = stack.emulator.control;
    const from = stack.hooks.length;
    const { id } = await control.createInstallation("bob", { repositories: ["ctx"] });
    await control.createRepo("bob", "second", "readme");
    await control.setRepositories(id, { repositories: ["second"] });
    await control.suspend(id);
    await control.unsuspend(id);
    await control.deleteInstallation(id);

    const events = (await received(from)).map(({ headers, payload }) => ({
      event: headers["x-github-event"],
      action: payload.action,
      added: (payload.repositories_added as { name: string }[] | undefined)?.map((repo) => repo.name),
      removed: (payload.repositories_removed as { name: string }[] | undefined)?.map((repo) => repo.name),
    }));
    expect(events).toEqual([
      { event: "installation", action: "created", added: undefined, removed: undefined },
      { event: "installation_repositories", action: "added", added: ["second"], removed: [] },
      { event: "installation_repositories", action: "removed", added: [], removed: ["ctx"] },
      { event: "installation", action: "suspend", added: undefined, removed: undefined },
      { event: "installation", action: "unsuspend", added: undefined, removed: undefined },
      { event: "installation", action: "deleted", added: undefined, removed: undefined },
    ]);
  });

  it("sends push for a commit made on the web, only for repos an installation reaches", async () => {
    const control = stack.emulator.control;
    const from = stack.hooks.length;
    const before = await control.branchHead("alice/ctx");
    const { sha } = await control.commitFromWeb("alice/ctx", {
      message: "Edit on the web",
      author: { name: "Alice Liddell", email: "alice@example.com" },
      files: { "knowledge/web.md": "from the web\n", "knowledge/git.md": null },
    });
    await control.commitFromWeb("alice/notes", {
      message: "Not installed",
      author: { name: "Alice Liddell", email: "alice@example.com" },
      files: { "README.md": "changed\n" },
    });
    const hooks = await received(from);
    expect(hooks).toHaveLength(1);
    expect(hooks[0]?.headers["x-github-event"]).toBe("push");
    expect(hooks[0]?.payload).toMatchObject({
      ref: "refs/heads/main",
      before,
      after: sha,
      created: false,
      deleted: false,
      forced: false,
      repository: { full_name: "alice/ctx" },
      pusher: { name: "alice" },
      commits: [
        {
          id: sha,
          message: "Edit on the web",
          author: { name: "Alice Liddell", email: "alice@example.com" },
          added: ["knowledge/web.md"],
          removed: ["knowledge/git.md"],
        },
      ],
    });
    expect(await control.readFile("alice/ctx", "knowledge/web.md")).toBe("from the web\n");
    expect(await control.readFile("alice/ctx", "knowledge/git.md")).toBeUndefined();
  });

  it("records each delivery and the receiver's status for the control API", async () => {
    const deliveries = await stack.emulator.control.deliveries();
    expect(deliveries.length).toBe(stack.hooks.length);
    expect(deliveries.every((delivery) => delivery.status === "delivered" && delivery.statusCode === 202)).toBe(true);
    expect(deliveries.map((delivery) => delivery.id)).toEqual(
      stack.hooks.map((hook) => hook.headers["x-github-delivery"]),
    );
  });
});
