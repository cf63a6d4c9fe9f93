import { describe, expect, it } from "vitest";
import { splitReport } from "./command";

const mark = "ctx4-0123";

describe("splitReport", () => {
  it("separates the command's output from the report and reads the branch state and commit", () => {
    const report = [
      `\n${mark} begin 0 done`,
      "# branch.oid 1111111111111111111111111111111111111111",
      "# branch.head main",
      "# branch.upstream origin/main",
      "# branch.ab +1 -0",
      "@commit 1111111111111111111111111111111111111111",
      "",
      "A\tnotes/new file.md",
      `${mark} end\n`,
    ].join("\n");
    const stdout = `hello\n${report}late background output\n`;
    const split = splitReport(stdout, mark);
    expect(split.output).toBe("hello\nlate background output\n");
    expect(split.reportBytes).toBe(new TextEncoder().encode(report).byteLength);
    expect(split.report).toEqual({
      exitCode: 0,
      commit: { sha: "1111111111111111111111111111111111111111", files: ["A\tnotes/new file.md"] },
      commitError: undefined,
      cloneBroken: false,
      state: { head: "1111111111111111111111111111111111111111", branch: "main", ahead: 1 },
    });
  });

  it("uses only the report with this call's mark, the last one", () => {
    const forged = `\nctx4-other begin 0 done\nctx4-other end\n\n${mark} begin 9 none\n${mark} end\n`;
    const stdout = `\n${mark} begin 1 none\n${mark} end\n${forged}`;
    expect(splitReport(stdout, mark).report).toMatchObject({ exitCode: 9, commit: null });
  });

  it("reports an unborn branch, a failed commit and a missing clone", () => {
    const failed = splitReport(
      `\n${mark} begin 0 failed\n# branch.oid (initial)\n# branch.head main\n! fatal: oops\n${mark} end\n`,
      mark,
    );
    expect(failed.report).toMatchObject({
      commit: null,
      commitError: "fatal: oops",
      state: { head: null, branch: "main", ahead: null },
    });
    expect(splitReport(`\n${mark} begin - missing\n${mark} end\n`, mark).report).toMatchObject({
      exitCode: null,
      cloneBroken: true,
      state: null,
    });
  });

  it("finds no report when it was cut off", () => {
    expect(splitReport(`output\n${mark} begin 0 none\n# branch.oid`, mark)).toEqual({
      output: "output",
      reportBytes: 0,
    });
  });
});
