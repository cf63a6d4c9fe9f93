import { sign, verify } from "node:crypto";
import { z } from "zod";
import type { SigningKey } from "./keys";

const headerSchema = z.object({ alg: z.literal("ES256"), kid: z.string(), typ: z.literal("JWT").optional() });

const encode = (value: unknown) => Buffer.from(JSON.stringify(value)).toString("base64url");

/** ES256 JWT; JWS wants the raw r||s signature, not DER, hence ieee-p1363. */
export function signJwt(payload: Record<string, unknown>, key: SigningKey): string {
  const input = `${encode({ alg: "ES256", kid: key.kid, typ: "JWT" })}.${encode(payload)}`;
  const signature = sign("sha256", Buffer.from(input), { key: key.privateKey, dsaEncoding: "ieee-p1363" });
  return `${input}.${signature.toString("base64url")}`;
}

/** The payload of a token this key signed, or an explanation of why it is not one. */
export function verifyJwt(
  token: string,
  key: SigningKey,
): { ok: true; payload: unknown } | { ok: false; reason: string } {
  const parts = token.split(".");
  if (parts.length !== 3) return { ok: false, reason: "token is malformed" };
  const [header, payload, signature] = parts as [string, string, string];
  const parsedHeader = headerSchema.safeParse(parseSegment(header));
  if (!parsedHeader.success || parsedHeader.data.kid !== key.kid) {
    return { ok: false, reason: "token is unverifiable: unknown signing key or algorithm" };
  }
  const valid = verify(
    "sha256",
    Buffer.from(`${header}.${payload}`),
    { key: key.publicKey, dsaEncoding: "ieee-p1363" },
    Buffer.from(signature, "base64url"),
  );
  if (!valid) return { ok: false, reason: "token signature is invalid" };
  return { ok: true, payload: parseSegment(payload) };
}

function parseSegment(segment: string): unknown {
  try {
    return JSON.parse(Buffer.from(segment, "base64url").toString("utf8"));
  } catch {
    return undefined;
  }
}
