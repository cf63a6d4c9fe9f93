import { createPublicKey, type KeyObject, verify } from "node:crypto";
import { z } from "zod";

/**
 * Verifies a GitHub App JWT the way GitHub does: RS256 signed with the App's key, `iss` the App
 * id, `iat` not in the future, `exp` in the future and at most 10 minutes after `iat` and after
 * now. The messages are GitHub's own: @octokit/auth-app matches on the clock ones to correct
 * clock skew and retry once.
 */

export const JWT_ERRORS = {
  undecodable: "A JSON web token could not be decoded",
  expTooFar: "'Expiration time' claim ('exp') is too far in the future",
  expired:
    "'Expiration time' claim ('exp') must be a numeric value representing the future time at which the assertion expires",
  iatInvalid: "'Issued at' claim ('iat') must be an Integer representing the time that the assertion was issued",
} as const;

export type JwtVerdict = { ok: true } | { ok: false; message: string };

/** GitHub tolerates a little clock drift on `iat`; a minute, as its docs recommend back-dating by 60 s. */
const CLOCK_DRIFT_SECONDS = 60;
const MAX_LIFETIME_SECONDS = 600;

const headerSchema = z.object({ alg: z.literal("RS256") });
const claimsSchema = z.object({
  iss: z.union([z.number(), z.string()]),
  iat: z.unknown(),
  exp: z.unknown(),
});

export function createJwtVerifier(appId: number, publicKeyPem: string) {
  const key: KeyObject = createPublicKey(publicKeyPem);
  return (jwt: string, nowSeconds = Math.floor(Date.now() / 1000)): JwtVerdict => {
    const parts = jwt.split(".");
    if (parts.length !== 3) return { ok: false, message: JWT_ERRORS.undecodable };
    const [encodedHeader = "", encodedClaims = "", signature = ""] = parts;
    const header = headerSchema.safeParse(decodeJson(encodedHeader));
    const claims = claimsSchema.safeParse(decodeJson(encodedClaims));
    if (!header.success || !claims.success) return { ok: false, message: JWT_ERRORS.undecodable };
    const signed = verify(
      "RSA-SHA256",
      Buffer.from(`${encodedHeader}.${encodedClaims}`),
      key,
      Buffer.from(signature, "base64url"),
    );
    // GitHub answers a foreign key and a wrong App id alike: it cannot decode the token for that App.
    if (!signed || String(claims.data.iss) !== String(appId)) return { ok: false, message: JWT_ERRORS.undecodable };
    const { iat, exp } = claims.data;
    if (!Number.isInteger(iat) || (iat as number) > nowSeconds + CLOCK_DRIFT_SECONDS) {
      return { ok: false, message: JWT_ERRORS.iatInvalid };
    }
    if (!Number.isInteger(exp) || (exp as number) <= nowSeconds) return { ok: false, message: JWT_ERRORS.expired };
    if (
      (exp as number) - (iat as number) > MAX_LIFETIME_SECONDS ||
      (exp as number) > nowSeconds + MAX_LIFETIME_SECONDS
    ) {
      return { ok: false, message: JWT_ERRORS.expTooFar };
    }
    return { ok: true };
  };
}

function decodeJson(part: string): unknown {
  try {
    return JSON.parse(Buffer.from(part, "base64url").toString("utf8"));
  } catch {
    return undefined;
  }
}
