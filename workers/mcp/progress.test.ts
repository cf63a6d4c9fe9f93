import { describe, expect, it } from "vitest";
import { PROGRESS_EVERY_MS, progressEveryMs } from "./progress";

describe("MCP_PROGRESS_SECONDS", () => {
  it("sets the progress interval in whole seconds from 1 to 60, and is 10 s when unset or empty", () => {
    expect(progressEveryMs("1")).toBe(1_000);
    expect(progressEveryMs(" 60 ")).toBe(60_000);
    expect(progressEveryMs(undefined)).toBe(PROGRESS_EVERY_MS);
    expect(progressEveryMs("")).toBe(PROGRESS_EVERY_MS);
  });

  it("refuses anything else with an error that names the setting, instead of quietly using 10 s", () => {
    for (const wrong of ["0", "61", "1.5", "ten", "-3"]) {
      expect(() => progressEveryMs(wrong), wrong).toThrow(/^MCP_PROGRESS_SECONDS must be a whole number of seconds/);
    }
  });
});
