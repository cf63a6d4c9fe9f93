import { describe, expect, it } from "vitest";
import { REDACTED, redactSecrets } from "./redact";

describe("redactSecrets", () => {
  it("hides GitHub token shapes and the given secrets wherever they appear", () => {
    const ghs = `ghs_${"a".repeat(36)}`;
    const pat = `github_pat_${"B".repeat(22)}_${"c".repeat(59)}`;
    expect(redactSecrets(`x-access-token:${ghs}@github.com ${pat}`)).toBe(
      `x-access-token:${REDACTED}@github.com ${REDACTED}`,
    );
    expect(redactSecrets("the secret is hunter2hunter2", ["hunter2hunter2"])).toBe(`the secret is ${REDACTED}`);
  });

  it("leaves ordinary text alone", () => {
    const text = "ghs_ is a prefix; gho_short; sha 0123456789abcdef0123456789abcdef01234567";
    expect(redactSecrets(text, ["", "short"])).toBe(text);
  });
});
