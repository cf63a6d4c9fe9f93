import { createPrivateKey, createPublicKey, generateKeyPairSync, type KeyObject, randomUUID } from "node:crypto";
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { z } from "zod";

/** The public half as `/.well-known/jwks.json` lists it, in the form WebCrypto imports. */
export type PublicJwk = {
  kty: "EC";
  crv: "P-256";
  x: string;
  y: string;
  kid: string;
  alg: "ES256";
  use: "sig";
  key_ops: ["verify"];
  ext: true;
};

export type SigningKey = { kid: string; privateKey: KeyObject; publicKey: KeyObject; publicJwk: PublicJwk };

const KEY_FILE = "signing-key.json";

const storedKeySchema = z.object({
  kid: z.string().min(1),
  privateJwk: z.object({ kty: z.literal("EC"), crv: z.literal("P-256"), x: z.string(), y: z.string(), d: z.string() }),
});

/**
 * One ES256 key, like a Supabase project's current asymmetric signing key. It is kept in
 * the data dir so that tokens issued before a restart still verify against the JWKS after it.
 */
export function loadOrCreateSigningKey(dataDir: string): SigningKey {
  const file = join(dataDir, KEY_FILE);
  if (existsSync(file)) {
    const parsed = storedKeySchema.safeParse(JSON.parse(readFileSync(file, "utf8")));
    if (!parsed.success) throw new Error(`${file} is not a signing key written by the auth emulator; delete it.`);
    return fromPrivateJwk(parsed.data.kid, createPrivateKey({ key: parsed.data.privateJwk, format: "jwk" }));
  }
  mkdirSync(dataDir, { recursive: true });
  const { privateKey } = generateKeyPairSync("ec", { namedCurve: "P-256" });
  const kid = randomUUID();
  const stored = { kid, privateJwk: privateKey.export({ format: "jwk" }) };
  // Write then rename, so a crash never leaves half a key behind.
  writeFileSync(`${file}.tmp`, JSON.stringify(stored), { mode: 0o600 });
  renameSync(`${file}.tmp`, file);
  return fromPrivateJwk(kid, privateKey);
}

function fromPrivateJwk(kid: string, privateKey: KeyObject): SigningKey {
  const publicKey = createPublicKey(privateKey);
  const { x, y } = publicKey.export({ format: "jwk" });
  if (!x || !y) throw new Error("The signing key has no public coordinates.");
  return {
    kid,
    privateKey,
    publicKey,
    publicJwk: { kty: "EC", crv: "P-256", x, y, kid, alg: "ES256", use: "sig", key_ops: ["verify"], ext: true },
  };
}
