import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { startAuthEmulator } from "../local/auth/server";
import { generateLocalStack, workerVars } from "../local/dev-config";
import { startGitHubEmulator } from "../local/github/server";
import { startSandboxHost } from "../local/sandbox-host/server";
import { startTestDatabase } from "./test-database";

/**
 * Everything the Worker talks to, for one test run: a fresh database, the Supabase Auth and
 * GitHub emulators and the sandbox host on free ports, with fresh keys and secrets, wired to
 * an app served at `site`. GitHub's webhooks go to the app only when it listens for real.
 */
export async function startLocalServices(site: string, options: { webhooks: boolean }) {
  const dir = mkdtempSync(join(tmpdir(), "ctx4-test-"));
  const stack = generateLocalStack();
  const database = await startTestDatabase();
  const auth = await startAuthEmulator({
    port: 0,
    mailboxPort: 0,
    dataDir: join(dir, "auth"),
    localSecret: stack.localSecret,
    publishableKey: stack.supabasePublishableKey,
    siteUrl: site,
  });
  const sandboxHost = await startSandboxHost({
    port: 0,
    rootDir: join(dir, "sandboxes"),
    localSecret: stack.localSecret,
  });
  const github = await startGitHubEmulator({
    port: 0,
    dataDir: join(dir, "github"),
    localSecret: stack.localSecret,
    app: {
      ...stack.githubApp,
      callbackUrl: `${site}/api/github/callback`,
      webhookUrl: options.webhooks ? `${site}/api/github/webhook` : undefined,
    },
  });
  return {
    dir,
    localSecret: stack.localSecret,
    databaseUrl: database.url,
    auth,
    github,
    workerVars: workerVars(stack, { app: site, auth: auth.url, github: github.url, sandboxHost: sandboxHost.url }),
    async stop() {
      await Promise.all([auth.stop(), github.stop(), sandboxHost.stop(), database.stop()]);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
