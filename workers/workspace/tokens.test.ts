import { runInDurableObject } from "cloudflare:test";
import { describe, expect, inject, it } from "vitest";
import { holdClock, pastFreshness } from "../../tests/workerd/clock";
import { connectedUser, saveConfig } from "../../tests/workerd/connected-user";
import { bashResultText } from "../mcp/format";
import type { UserWorkspace } from "../user-workspace";

/** The installation token the object holds, read from its storage as the test's own check. */
async function cachedToken(workspace: DurableObjectStub<UserWorkspace>): Promise<string> {
  const stored = await runInDurableObject(workspace, (_instance, state) =>
    state.storage.get<{ token: string }>("github-token"),
  );
  if (!stored) throw new Error("no token cached");
  return stored.token;
}

describe("the installation token", () => {
  it("never reaches the command: not in env, .git/config, the remote, or any file", async () => {
    const { workspace } = await connectedUser();
    await workspace.bash({ command: "echo a > a.md", comment: "Make git push once" });
    const token = await cachedToken(workspace);
    expect(token).toMatch(/^ghs_/);

    const look = await workspace.bash({
      command: [
        "env; cat .git/config; git remote -v; git config --list --show-origin",
        "env | grep -q ghs_ && echo LEAK-ENV",
        "grep -q ghs_ .git/config && echo LEAK-CONFIG",
        "git remote -v | grep -q ghs_ && echo LEAK-REMOTE",
        "grep -rqI ghs_ ~ && echo LEAK-FILES",
        "ls -a ~",
      ].join("\n"),
    });
    expect(look.ran).toBe(true);
    if (!look.ran) return;
    expect(look.stdout.text).toContain("remote.origin.url");
    expect(look.stdout.text).not.toContain("LEAK");
    expect(look.stdout.text).not.toContain(token);
    expect(look.stdout.text).not.toContain("[redacted token]");
  });

  it("reaches only the chosen repo, with contents write", async () => {
    const { workspace, login, control, installation, repo } = await connectedUser();
    await control.createRepo(login, "other", "readme");
    await control.setRepositories(installation.id, { repository_selection: "all" });
    await workspace.bash({ command: "true" });
    const token = await cachedToken(workspace);

    const { githubUrl } = inject("stack");
    const listed = await fetch(`${githubUrl}/installation/repositories`, {
      headers: { authorization: `token ${token}` },
    });
    const body = (await listed.json()) as { repositories: { full_name: string; permissions: unknown }[] };
    expect(body.repositories.map((item) => item.full_name)).toEqual([repo.full_name]);
    const basic = `Basic ${btoa(`x-access-token:${token}`)}`;
    const other = await fetch(`${githubUrl}/${login}/other.git/info/refs?service=git-upload-pack`, {
      headers: { authorization: basic },
    });
    expect(other.status).toBe(404);
    const push = await fetch(`${githubUrl}/${repo.full_name}.git/info/refs?service=git-receive-pack`, {
      headers: { authorization: basic },
    });
    expect(push.status).toBe(200);
  });

  it("stays out of reach of helpers, hooks and URL rewrites a command sets up", async () => {
    const { workspace, repo, control } = await connectedUser();
    const trap = await workspace.bash({
      command: [
        'git config credential.helper "store --file=$HOME/stolen-credentials"',
        'git config --global credential.helper "store --file=$HOME/stolen-global"',
        'git config url.http://127.0.0.1:9/.insteadOf "$(git config remote.origin.url)"',
        "git config core.hooksPath .git/hooks",
        "printf '#!/bin/sh\\nenv > \"$HOME/hook-env\"\\n' > .git/hooks/pre-push && chmod +x .git/hooks/pre-push",
        "printf '#!/bin/sh\\nenv > \"$HOME/ref-env\"\\n' > .git/hooks/reference-transaction && chmod +x .git/hooks/reference-transaction",
        "echo trapped > trap.md",
      ].join("\n"),
      comment: "Set traps",
    });
    expect(trap).toMatchObject({ ran: true, exitCode: 0, publish: { state: "pushed" } });
    expect(await control.readFile(repo.full_name, "trap.md")).toBe("trapped\n");

    const look = await workspace.bash({ command: "grep -rqI ghs_ ~ && echo LEAK; ls ~; git config --list --local" });
    expect(look.ran).toBe(true);
    if (!look.ran) return;
    expect(look.stdout.text).not.toContain("LEAK");
    expect(look.stdout.text).not.toMatch(/stolen|hook-env|ref-env/);
    expect(look.stdout.text).not.toContain("insteadof");
  });

  it("redacts anything token-shaped that reaches the output anyway", async () => {
    const { workspace } = await connectedUser();
    const fake = `ghs_${"A1b2C3d4".repeat(5)}`;
    const result = await workspace.bash({ command: `echo "token: ${fake}"; echo "again ${fake}" >&2` });
    expect(result).toMatchObject({
      ran: true,
      stdout: { text: "token: [redacted token]\n" },
      stderr: { text: "again [redacted token]\n" },
    });
  });

  it("is renewed without the caller noticing when GitHub stops accepting it", async () => {
    const { workspace, repo, control } = await connectedUser();
    await workspace.bash({ command: "true" });
    const before = await workspace.stats();
    await control.revokeToken(await cachedToken(workspace));

    const result = await workspace.bash({ command: "echo after > after.md", comment: "After revocation" });
    expect(result).toMatchObject({ ran: true, exitCode: 0, publish: { state: "pushed" } });
    expect(bashResultText(result).isError).toBe(false);
    expect(await control.readFile(repo.full_name, "after.md")).toBe("after\n");
    expect((await workspace.stats()).tokenMints).toBe(before.tokenMints + 1);
  });

  it("is minted once and Postgres read once across warm calls", async () => {
    const { workspace } = await connectedUser();
    await workspace.bash({ command: "true" });
    const before = await workspace.stats();
    for (let call = 0; call < 20; call += 1) await workspace.bash({ command: "true" });
    const after = await workspace.stats();
    expect(after.tokenMints - before.tokenMints).toBe(0);
    expect(after.postgresQueries - before.postgresQueries).toBe(0);
    expect(before).toMatchObject({ tokenMints: 1, postgresQueries: 1 });
  });
});

