import { describe, expect, it } from "vitest";
import type { PushedRef } from "../sandbox/git-egress";
import { SyncError } from "./sync";
import { confirmPushes } from "./workspace";

const A = "a".repeat(40);
const B = "b".repeat(40);
const ZERO = "0".repeat(40);
const landed = (ref: string, sha: string, ok = true): PushedRef => ({ ref, old: ZERO, new: sha, ok });

describe("confirmPushes: what the result says landed is what GitHub said it updated", () => {
  it("keeps a push GitHub confirmed", () => {
    const outcome = { fetched: true, pushed: A };
    expect(confirmPushes(outcome, [landed("refs/heads/main", A)], "main")).toEqual(outcome);
  });

  it("turns a push the sandbox claims but GitHub did not confirm into a failure, keeping the commit", () => {
    const committed = { sha: A, files: ["A\tnote.md"] };
    for (const record of [[], [landed("refs/heads/main", B)], [landed("refs/heads/main", A, false)]]) {
      const attempt = () => confirmPushes({ fetched: false, committed, pushed: A }, record, "main");
      expect(attempt).toThrow(SyncError);
      expect(attempt).toThrow(/did not confirm that main now is/);
      try {
        attempt();
      } catch (error) {
        expect((error as SyncError).partial).toEqual({ fetched: false, committed, pushed: undefined });
      }
    }
    expect(() =>
      confirmPushes(
        { fetched: true, sideBranches: [{ name: "ctx4-ai/conflict-1", sha: A, why: "conflict", conflicts: [] }] },
        [landed("refs/heads/main", A)],
        "main",
      ),
    ).toThrow(/did not confirm branch ctx4-ai\/conflict-1/);
  });

  it("names every update GitHub confirmed that the sandbox did not report, the branch included", () => {
    const outcome = confirmPushes(
      { fetched: true, pushed: A },
      [
        landed("refs/heads/main", B),
        landed("refs/heads/main", A),
        landed("refs/heads/ctx4-ai/extra", B),
        landed("refs/heads/ctx4-ai/refused", B, false),
      ],
      "main",
    );
    expect(outcome.unexplainedPushes).toEqual([
      { ref: "refs/heads/main", sha: B },
      { ref: "refs/heads/ctx4-ai/extra", sha: B },
    ]);
    // Nothing reported at all, while the branch moved: that is named too.
    expect(confirmPushes({ fetched: true }, [landed("refs/heads/main", B)], "main").unexplainedPushes).toEqual([
      { ref: "refs/heads/main", sha: B },
    ]);
  });
});
