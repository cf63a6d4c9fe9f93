import { inject } from "vitest";
import { startWorkerStack, type WorkerStack } from "../worker-stack";

/**
 * The whole product over real HTTP for one end-to-end test file (see startWorkerStack); every
 * file of a test run serves the same build, made by the first to need it. `vars` sets the
 * Worker's `[vars]` otherwise.
 */
export function startE2EStack(vars?: Record<string, string>): Promise<WorkerStack> {
  return startWorkerStack(inject("stack").runId, { vars });
}

export type E2EStack = WorkerStack;
