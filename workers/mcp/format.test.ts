import { describe, expect, it } from "vitest";
import type { BashOutcome } from "../workspace/workspace";
import { bashResultText } from "./format";

const ran: Extract<BashOutcome, { ran: true }> = {
  ran: true,
  repo: "alice/ctx",
  branch: "main",
  exitCode: 0,
  timedOut: false,
  cancelled: false,
  timeoutSeconds: 60,
  stdout: { text: "", truncated: false, totalBytes: 0 },
  stderr: { text: "", truncated: false, totalBytes: 0 },
  commit: null,
  publish: { state: "not-needed" },
  setAside: [],
  unexplainedPushes: [],
  notes: [],
};

describe("bashResultText", () => {
  it("is an error when GitHub confirmed a push that none of our steps made", () => {
    expect(bashResultText(ran).isError).toBe(false);
    const alarmed = bashResultText({
      ...ran,
      unexplainedPushes: [{ ref: "refs/heads/main", sha: "a".repeat(40) }],
      notes: ["WARNING: something in the sandbox, not ctx4-ai's own steps, moved branch main on GitHub to aaaaaaa."],
    });
    expect(alarmed.isError).toBe(true);
    expect(alarmed.text).toContain("WARNING: something in the sandbox");
  });
});
