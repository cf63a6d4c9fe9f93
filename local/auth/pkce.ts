import { createHash, timingSafeEqual } from "node:crypto";
import { badRequest } from "./errors";

export type PkceChallenge = { challenge: string; method: "s256" | "plain" };

/** GoTrue's rules for the challenge sent with `/otp`: both or neither, S256 or plain, 43–128 chars. */
export function parsePkceChallenge(
  challenge: string | null | undefined,
  method: string | null | undefined,
): PkceChallenge | null {
  if (!challenge && !method) return null;
  if (!challenge || !method) {
    throw badRequest("validation_failed", "PKCE flow requires code_challenge_method and code_challenge");
  }
  const normalized = method.toLowerCase();
  if (normalized !== "s256" && normalized !== "plain") {
    throw badRequest("validation_failed", "Unsupported PKCE code challenge method");
  }
  if (challenge.length < 43 || challenge.length > 128) {
    throw badRequest("validation_failed", "code challenge has to be between 43 and 128 characters");
  }
  return { challenge, method: normalized };
}

export function verifierMatches(pkce: PkceChallenge, verifier: string): boolean {
  const expected = pkce.method === "s256" ? createHash("sha256").update(verifier).digest("base64url") : verifier;
  const a = Buffer.from(expected);
  const b = Buffer.from(pkce.challenge);
  return a.length === b.length && timingSafeEqual(a, b);
}
