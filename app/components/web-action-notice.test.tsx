import { renderToStaticMarkup } from "react-dom/server";
import { describe, expect, it } from "vitest";
import { ActivityFeedback } from "./web-action-notice";

const side = "ctx4-ai/conflict-20260101-000000-abcdef1";
const text = (element: React.ReactElement) => renderToStaticMarkup(element).replace(/<[^>]+>/g, " ");

describe("what the Activity pages say after the person's revert or bring-in", () => {
  it("says a revert landed, naming both commits", () => {
    const said = text(
      <ActivityFeedback feedback={{ kind: "reverted", reverted: "a".repeat(40), sha: "b".repeat(40) }} />,
    );
    expect(said).toContain("Commit aaaaaaa is undone by a new commit, bbbbbbb, on GitHub.");
  });

  it("says a bring-in landed, and that the side branch stays on GitHub", () => {
    const said = text(<ActivityFeedback feedback={{ kind: "brought-in", branch: side, sha: "c".repeat(40) }} />);
    expect(said).toContain(`Brought in ${side}`);
    expect(said).toContain("The side branch stays on GitHub");
  });

  it("says why a bring-in did not land and what to do", () => {
    const conflict = text(
      <ActivityFeedback
        feedback={{ kind: "bring-in-stopped", branch: side, outcome: { state: "conflict", paths: ["a.md", "b.md"] } }}
      />,
    );
    expect(conflict).toContain("Not brought in: later changes touch the same lines");
    expect(conflict).toContain("These files were changed on the default branch too: a.md, b.md.");
    const aside = text(
      <ActivityFeedback
        feedback={{ kind: "bring-in-stopped", branch: side, outcome: { state: "set-aside", branch: `${side}0` } }}
      />,
    );
    expect(aside).toContain(`Nothing was lost: the change is on the side branch ${side}0`);
  });

  it("shows nothing for feedback of other pages", () => {
    expect(renderToStaticMarkup(<ActivityFeedback feedback={{ kind: "repo-chosen" }} />)).toBe("");
    expect(renderToStaticMarkup(<ActivityFeedback feedback={null} />)).toBe("");
  });
});

describe("what the Activity pages say after the person approves or rejects a proposal", () => {
  it("names the commit an approval landed as, or says its work was there already, never a rejection", () => {
    const landed = text(<ActivityFeedback feedback={{ kind: "approved", client: "Cursor", sha: "d".repeat(40) }} />);
    expect(landed).toContain("Approved Cursor&#x27;s proposal");
    expect(landed).toContain("It is on the default branch as commit ddddddd");
    const already = text(<ActivityFeedback feedback={{ kind: "approved", client: "Cursor", sha: null }} />);
    expect(already).toContain("Approved Cursor&#x27;s proposal");
    expect(already).toContain("Everything in it was on the default branch already");
    expect(already).not.toContain("Rejected");
    const rejected = text(<ActivityFeedback feedback={{ kind: "rejected", client: null }} />);
    expect(rejected).toContain("nothing of it reached your memory");
  });
});
