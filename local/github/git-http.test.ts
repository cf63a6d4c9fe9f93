import { randomBytes } from "node:crypto";
import { readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { basic, cloneUrl, git, installationToken, startTestStack, type TestStack, tempDir } from "./test-support";

let stack: TestStack;
let ids: { alice: number; bob: number };
const work = tempDir("ctx4-github-git-");
beforeAll(async () => {
  stack = await startTestStack();
  ids = {
    alice: (await stack.emulator.control.createInstallation("alice", { repositories: ["ctx", "empty"] })).id,
    bob: (await stack.emulator.control.createInstallation("bob", { repositories: ["ctx"] })).id,
  };
});
afterAll(async () => {
  await stack.stop();
  rmSync(work, { recursive: true, force: true });
});

/** The status git's first request gets: ref discovery for fetch or push. */
async function discovery(fullName: string, token: string | undefined, service = "git-upload-pack") {
  const response = await fetch(`${stack.emulator.url}/${fullName}.git/info/refs?service=${service}`, {
    headers: token ? { authorization: basic(token) } : {},
  });
  return { status: response.status, text: await response.text(), auth: response.headers.get("www-authenticate") };
}

async function commitFile(dir: string, path: string, content: string, message: string) {
  writeFileSync(join(dir, path), content);
  expect((await git(["add", path], dir)).code).toBe(0);
  expect((await git(["commit", "-q", "-m", message], dir)).code).toBe(0);
}

describe("git smart HTTP", () => {
  it("clones a ctx template repo and pushes a commit that the control API and webhooks see", async () => {
    const token = await installationToken(stack.app, ids.alice);
    const dir = join(work, "alice-ctx");
    const clone = await git(["clone", "-q", cloneUrl(stack.emulator.url, "alice/ctx", token), dir]);
    expect(clone.stderr).toBe("");
    expect(clone.code).toBe(0);
    expect(readFileSync(join(dir, "resources/instructions.md"), "utf8")).toContain("# Instructions");
    expect(readFileSync(join(dir, "skills/weekly-review/SKILL.md"), "utf8")).toMatch(/^---\nname: weekly-review\n/);

    await commitFile(dir, "knowledge/new.md", "# New\n", "Add a note");
    const push = await git(["push", "-q", "origin", "HEAD:main"], dir);
    expect(push.code, push.stderr).toBe(0);
    const head = (await git(["rev-parse", "HEAD"], dir)).stdout.trim();
    expect(await stack.emulator.control.branchHead("alice/ctx")).toBe(head);
    expect(await stack.emulator.control.readFile("alice/ctx", "knowledge/new.md")).toBe("# New\n");

    await stack.emulator.idle();
    const push_ = stack.hooks.map((hook) => JSON.parse(hook.body)).find((body) => body.after === head);
    expect(push_).toMatchObject({
      ref: "refs/heads/main",
      repository: { full_name: "alice/ctx" },
      installation: { id: ids.alice },
      sender: { login: "ctx4-ai[bot]", type: "Bot" },
      head_commit: { id: head, message: "Add a note", added: ["knowledge/new.md"] },
    });
  });

  it("clones the empty repo and pushes its first commit", async () => {
    const token = await installationToken(stack.app, ids.alice);
    const dir = join(work, "alice-empty");
    const clone = await git(["clone", "-q", cloneUrl(stack.emulator.url, "alice/empty", token), dir]);
    expect(clone.code).toBe(0);
    expect(clone.stderr).toContain("empty repository");
    expect(await stack.emulator.control.branchHead("alice/empty")).toBeUndefined();
    await git(["checkout", "-q", "-b", "main"], dir);
    await commitFile(dir, "README.md", "# first\n", "First commit");
    expect((await git(["push", "-q", "origin", "main"], dir)).code).toBe(0);
    expect(await stack.emulator.control.readFile("alice/empty", "README.md")).toBe("# first\n");
  });

  it("rejects a non-fast-forward push after someone commits on the web", async () => {
    const token = await installationToken(stack.app, ids.bob);
    const dir = join(work, "bob-ctx");
    expect((await git(["clone", "-q", cloneUrl(stack.emulator.url, "bob/ctx", token), dir])).code).toBe(0);
    const web = await stack.emulator.control.commitFromWeb("bob/ctx", {
      message: "Edit on github.com",
      author: { name: "Bob Builder", email: "bob@example.com" },
      files: { "resources/context.md": "# Context\n\nEdited on the web.\n" },
    });
    await commitFile(dir, "resources/context.md", "# Context\n\nEdited in the sandbox.\n", "Sandbox edit");
    const push = await git(["push", "origin", "HEAD:main"], dir);
    expect(push.code).not.toBe(0);
    expect(push.stderr).toMatch(/\[rejected\].*\(fetch first\)/);
    expect(await stack.emulator.control.branchHead("bob/ctx")).toBe(web.sha);

    const [latest] = await stack.emulator.control.commits("bob/ctx");
    expect(latest).toMatchObject({ sha: web.sha, author: { name: "Bob Builder", email: "bob@example.com" } });
    await stack.emulator.idle();
    const pushed = stack.hooks.map((hook) => JSON.parse(hook.body)).find((body) => body.after === web.sha);
    expect(pushed).toMatchObject({ sender: { login: "bob" }, head_commit: { modified: ["resources/context.md"] } });
  });

  it("declines a push that brings a file over 100 MiB with GH001, even one deleted again, and moves no ref", async () => {
    // 100 MiB goes through git four times (add, pack, the emulator's unpack, its hook's scan):
    // 18-28 s on a 2-core machine whose processes start slowly, too close to the default 30 s.
    const token = await installationToken(stack.app, ids.alice);
    const dir = join(work, "alice-large");
    expect((await git(["clone", "-q", cloneUrl(stack.emulator.url, "alice/ctx", token), dir])).code).toBe(0);
    const head = await stack.emulator.control.branchHead("alice/ctx");
    // Random bytes: git cannot compress them below the limit, so it is told not to try.
    expect((await git(["config", "core.compression", "0"], dir)).code).toBe(0);
    writeFileSync(join(dir, "big file.bin"), randomBytes(100 * 1024 * 1024 + 1));
    expect((await git(["add", "big file.bin"], dir)).code).toBe(0);
    expect((await git(["commit", "-q", "-m", "Big"], dir)).code).toBe(0);
    expect((await git(["rm", "-q", "big file.bin"], dir)).code).toBe(0);
    expect((await git(["commit", "-q", "-m", "Gone again"], dir)).code).toBe(0);

    const push = await git(["push", "origin", "HEAD:main"], dir);
    expect(push.code).not.toBe(0);
    expect(push.stderr).toContain("File big file.bin is 100.00 MB; this exceeds GitHub's file size limit of 100.00 MB");
    expect(push.stderr).toContain("GH001: Large files detected");
    expect(push.stderr).toMatch(/\[remote rejected\] HEAD -> main \(pre-receive hook declined\)/);
    expect(await stack.emulator.control.branchHead("alice/ctx")).toBe(head);
  }, 90_000);

  it("serves a partial clone and the blobs it left out, as GitHub does", async () => {
    const token = await installationToken(stack.app, ids.alice);
    const dir = join(work, "alice-partial");
    const url = cloneUrl(stack.emulator.url, "alice/ctx", token);
    const clone = await git(["clone", "-q", "--filter=blob:none", "--no-checkout", url, dir]);
    expect(clone.stderr).not.toContain("filtering not recognized");
    expect(clone.code).toBe(0);
    expect((await git(["config", "remote.origin.promisor"], dir)).stdout.trim()).toBe("true");
    const missing = await git(["rev-list", "--objects", "--missing=print", "HEAD"], dir);
    expect(missing.stdout).toMatch(/^\?[0-9a-f]{40}$/m);

    const checkout = await git(["checkout", "-q", "main"], dir);
    expect(checkout.code, checkout.stderr).toBe(0);
    expect(readFileSync(join(dir, "resources/context.md"), "utf8")).toContain("# Context");
  });

  it("refuses a missing, unknown or revoked token with 401 and GitHub's Basic challenge", async () => {
    const token = await installationToken(stack.app, ids.bob, { repositoryNames: ["ctx"] });
    expect((await discovery("bob/ctx", token)).status).toBe(200);
    await stack.emulator.control.revokeToken(token);
    for (const candidate of [undefined, token, `ghs_${"A".repeat(36)}`]) {
      const refused = await discovery("bob/ctx", candidate);
      expect(refused.status).toBe(401);
      expect(refused.auth).toBe('Basic realm="GitHub"');
    }
    const clone = await git(["clone", "-q", cloneUrl(stack.emulator.url, "bob/ctx", token), join(work, "revoked")]);
    expect(clone.code).not.toBe(0);
    expect(clone.stderr).toContain("Invalid username or token");
    expect(clone.stderr).toContain("Authentication failed");
  });

  it("answers 404 Repository not found for a repo another installation owns, as GitHub hides private repos", async () => {
    const aliceToken = await installationToken(stack.app, ids.alice);
    expect((await discovery("bob/ctx", aliceToken)).status).toBe(404);
    expect((await discovery("alice/notes", aliceToken)).status).toBe(404);
    expect((await discovery("alice/missing", aliceToken)).status).toBe(404);
    const clone = await git(["clone", "-q", cloneUrl(stack.emulator.url, "bob/ctx", aliceToken), join(work, "cross")]);
    expect(clone.code).not.toBe(0);
    expect(clone.stderr).toContain("Repository not found.");
  });

  it("refuses a push with a read-only token with 403, but lets it fetch", async () => {
    const token = await installationToken(stack.app, ids.alice, {
      repositoryNames: ["ctx"],
      permissions: { contents: "read" },
    });
    expect((await discovery("alice/ctx", token)).status).toBe(200);
    const refused = await discovery("alice/ctx", token, "git-receive-pack");
    expect(refused.status).toBe(403);
    expect(refused.text).toBe("Permission to alice/ctx.git denied to ctx4-ai[bot].\n");

    const dir = join(work, "read-only");
    expect((await git(["clone", "-q", cloneUrl(stack.emulator.url, "alice/ctx", token), dir])).code).toBe(0);
    await commitFile(dir, "knowledge/denied.md", "no\n", "Should not land");
    const push = await git(["push", "-q", "origin", "HEAD:main"], dir);
    expect(push.code).not.toBe(0);
    expect(push.stderr).toContain("403");
  });

  it("forgets a deleted repository, so a new one of the same name starts afresh", async () => {
    const control = stack.emulator.control;
    await control.createAccount({ login: "carol", type: "User" });
    const first = await control.createRepo("carol", "ctx", "ctx");
    const { id } = await control.createInstallation("carol", { repository_selection: "all" });
    const before = await control.branchHead("carol/ctx");

    await control.deleteRepo("carol/ctx");
    expect(await control.branchHead("carol/ctx")).toBeUndefined();
    const token = await installationToken(stack.app, id);
    expect((await discovery("carol/ctx", token)).status).toBe(404);
    await expect(control.deleteRepo("alice/ctx")).rejects.toThrow(/422/);

    const second = await control.createRepo("carol", "ctx", "readme");
    expect(second.id).not.toBe(first.id);
    const after = await control.branchHead("carol/ctx");
    expect(after).toBeDefined();
    expect(after).not.toBe(before);
    expect(await control.readFile("carol/ctx", "README.md")).toBe("# ctx\n");
  });

  it("stops serving an installation's repos once it is suspended or deleted", async () => {
    const control = stack.emulator.control;
    const { id } = await control.createInstallation("acme", { repositories: ["ctx"] });
    const token = await installationToken(stack.app, id);
    expect((await discovery("acme/ctx", token)).status).toBe(200);
    await control.suspend(id);
    expect((await discovery("acme/ctx", token)).status).toBe(403);
    await control.unsuspend(id);
    await control.deleteInstallation(id);
    expect((await discovery("acme/ctx", token)).status).toBe(401);
  });
});

describe("git smart HTTP with short-lived tokens", () => {
  let short: TestStack;
  beforeAll(async () => {
    // Long enough for the clone below on a slow, busy machine: with 1 s, a CI run's clone outlived
    // its token (git exited 128).
    short = await startTestStack({ tokenTtlSeconds: 5 });
  });
  afterAll(() => short.stop());

  it("refuses an expired token for clone and for push", async () => {
    const { id } = await short.emulator.control.createInstallation("alice", { repositories: ["notes"] });
    const { data } = await short.app.octokit.request("POST /app/installations/{installation_id}/access_tokens", {
      installation_id: id,
    });
    const dir = join(work, "short-notes");
    expect((await git(["clone", "-q", cloneUrl(short.emulator.url, "alice/notes", data.token), dir])).code).toBe(0);
    await commitFile(dir, "README.md", "# later\n", "Too late");
    // expires_at is given to the second, as GitHub gives it; the token lasts until within a
    // second after it.
    await new Promise((resolve) => setTimeout(resolve, Date.parse(data.expires_at) + 1_100 - Date.now()));

    const push = await git(["push", "-q", "origin", "HEAD:main"], dir);
    expect(push.code).not.toBe(0);
    expect(push.stderr).toContain("Authentication failed");
    const clone = await git(["clone", "-q", cloneUrl(short.emulator.url, "alice/notes", data.token), `${dir}-again`]);
    expect(clone.code).not.toBe(0);
    expect(clone.stderr).toContain("Invalid username or token");
    expect(await short.emulator.control.readFile("alice/notes", "README.md")).toBe("# notes\n");

    const api = await fetch(`${short.emulator.url}/installation/repositories`, {
      headers: { authorization: `token ${data.token}` },
    });
    expect(api.status).toBe(401);
  });
});
