import { mkdtempSync } from "node:fs";
import { rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { startAuthEmulator } from "../local/auth/server";
import { generateLocalStack, workerVars } from "../local/dev-config";
import { startGitHubEmulator } from "../local/github/server";
import { startSandboxHost } from "../local/sandbox-host/server";
import { findSandboxLeaks } from "./sandbox-leaks";
import { startTestDatabase } from "./test-database";

/**
 * Everything the Worker talks to, for one test run: a fresh database, the Supabase Auth and
 * GitHub emulators and the sandbox host on free ports, with fresh keys and secrets, wired to
 * an app served at `site`. GitHub's webhooks go to the app only when it listens for real.
 * Stopping them checks that no credential ever reached a sandbox.
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
    secretKey: stack.supabaseSecretKey,
    siteUrl: site,
  });
  const sandboxRoot = join(dir, "sandboxes");
  const recordFile = join(dir, "sandbox-host-record.jsonl");
  const sandboxHost = await startSandboxHost({
    port: 0,
    rootDir: sandboxRoot,
    localSecret: stack.localSecret,
    recordFile,
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
  const vars = workerVars(stack, { app: site, auth: auth.url, github: github.url, sandboxHost: sandboxHost.url });
  return {
    dir,
    localSecret: stack.localSecret,
    databaseUrl: database.url,
    auth,
    github,
    sandboxHostUrl: sandboxHost.url,
    onSandboxHostRequest: sandboxHost.onRequest,
    workerVars: vars,
    /**
     * Stops everything, then fails if an installation token or a Worker secret ever reached a
     * sandbox while it ran (see findSandboxLeaks).
     */
    async stop() {
      const leaks = await findSandboxLeaks(recordFile, sandboxRoot, {
        named: {
          GITHUB_APP_PRIVATE_KEY: vars.GITHUB_APP_PRIVATE_KEY ?? "",
          GITHUB_APP_CLIENT_SECRET: vars.GITHUB_APP_CLIENT_SECRET ?? "",
          GITHUB_WEBHOOK_SECRET: vars.GITHUB_WEBHOOK_SECRET ?? "",
          SUPABASE_SECRET_KEY: vars.SUPABASE_SECRET_KEY ?? "",
          "the local stack's secret (SANDBOX_HOST_SECRET)": stack.localSecret,
        },
        wasIssued: (token) => github.state.wasIssued(token),
      });
      await Promise.all([auth.stop(), github.stop(), sandboxHost.stop(), database.stop()]);
      // Asynchronous: several unlinks at once, half the time of rmSync for a run's 300 MB here.
      await rm(dir, { recursive: true, force: true });
      if (leaks.length > 0) throw new Error(`A credential reached a sandbox:\n${leaks.join("\n")}`);
    },
  };
}
