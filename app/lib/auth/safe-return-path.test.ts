import { describe, expect, it } from "vitest";
import { safeReturnPath } from "./safe-return-path";

describe("safeReturnPath", () => {
  it("keeps paths on this site, with their query and hash", () => {
    expect(safeReturnPath("/me")).toBe("/me");
    expect(safeReturnPath("/authorize?client_id=a&scope=ctx%3Aread#x")).toBe(
      "/authorize?client_id=a&scope=ctx%3Aread#x",
    );
  });

  it.each([
    "//evil.example",
    "//evil.example/me",
    "/\\evil.example",
    "\\\\evil.example",
    "https://evil.example",
    "javascript:alert(1)",
    "me",
    "",
    "/%5Cevil.example".replace("%5C", "\\"),
    "/\t/evil.example",
  ])("refuses %j", (value) => {
    expect(safeReturnPath(value)).toBe("/me");
  });

  it("falls back when there is nothing", () => {
    expect(safeReturnPath(null, "/onboarding")).toBe("/onboarding");
  });
});
