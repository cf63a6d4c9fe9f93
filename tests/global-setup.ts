import type { TestProject } from "vitest/node";
import { startLocalServices } from "./local-services";

/** The site the Worker under test believes it is served from (OAuth accepts plain http only on loopback). */
const TEST_SITE = "http://localhost";

/**
 * The local stack, once per test run, for the tests of both projects. When the run ends it
 * checks that no installation token or Worker secret ever reached a sandbox (any exec's
 * command, environment or output, any request git sent out, any file left there): the run
 * fails if one did.
 */
export default async function setup(project: TestProject) {
  // The projects inherit this file from the root config (`extends: true`), and the values the
  // root project provides too: one stack serves them all, started by the root.
  if (!project.isRootProject()) return;
  const services = await startLocalServices(TEST_SITE, { webhooks: false });
  project.provide("stack", {
    runId: crypto.randomUUID(),
    site: TEST_SITE,
    databaseUrl: services.databaseUrl,
    localSecret: services.localSecret,
    authUrl: services.auth.url,
    mailboxUrl: services.auth.mailboxUrl,
    githubUrl: services.github.url,
    workerVars: services.workerVars,
  });
  return async () => {
    try {
      await services.stop();
    } catch (error) {
      // Vitest reports an error thrown here but still exits 0: fail the run ourselves.
      console.error(error instanceof Error ? error.message : error);
      process.exitCode = 1;
    }
  };
}
