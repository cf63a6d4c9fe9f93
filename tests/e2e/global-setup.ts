import { spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import type { TestProject } from "vitest/node";
import { FORKING_NODE_FLAGS } from "../../local/node-flags";

/**
 * The e2e project's one stack for all its files that keep the product's defaults
 * (`tests/e2e/stack-process.ts`), started here and not awaited: the first file waits for it
 * (startE2EStack) while the other projects' files already run. One stack, not one per file:
 * each cost about 5 s and 6 s of CPU to start and stop (the emulators, a database, workerd
 * with the built Worker). The files share it as people share the product: each makes its
 * own GitHub account and email. When the run ends, the stack's leak check must pass, or the
 * run fails.
 */
export default function setup(project: TestProject) {
  const buildId = crypto.randomUUID();
  const dir = mkdtempSync(join(tmpdir(), "ctx4-e2e-"));
  const stateFile = join(dir, "stack.json");
  const child = spawn(
    process.execPath,
    [...FORKING_NODE_FLAGS, "--import", "tsx", "tests/e2e/stack-process.ts", buildId, stateFile],
    {
      cwd: fileURLToPath(new URL("../..", import.meta.url)),
      stdio: ["ignore", "inherit", "inherit", "ipc"],
    },
  );
  const exited = new Promise<number | null>((resolve) => child.once("exit", resolve));
  project.provide("e2e", { buildId, stateFile });
  return async () => {
    if (child.connected) child.send("stop");
    const code = await exited;
    rmSync(dir, { recursive: true, force: true });
    // It wrote why on stderr; vitest would still exit 0, so fail the run here.
    if (code !== 0) process.exitCode = 1;
  };
}
