import { z } from "zod";
import { startGitHubEmulator } from "./server";

/**
 * `npx tsx local/github/main.ts`: the GitHub emulator on its own, configured from the
 * environment. Prints `ready <url>` once it listens; Ctrl-C stops it.
 */

const envSchema = z.object({
  GITHUB_EMULATOR_PORT: z.coerce.number().int().min(0).max(65535).default(4010),
  GITHUB_EMULATOR_DATA_DIR: z.string().min(1).default(".data/github"),
  LOCAL_STACK_SECRET: z.string().min(16),
  GITHUB_APP_ID: z.coerce.number().int().positive(),
  GITHUB_APP_SLUG: z.string().min(1).default("ctx4-ai"),
  GITHUB_APP_CLIENT_ID: z.string().min(1),
  GITHUB_APP_CLIENT_SECRET: z.string().min(1),
  GITHUB_APP_PUBLIC_KEY: z.string().min(1),
  GITHUB_WEBHOOK_SECRET: z.string().min(1),
  GITHUB_WEBHOOK_URL: z.url().optional(),
  GITHUB_APP_CALLBACK_URL: z.url(),
  GITHUB_TOKEN_TTL_SECONDS: z.coerce.number().int().positive().default(3600),
});

async function main() {
  const parsed = envSchema.safeParse(process.env);
  if (!parsed.success) {
    for (const issue of parsed.error.issues) {
      const name = String(issue.path[0]);
      const problem = process.env[name] === undefined ? "is not set" : `is invalid (${issue.message})`;
      console.error(`github emulator: ${name} ${problem}`);
    }
    process.exit(1);
  }
  const env = parsed.data;
  const emulator = await startGitHubEmulator({
    port: env.GITHUB_EMULATOR_PORT,
    dataDir: env.GITHUB_EMULATOR_DATA_DIR,
    localSecret: env.LOCAL_STACK_SECRET,
    tokenTtlSeconds: env.GITHUB_TOKEN_TTL_SECONDS,
    app: {
      id: env.GITHUB_APP_ID,
      slug: env.GITHUB_APP_SLUG,
      clientId: env.GITHUB_APP_CLIENT_ID,
      clientSecret: env.GITHUB_APP_CLIENT_SECRET,
      // Env files often hold PEMs on one line with literal \n.
      publicKeyPem: env.GITHUB_APP_PUBLIC_KEY.replace(/\\n/g, "\n"),
      webhookSecret: env.GITHUB_WEBHOOK_SECRET,
      webhookUrl: env.GITHUB_WEBHOOK_URL,
      callbackUrl: env.GITHUB_APP_CALLBACK_URL,
    },
  });
  process.stdout.write(`ready ${emulator.url}\n`);
  const stop = () => void emulator.stop().then(() => process.exit(0));
  process.on("SIGINT", stop);
  process.on("SIGTERM", stop);
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : error);
  process.exit(1);
});
