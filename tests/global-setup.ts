import { spawn } from "node:child_process";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";
import type { TestProject } from "vitest/node";
import { FORKING_NODE_FLAGS } from "../local/node-flags";
import type { TestStack } from "./provided-context";

/** The site the Worker under test believes it is served from (OAuth accepts plain http only on loopback). */
const TEST_SITE = "http://localhost";

/**
 * The local stack, once per test run, for the tests of both projects, in a process of its own
 * (`tests/services-process.ts`). When the run ends it checks that no installation token or
 * Worker secret ever reached a sandbox (any exec's command, environment or output, any
 * request git sent out, any file left there): the run fails if one did.
 */
export default async function setup(project: TestProject) {
  // The projects inherit this file from the root config (`extends: true`), and the values the
  // root project provides too: one stack serves them all, started by the root.
  if (!project.isRootProject()) return;
  const services = spawn(
    process.execPath,
    [...FORKING_NODE_FLAGS, "--import", "tsx", "tests/services-process.ts", TEST_SITE],
    {
      cwd: fileURLToPath(new URL("..", import.meta.url)),
      stdio: ["ignore", "pipe", "inherit", "ipc"],
    },
  );
  const exited = new Promise<number | null>((resolve) => services.once("exit", resolve));
  const output = services.stdout;
  if (!output) throw new Error("the test stack's process has no stdout");
  const ready = new Promise<string>((resolve) => createInterface({ input: output }).once("line", resolve));
  const line = await Promise.race([
    ready,
    exited.then((code) => {
      throw new Error(`the test stack exited (${code}) before it was ready`);
    }),
  ]);
  const stack: Omit<TestStack, "site"> = JSON.parse(line);
  project.provide("stack", { site: TEST_SITE, ...stack });
  return async () => {
    // A stack process that died mid-run has no channel left, and its exit code tells already.
    if (services.connected) services.send("stop");
    // It wrote why on stderr; vitest would still exit 0, so fail the run here.
    if ((await exited) !== 0) process.exitCode = 1;
  };
}
