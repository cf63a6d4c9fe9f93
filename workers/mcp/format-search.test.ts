import { describe, expect, it } from "vitest";
import type { SearchResult } from "../workspace/search";
import { instructionsText, searchText } from "./format";

const where = { ready: true as const, repo: "alice/ctx", branch: "main", notes: [] };

describe("searchText", () => {
  it("shows a long line around its match, quotes odd names, and says when the time limit hit", () => {
    const long = `${"x".repeat(9000)}needle${"y".repeat(1000)}`;
    const value: SearchResult = {
      files: [
        { path: "notes/min.js", matches: 1, lines: [{ line: 1, text: long, match: true, column: 9001 }] },
        {
          path: "notes/new\nline.md",
          matches: 1,
          lines: [
            { line: 4, text: "before\u001b[2J", match: false },
            { line: 5, text: "a needle", match: true, column: 3 },
          ],
        },
      ],
      more: [{ path: "late.md", matches: 3 }],
      totalMatches: 5,
      totalFiles: 3,
      shownMatches: 2,
      timedOut: true,
      countsCut: false,
    };
    const { text, isError } = searchText({ query: "needle" }, { ...where, value });
    expect(isError).toBe(false);
    const shownLong = text.split("\n").find((line) => line.startsWith("notes/min.js:1: "));
    expect(shownLong).toMatch(/^notes\/min\.js:1: …x{50}needley+…$/);
    expect(Array.from(shownLong ?? "").length).toBeLessThan(340);
    expect(text).toContain('"notes/new\\nline.md"-4- before[2J\n"notes/new\\nline.md":5: a needle');
    expect(text).toContain("3 more result(s): narrow the query or the path. Also in: late.md (3).");
    expect(text).toContain("The search stopped at its time limit (10 s): there may be more matches.");
  });
});

describe("instructionsText", () => {
  it("lists the first 20 paths it skipped and counts the rest", () => {
    const skipped = Array.from({ length: 25 }, (_, index) => `resources/link${index}.md`);
    const outcome = { ...where, instructions: null, context: null, resources: [], skills: [], skipped };
    const { text } = instructionsText(outcome, { canWrite: true });
    expect(text).toContain("- resources/link19.md\n- … and 5 more");
    expect(text).not.toContain("resources/link20.md");
  });
});
