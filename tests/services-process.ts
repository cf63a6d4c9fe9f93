import { startLocalServices } from "./local-services";
import type { TestStack } from "./provided-context";
import { stopWhenAsked } from "./stop-when-asked";

/**
 * The test run's local stack in a process of its own, started by `tests/global-setup.ts`.
 * The sandbox host and the GitHub emulator fork a process for every command and git call,
 * and a fork copies the forking process's page tables: from here, a small process, rather
 * than from vitest's, which holds every project's modules. Prints one JSON line (what the
 * set-up provides) once ready; on the IPC message "stop", or once vitest is gone, it stops
 * everything and exits 1 when a credential reached a sandbox (the reason on stderr).
 */
const site = process.argv[2] ?? "";
const services = await startLocalServices(site, { webhooks: false });
process.stdout.write(
  `${JSON.stringify({
    databaseUrl: services.databaseUrl,
    localSecret: services.localSecret,
    authUrl: services.auth.url,
    mailboxUrl: services.auth.mailboxUrl,
    githubUrl: services.github.url,
    workerVars: services.workerVars,
  } satisfies Omit<TestStack, "site">)}\n`,
);
stopWhenAsked(() => services.stop());
