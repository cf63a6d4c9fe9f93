import { z } from "zod";
import { startAuthEmulator } from "./server";

/**
 * `npx tsx local/auth/main.ts`: the auth emulator on its own, configured from the
 * environment. Prints one `ready …` line on stdout once both ports listen.
 */
const unsetIfEmpty = (value: unknown) => (value === "" ? undefined : value);
const port = (fallback: number) =>
  z.preprocess(unsetIfEmpty, z.coerce.number().int().min(0).max(65_535).default(fallback));

const envSchema = z.object({
  AUTH_EMULATOR_PORT: port(54321),
  MAILBOX_PORT: port(54324),
  AUTH_EMULATOR_DATA_DIR: z.preprocess(unsetIfEmpty, z.string().default(".data/auth")),
  LOCAL_STACK_SECRET: z.string({ error: "is required" }).min(16, "must be at least 16 characters"),
  SUPABASE_PUBLISHABLE_KEY: z.string({ error: "is required" }).min(1, "is required"),
  SUPABASE_SECRET_KEY: z.preprocess(unsetIfEmpty, z.string().min(16, "must be at least 16 characters").optional()),
  AUTH_SITE_URL: z.preprocess(unsetIfEmpty, z.url({ protocol: /^https?$/ }).default("http://localhost:5173")),
  AUTH_REDIRECT_URLS: z.preprocess(
    unsetIfEmpty,
    z
      .string()
      .default("")
      .transform((list) =>
        list
          .split(",")
          .map((entry) => entry.trim())
          .filter(Boolean),
      ),
  ),
  AUTH_ACCESS_TOKEN_TTL_SECONDS: z.preprocess(unsetIfEmpty, z.coerce.number().int().positive().default(3600)),
});

async function main() {
  const env = envSchema.safeParse(process.env);
  if (!env.success) {
    const problems = env.error.issues.map((issue) => `  ${issue.path.join(".")}: ${issue.message}`);
    console.error(`auth emulator: bad environment\n${problems.join("\n")}`);
    process.exit(2);
  }
  const emulator = await startAuthEmulator({
    port: env.data.AUTH_EMULATOR_PORT,
    mailboxPort: env.data.MAILBOX_PORT,
    dataDir: env.data.AUTH_EMULATOR_DATA_DIR,
    localSecret: env.data.LOCAL_STACK_SECRET,
    publishableKey: env.data.SUPABASE_PUBLISHABLE_KEY,
    secretKey: env.data.SUPABASE_SECRET_KEY,
    siteUrl: env.data.AUTH_SITE_URL,
    redirectUrls: env.data.AUTH_REDIRECT_URLS,
    accessTokenTtlSeconds: env.data.AUTH_ACCESS_TOKEN_TTL_SECONDS,
  });
  const stop = () => void emulator.stop().then(() => process.exit(0));
  process.on("SIGINT", stop);
  process.on("SIGTERM", stop);
  process.stdout.write(`ready ${emulator.url} mailbox ${emulator.mailboxUrl}\n`);
}

main().catch((error: unknown) => {
  console.error("auth emulator:", error instanceof Error ? error.message : error);
  process.exit(1);
});
