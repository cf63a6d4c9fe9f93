import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { TestProject } from "vitest/node";
import { startAuthEmulator } from "../local/auth/server";
import { generateLocalStack, workerVars } from "../local/dev-config";
import { startGitHubEmulator } from "../local/github/server";
import { startSandboxHost } from "../local/sandbox-host/server";
import { startTestDatabase } from "./test-database";

/** The site the Worker under test believes it is served from (OAuth accepts plain http only on loopback). */
const TEST_SITE = "http://localhost";

/**
 * The local stack, once per test run: a fresh database, the Supabase Auth and GitHub
 * emulators on free ports, and fresh keys and secrets. Tests in both projects use it.
 */
export default async function setup(project: TestProject) {
  const dataDir = mkdtempSync(join(tmpdir(), "ctx4-test-"));
  const stack = generateLocalStack();
  const database = await startTestDatabase();
  const auth = await startAuthEmulator({
    port: 0,
    mailboxPort: 0,
    dataDir: join(dataDir, "auth"),
    localSecret: stack.localSecret,
    publishableKey: stack.supabasePublishableKey,
    siteUrl: TEST_SITE,
  });
  const sandboxHost = await startSandboxHost({
    port: 0,
    rootDir: join(dataDir, "sandboxes"),
    localSecret: stack.localSecret,
  });
  const github = await startGitHubEmulator({
    port: 0,
    dataDir: join(dataDir, "github"),
    localSecret: stack.localSecret,
    app: { ...stack.githubApp, callbackUrl: `${TEST_SITE}/api/github/callback` },
  });

  project.provide("stack", {
    site: TEST_SITE,
    databaseUrl: database.url,
    localSecret: stack.localSecret,
    authUrl: auth.url,
    mailboxUrl: auth.mailboxUrl,
    githubUrl: github.url,
    workerVars: workerVars(stack, { app: TEST_SITE, auth: auth.url, github: github.url, sandboxHost: sandboxHost.url }),
  });
  return async () => {
    await Promise.all([auth.stop(), github.stop(), sandboxHost.stop(), database.stop()]);
    rmSync(dataDir, { recursive: true, force: true });
  };
}
