import { describe, expect, it } from "vitest";
import { connectedUser } from "../../tests/workerd/connected-user";

/** Prints when the command started and ended, in nanoseconds. */
const TIMED_SLEEP = "date +%s%N; sleep 1; date +%s%N";

function interval(result: Awaited<ReturnType<Awaited<ReturnType<typeof connectedUser>>["workspace"]["bash"]>>) {
  if (!result.ran) throw new Error(result.problem);
  const [start, end] = result.stdout.text.trim().split("\n").map(BigInt);
  if (start === undefined || end === undefined) throw new Error(`no times in ${result.stdout.text}`);
  return { start, end };
}

describe("users and their calls", () => {
  it("runs two users' calls in parallel", async () => {
    const alice = await connectedUser();
    const bob = await connectedUser();
    await alice.workspace.bash({ command: "true" });
    await bob.workspace.bash({ command: "true" });
    const [a, b] = (
      await Promise.all([alice.workspace.bash({ command: TIMED_SLEEP }), bob.workspace.bash({ command: TIMED_SLEEP })])
    ).map(interval);
    if (!a || !b) throw new Error("missing result");
    expect(a.start < b.end && b.start < a.end).toBe(true);
  });

  it("runs one user's calls one after the other", async () => {
    const { workspace } = await connectedUser();
    await workspace.bash({ command: "true" });
    const [first, second] = (
      await Promise.all([workspace.bash({ command: TIMED_SLEEP }), workspace.bash({ command: TIMED_SLEEP })])
    ).map(interval);
    if (!first || !second) throw new Error("missing result");
    expect(first.end <= second.start || second.end <= first.start).toBe(true);
  });

  it("gives each user their own repo and sandbox: neither finds the other's files", async () => {
    const alice = await connectedUser();
    const bob = await connectedUser();
    const marker = `secret-${crypto.randomUUID()}`;
    const write = await alice.workspace.bash({ command: `echo ${marker} > diary.md`, comment: "Private" });
    expect(write).toMatchObject({ ran: true, publish: { state: "pushed" } });

    const look = await bob.workspace.bash({ command: `ls; grep -rl ${marker} ~ || echo not-found; echo ~` });
    expect(look.ran).toBe(true);
    if (!look.ran) return;
    expect(look.stdout.text).not.toContain("diary.md");
    expect(look.stdout.text).toContain("not-found");
    expect(await bob.control.readFile(bob.repo.full_name, "diary.md")).toBeUndefined();

    const home = await alice.workspace.bash({ command: "echo ~; cat diary.md" });
    if (!home.ran) throw new Error(home.problem);
    const [aliceHome] = home.stdout.text.split("\n");
    expect(look.stdout.text).not.toContain(`${aliceHome}\n`);
    expect(home.stdout.text).toContain(marker);
  });
});