describe("a revoked installation", () => {
  it("gives a clear error, keeps the commit, and pushes it once access is back", async () => {
    const { userId, login, workspace, repo, control, installation } = await connectedUser();
    await workspace.bash({ command: "true" });
    await control.deleteInstallation(installation.id);

    const result = await workspace.bash({ command: "echo kept > kept.md", comment: "Written while uninstalled" });
    expect(result).toMatchObject({ ran: true, exitCode: 0, publish: { state: "failed" } });
    if (!result.ran || result.publish.state !== "failed") return;
    expect(result.commit?.files).toEqual(["A\tkept.md"]);
    expect(result.publish.message).toMatch(/no longer installed/);
    const text = bashResultText(result);
    expect(text.isError).toBe(true);
    expect(text.text).toContain("Push FAILED");
    expect(await control.readFile(repo.full_name, "kept.md")).toBeUndefined();

    // The person installs the App again and picks the same repo: the web app resets the object.
    const again = await control.createInstallation(login, {
      repository_selection: "selected",
      repositories: [repo.name],
    });
    await saveConfig(userId, again.id, login, repo);
    expect(await workspace.reset()).toEqual({ sandbox: "kept-unpushed-work" });

    const next = await workspace.bash({ command: "git log -2 --format=%s" });
    expect(next).toMatchObject({ ran: true, exitCode: 0 });
    if (next.ran) expect(next.notes.join(" ")).toContain("Pushed earlier local commits");
    expect(await control.readFile(repo.full_name, "kept.md")).toBe("kept\n");
    expect((await control.commits(repo.full_name))[0]?.message).toBe("Written while uninstalled");
  });

  it("is reported before the command runs once the clone may be stale", async () => {
    holdClock();
    const { workspace, control, installation } = await connectedUser();
    await workspace.bash({ command: "echo a > a.md" });
    await control.suspend(installation.id);
    pastFreshness();
    const result = await workspace.bash({ command: "echo b > b.md" });
    expect(result).toMatchObject({ ran: false });
    if (!result.ran) expect(result.problem).toMatch(/suspended/);
    await control.unsuspend(installation.id);
    const recovered = await workspace.bash({ command: "ls a.md b.md" });
    expect(recovered).toMatchObject({ ran: true, exitCode: 2, stdout: { text: "a.md\n" } });
  });
});
