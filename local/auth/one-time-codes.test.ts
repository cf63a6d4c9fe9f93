import { createHash } from "node:crypto";
import { describe, expect, it } from "vitest";
import { AuthCodes } from "./auth-codes";
import { EmailTokens, linkToken } from "./email-tokens";
import { parsePkceChallenge } from "./pkce";

const verifier = "v".repeat(43);
const pkce = { challenge: createHash("sha256").update(verifier).digest("base64url"), method: "s256" as const };

function clock() {
  let now = 1_000_000;
  return {
    now: () => now,
    advance(ms: number) {
      now += ms;
    },
  };
}

describe("email tokens", () => {
  it("expire after an hour", () => {
    const time = clock();
    const tokens = new EmailTokens(time.now);
    const token = tokens.issue("user-1", "a@example.com", "magiclink", null);
    time.advance(60 * 60 * 1000 + 1);
    expect(tokens.consumeByOtp("a@example.com", token.otp, ["magiclink"])).toBeUndefined();
  });

  it("are consumed by either the link or the code, and only for their type", () => {
    const tokens = new EmailTokens(Date.now);
    const token = tokens.issue("user-1", "a@example.com", "signup", pkce);
    expect(linkToken(token)).toBe(`pkce_${token.tokenHash}`);
    expect(tokens.consumeByHash(linkToken(token), ["magiclink"])).toBeUndefined();
    expect(tokens.consumeByHash(linkToken(token), ["signup"])).toEqual(token);
    expect(tokens.consumeByOtp("a@example.com", token.otp, ["signup"])).toBeUndefined();
  });
});

describe("auth codes", () => {
  it("expire after five minutes", () => {
    const time = clock();
    const codes = new AuthCodes(time.now);
    const code = codes.issue("user-1", pkce, "magiclink");
    time.advance(5 * 60 * 1000 + 1);
    expect(() => codes.redeem(code, verifier)).toThrow(
      expect.objectContaining({ status: 422, errorCode: "flow_state_expired" }),
    );
  });

  it("check the S256 verifier and work once", () => {
    const codes = new AuthCodes(Date.now);
    const code = codes.issue("user-1", pkce, "magiclink");
    expect(() => codes.redeem(code, `${verifier}x`)).toThrow(
      expect.objectContaining({ errorCode: "bad_code_verifier" }),
    );
    expect(codes.redeem(code, verifier)).toEqual({ userId: "user-1", method: "magiclink" });
    expect(() => codes.redeem(code, verifier)).toThrow(expect.objectContaining({ status: 404 }));
  });

  it("support GoTrue's plain method", () => {
    const codes = new AuthCodes(Date.now);
    const plain = parsePkceChallenge(verifier, "plain");
    expect(plain).toEqual({ challenge: verifier, method: "plain" });
    expect(codes.redeem(codes.issue("user-1", plain ?? pkce, "otp"), verifier).userId).toBe("user-1");
  });
});
