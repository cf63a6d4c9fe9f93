import { describe, expect, it } from "vitest";
import { connectedUser } from "../../tests/workerd/connected-user";

describe("reset and configChanged", () => {
  it("reset destroys the sandbox, and a command running then gives up instead of committing", async () => {
    const { workspace, repo, control } = await connectedUser();
    await workspace.bash({ command: "echo kept > local-only.txt && git update-index --add local-only.txt" });
    const running = workspace.bash({ command: "sleep 3; echo late > late.md", comment: "Too late" });
    await new Promise((resolve) => setTimeout(resolve, 500));
    expect(await workspace.reset()).toEqual({ sandbox: "destroyed" });

    expect(await running).toMatchObject({ ran: false, problem: expect.stringContaining("was reset") });
    expect(await control.readFile(repo.full_name, "late.md")).toBeUndefined();
    const after = await workspace.bash({ command: "ls" });
    expect(after).toMatchObject({ ran: true, stdout: { text: expect.not.stringContaining("late.md") } });
    if (after.ran) expect(after.notes.join(" ")).toContain("Cloned");
  });

  it("configChanged re-reads the config but keeps the clone", async () => {
    const { workspace } = await connectedUser();
    await workspace.bash({ command: "echo scratch > .git/info/scratch" });
    const before = await workspace.stats();
    await workspace.configChanged();
    const after = await workspace.bash({ command: "cat .git/info/scratch" });
    expect(after).toMatchObject({ ran: true, stdout: { text: "scratch\n" } });
    if (after.ran) expect(after.notes.join(" ")).not.toContain("Cloned");
    const stats = await workspace.stats();
    expect(stats.postgresQueries - before.postgresQueries).toBe(1);
  });
});
