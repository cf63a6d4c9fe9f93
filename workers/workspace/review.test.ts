import { describe, expect, it } from "vitest";
import { privateKeyPem, write } from "../../tests/test-secrets";
import { connectedUser, execInSandbox } from "../../tests/workerd/connected-user";
import { proposalOf } from "./proposal";

const person = { name: "Web Person", email: "web@example.com" };
const REVIEWED = "client-reviewed";
const TRUSTED = "client-trusted";

/** A user whose person reviews client `REVIEWED`'s writes (and not `TRUSTED`'s). */
async function reviewingUser() {
  const user = await connectedUser();
  await user.workspace.setReviewed(REVIEWED, true);
  const { branch } = await proposalOf(REVIEWED);
  return { ...user, proposal: branch };
}

/** What `path` reads as for `clientId` through ctx_read's path (lines joined), or its kind. */
async function readAs(workspace: Awaited<ReturnType<typeof reviewingUser>>["workspace"], path: string, id: string) {
  const outcome = await workspace.read({ path }, "tool", id);
  if (!outcome.ready) throw new Error(outcome.problem);
  return outcome.value.kind === "text" ? outcome.value.lines.join("\n") : outcome.value.kind;
}

// Each reviewed write runs a few more steps than a trusted one (the proposal's clone, the check of the default one).
describe("review mode: a reviewed client's writes wait for the person", { timeout: 120_000 }, () => {
  it("goes to the client's proposal branch, never the default branch, and says it awaits approval", async () => {
    const { workspace, repo, control, proposal } = await reviewingUser();
    const before = await control.branchHead(repo.full_name);
    const written = await workspace.bash(
      { command: "echo 'Prefers tea' > prefs.md", comment: "Note a preference" },
      undefined,
      "Claude",
      REVIEWED,
    );
    expect(written).toMatchObject({ ran: true, publish: { state: "pushed" }, proposal: { branch: proposal } });
    expect(await control.branchHead(repo.full_name)).toBe(before);
    expect(await control.readFile(repo.full_name, "prefs.md")).toBeUndefined();
    expect(await control.readFile(repo.full_name, "prefs.md", proposal)).toBe("Prefers tea\n");
    const [top] = await control.commits(repo.full_name, proposal);
    expect(top?.message).toBe("Note a preference\n\nCtx4-Client: Claude");

    // It reads its own pending change; a client the person does not review reads the memory.
    expect(await readAs(workspace, "prefs.md", REVIEWED)).toBe("Prefers tea");
    expect(await readAs(workspace, "prefs.md", TRUSTED)).toBe("missing");
    const ls = await workspace.bash({ command: "cat prefs.md" }, undefined, "Cursor", TRUSTED);
    expect(ls).toMatchObject({ ran: true, exitCode: 1 });
  });

  it("keeps the proposal on top of the default branch as it moves, each write adding to it", async () => {
    const { workspace, repo, control, proposal } = await reviewingUser();
    await workspace.bash({ command: "echo one > one.md" }, undefined, "Claude", REVIEWED);
    // Meanwhile a trusted client and the person on GitHub change the memory.
    const trusted = await workspace.bash({ command: "echo main > main.md" }, undefined, "Cursor", TRUSTED);
    expect(trusted).toMatchObject({ ran: true, publish: { state: "pushed" } });
    await control.commitFromWeb(repo.full_name, { message: "Web edit", author: person, files: { "web.md": "web\n" } });
    const second = await workspace.bash(
      { command: "cat main.md web.md one.md && echo two > two.md" },
      undefined,
      "Claude",
      REVIEWED,
    );
    expect(second).toMatchObject({ ran: true, exitCode: 0, stdout: { text: "main\nweb\none\n" } });
    const head = await control.branchHead(repo.full_name);
    const commits = await control.commits(repo.full_name, proposal);
    // The proposal's own two commits, on top of the default branch's head.
    expect(commits.slice(0, 3).map((commit) => commit.sha === head)).toEqual([false, false, true]);
    expect(await control.readFile(repo.full_name, "one.md")).toBeUndefined();
  });

  it("lands as one commit when the person approves, and the client then reads the memory itself", async () => {
    const { workspace, repo, control, proposal } = await reviewingUser();
    await workspace.bash({ command: "echo 'Prefers tea' > prefs.md" }, undefined, "Claude", REVIEWED);
    await workspace.bash({ command: "echo 'Lives in Lyon' >> prefs.md" }, undefined, "Claude", REVIEWED);
    const approved = await workspace.approve(proposal);
    expect(approved).toMatchObject({ state: "landed", files: ["A\tprefs.md"] });
    expect(await control.readFile(repo.full_name, "prefs.md")).toBe("Prefers tea\nLives in Lyon\n");
    const [top] = await control.commits(repo.full_name);
    expect(top?.message).toMatch(new RegExp(`^Approve ${proposal}\n\nA proposal of Claude, approved onto main`));
    expect(top?.message).toMatch(/\nCtx4-Client: web$/);
    // The proposal is closed: its branch is gone, and the client's next write starts a new one.
    expect(await control.branchHead(repo.full_name, proposal)).toBeUndefined();
    expect(await readAs(workspace, "prefs.md", REVIEWED)).toBe("Prefers tea\nLives in Lyon");
    const next = await workspace.bash({ command: "echo more > more.md" }, undefined, "Claude", REVIEWED);
    expect(next).toMatchObject({ ran: true, publish: { state: "pushed" } });
    expect(await control.commits(repo.full_name, proposal)).toHaveLength(
      (await control.commits(repo.full_name)).length + 1,
    );
  });

  it("never lands when the person rejects it, and the client starts afresh from the memory", async () => {
    const { workspace, repo, control, proposal } = await reviewingUser();
    const head = await control.branchHead(repo.full_name);
    await workspace.bash({ command: "echo wrong > wrong.md" }, undefined, "Claude", REVIEWED);
    expect(await workspace.reject(proposal)).toEqual({ state: "rejected" });
    expect(await control.branchHead(repo.full_name, proposal)).toBeUndefined();
    expect(await control.branchHead(repo.full_name)).toBe(head);
    expect(await readAs(workspace, "wrong.md", REVIEWED)).toBe("missing");
    const next = await workspace.bash({ command: "ls wrong.md; echo right > right.md" }, undefined, "Claude", REVIEWED);
    expect(next).toMatchObject({ ran: true, publish: { state: "pushed" } });
    expect(await control.readFile(repo.full_name, "wrong.md", proposal)).toBeUndefined();
    expect(await control.readFile(repo.full_name, "right.md", proposal)).toBe("right\n");
    expect(await control.branchHead(repo.full_name)).toBe(head);
  });

  it("changes nothing when approving conflicts with the memory, and keeps the proposal", async () => {
    const { workspace, repo, control, proposal } = await reviewingUser();
    await workspace.bash({ command: "echo mine > notes.md" }, undefined, "Claude", REVIEWED);
    await control.commitFromWeb(repo.full_name, { message: "Web", author: person, files: { "notes.md": "theirs\n" } });
    const head = await control.branchHead(repo.full_name);
    expect(await workspace.approve(proposal)).toEqual({ state: "conflict", paths: ["notes.md"] });
    expect(await control.branchHead(repo.full_name)).toBe(head);
    expect(await control.readFile(repo.full_name, "notes.md", proposal)).toBe("mine\n");
  });

  it("refuses a proposal holding a secret, as any write", async () => {
    const { workspace, repo, control, proposal } = await reviewingUser();
    const written = await workspace.bash(
      { command: write("keys/deploy.md", await privateKeyPem()) },
      undefined,
      "Claude",
      REVIEWED,
    );
    expect(written).toMatchObject({ ran: true, publish: { state: "refused" } });
    expect(await control.branchHead(repo.full_name, proposal)).toBeUndefined();
  });

  it("for any other client id, a change of `/me` applies at the next call", async () => {
    const { workspace, repo, control } = await reviewingUser();
    await workspace.setReviewed(REVIEWED, false);
    const written = await workspace.bash({ command: "echo direct > direct.md" }, undefined, "Claude", REVIEWED);
    expect(written).toMatchObject({ ran: true, publish: { state: "pushed" } });
    expect(written).not.toHaveProperty("proposal");
    expect(await control.readFile(repo.full_name, "direct.md")).toBe("direct\n");
  });
});

