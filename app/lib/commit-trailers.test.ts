import { describe, expect, it } from "vitest";
import { bodyOf, clientOf, parseTrailers, subjectOf } from "./commit-trailers";

describe("commit trailers", () => {
  it("reads the client from the last paragraph's Ctx4-Client trailer", () => {
    expect(clientOf("Add note\n\nSome body.\n\nCtx4-Client: Claude Code\nSigned-off-by: x\n")).toBe("Claude Code");
    expect(clientOf("Add note\n\nctx4-client:   Cursor  ")).toBe("Cursor");
  });

  it("ignores a trailer-like subject, a body paragraph that is not all trailers, and a missing value", () => {
    expect(clientOf("Ctx4-Client: Claude")).toBeNull();
    expect(clientOf("Add\n\nCtx4-Client: Claude\nthis is prose")).toBeNull();
    expect(clientOf("Add\n\nCtx4-Client: Claude\n\nLast paragraph is prose.")).toBeNull();
    expect(clientOf("Add\n\nCtx4-Client:")).toBeNull();
  });

  it("keeps hostile values as bounded plain text", () => {
    const value = clientOf(`Add\n\nCtx4-Client: <img src=x onerror=alert(1)>\u0007${"x".repeat(500)}`) ?? "";
    expect(value.startsWith("<img src=x onerror=alert(1)> x")).toBe(true);
    expect(value).toHaveLength(200);
    expect(parseTrailers("A\n\nKey: one\n  two")).toEqual([{ key: "Key", value: "one two" }]);
    expect(subjectOf("Subject\u001b[31m line\nbody")).toBe("Subject [31m line");
  });

  it("gives the body without subject or trailers", () => {
    expect(bodyOf("Subject\n\nWhy it changed.\n\nCtx4-Client: Claude")).toBe("Why it changed.");
    expect(bodyOf("Subject\n\nCtx4-Client: Claude")).toBe("");
    expect(bodyOf("Subject\nsecond line\n\nprose: not a trailer block\nat all")).toBe(
      "second line\n\nprose: not a trailer block\nat all",
    );
  });
});
