import { renameSync, writeFileSync } from "node:fs";
import { stopWhenAsked } from "../stop-when-asked";
import { startWorkerStack, type WorkerStack } from "../worker-stack";
import type { SharedE2EStackState } from "./stack";

/**
 * The e2e files' shared stack (startWorkerStack, the product's defaults) in a process of its
 * own, started by `tests/e2e/global-setup.ts`: argv is the build's id and the file to write
 * the stack's URLs and the local stack's secret to once it serves, or why it could not start
 * (a SharedE2EStackState, written whole). On the IPC message "stop", or once vitest is gone,
 * it stops the stack and exits 1 when a credential reached a sandbox (the reason on stderr).
 */
const [buildId = "", stateFile = ""] = process.argv.slice(2);

function writeState(state: SharedE2EStackState) {
  // Renamed into place: a test reading the file never sees half of it.
  writeFileSync(`${stateFile}.partial`, JSON.stringify(state));
  renameSync(`${stateFile}.partial`, stateFile);
}

let stack: WorkerStack | undefined;
stopWhenAsked(async () => {
  await stack?.stop();
});

try {
  stack = await startWorkerStack(buildId);
  writeState({
    appUrl: stack.appUrl,
    mailboxUrl: stack.mailboxUrl,
    githubUrl: stack.githubUrl,
    localSecret: stack.localSecret,
  });
} catch (error) {
  writeState({ error: error instanceof Error ? error.message : String(error) });
  process.exit(1);
}
