import { existsSync, readFileSync } from "node:fs";
import { inject } from "vitest";
import { z } from "zod";
import { emulatorControl } from "../../local/github/control-client";
import { keepIdleConnectionsBriefly, startWorkerStack, type WorkerStack } from "../worker-stack";

/** What an e2e test uses of the product over real HTTP (see startWorkerStack). */
export type E2EStack = Pick<WorkerStack, "appUrl" | "mailboxUrl" | "githubUrl" | "github" | "stop">;

const sharedState = z.union([
  z.object({ appUrl: z.string(), mailboxUrl: z.string(), githubUrl: z.string(), localSecret: z.string() }),
  z.object({ error: z.string() }),
]);
/** What `tests/e2e/stack-process.ts` writes once the shared stack serves, or why it could not. */
export type SharedE2EStackState = z.infer<typeof sharedState>;

/** How long a file waits for the shared stack: the first waits for its build too. */
const SHARED_STACK_WAIT_MS = 150_000;

/**
 * Which stack an e2e file runs on: the run's shared one (see `tests/e2e/global-setup.ts`), or,
 * with `ownStack` or `vars` (which set the Worker's `[vars]` otherwise), one of the file's own.
 */
export type StackChoice = { ownStack?: boolean; vars?: Record<string, string> };

/**
 * The stack an e2e file runs on (see StackChoice). stop() stops the file's own; the shared one
 * stops when the run ends. Every stack of a run serves the same build.
 */
export async function startE2EStack({ ownStack = false, vars }: StackChoice = {}): Promise<E2EStack> {
  const { buildId, stateFile } = inject("e2e");
  if (ownStack || vars) return startWorkerStack(buildId, { vars });
  const deadline = Date.now() + SHARED_STACK_WAIT_MS;
  while (!existsSync(stateFile)) {
    if (Date.now() > deadline) throw new Error(`the shared e2e stack was not ready in ${SHARED_STACK_WAIT_MS} ms`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  const state = sharedState.parse(JSON.parse(readFileSync(stateFile, "utf8")));
  if ("error" in state) throw new Error(`the shared e2e stack did not start: ${state.error}`);
  keepIdleConnectionsBriefly();
  return {
    appUrl: state.appUrl,
    mailboxUrl: state.mailboxUrl,
    githubUrl: state.githubUrl,
    github: emulatorControl(state.githubUrl, state.localSecret),
    stop: async () => undefined,
  };
}