describe("review mode against a hostile command", { timeout: 120_000 }, () => {
  it("sets aside what a reviewed client's command changed in the default branch's clone", async () => {
    const { userId, workspace, repo, control } = await reviewingUser();
    // The memory's own clone exists: a trusted client used it.
    await workspace.bash({ command: "echo ok > ok.md" }, undefined, "Cursor", TRUSTED);
    const head = await control.branchHead(repo.full_name);
    const sneaky = await workspace.bash(
      { command: "echo injected > ../../../repo/injected.md && git -C ../../../repo add -A && echo done" },
      undefined,
      "Claude",
      REVIEWED,
    );
    expect(sneaky).toMatchObject({ ran: true, outsideMovedTo: expect.stringMatching(/^lost\+found\/repo-/) });
    // A trusted client's next write pushes its own change, and nothing of the injected one.
    const next = await workspace.bash({ command: "echo next > next.md" }, undefined, "Cursor", TRUSTED);
    expect(next).toMatchObject({ ran: true, publish: { state: "pushed" } });
    expect(await control.readFile(repo.full_name, "injected.md")).toBeUndefined();
    const commits = await control.commits(repo.full_name);
    expect(commits.map((commit) => commit.sha)).toContain(head);
    expect(await execInSandbox(userId, "cat lost+found/repo-*/injected.md")).toBe("injected\n");
  });

  it("never lets a reviewed client's folder lead its sync into the default branch's clone", async () => {
    const { workspace, repo, control, proposal } = await reviewingUser();
    await workspace.bash({ command: "echo ok > ok.md" }, undefined, "Cursor", TRUSTED);
    await workspace.bash({ command: "echo mine > mine.md" }, undefined, "Claude", REVIEWED);
    const { key } = await proposalOf(REVIEWED);
    const head = await control.branchHead(repo.full_name);
    // Its own folder replaced by a link to the sandbox's top, where the default clone is.
    await workspace.bash(
      { command: `cd ../../.. && rm -rf proposals/${key} && ln -s .. proposals/${key} && echo x > repo/x.md` },
      undefined,
      "Claude",
      REVIEWED,
    );
    const after = await workspace.bash({ command: "echo again > again.md" }, undefined, "Claude", REVIEWED);
    expect(after).toMatchObject({ ran: true, publish: { state: "pushed" } });
    const trusted = await workspace.bash({ command: "echo t > t.md" }, undefined, "Cursor", TRUSTED);
    expect(trusted).toMatchObject({ ran: true, publish: { state: "pushed" } });
    expect(await control.readFile(repo.full_name, "x.md")).toBeUndefined();
    expect(await control.readFile(repo.full_name, "again.md")).toBeUndefined();
    expect(await control.readFile(repo.full_name, "again.md", proposal)).toBe("again\n");
    expect((await control.commits(repo.full_name)).map((commit) => commit.sha)).toContain(head);
  });
});
