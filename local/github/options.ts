import { createPublicKey } from "node:crypto";
import { z } from "zod";

/** The settings of the one GitHub App the emulator hosts, as they appear on its GitHub settings page. */
export const appSettingsSchema = z.object({
  id: z.number().int().positive(),
  slug: z.string().regex(/^[a-z0-9][a-z0-9-]*$/, "a GitHub App slug: lowercase letters, digits and dashes"),
  clientId: z.string().min(1),
  clientSecret: z.string().min(1),
  publicKeyPem: z.string().refine(isRsaPublicKey, "an RSA public key in PEM form"),
  webhookSecret: z.string().min(1),
  webhookUrl: z.url().optional(),
  callbackUrl: z.url(),
});

export const emulatorOptionsSchema = z.object({
  port: z.number().int().min(0).max(65535),
  dataDir: z.string().min(1),
  localSecret: z.string().min(16, "the local stack secret must be at least 16 characters"),
  app: appSettingsSchema,
  tokenTtlSeconds: z.number().int().positive().default(3600),
});

export type AppSettings = z.infer<typeof appSettingsSchema>;
export type EmulatorOptions = z.input<typeof emulatorOptionsSchema>;
export type ResolvedOptions = z.output<typeof emulatorOptionsSchema>;

function isRsaPublicKey(pem: string): boolean {
  try {
    return createPublicKey(pem).asymmetricKeyType === "rsa";
  } catch {
    return false;
  }
}
