import { inject } from "vitest";
import { startWorkerStack, type WorkerStack } from "../worker-stack";

/**
 * The whole product over real HTTP for one end-to-end test file (see startWorkerStack); every
 * file of a test run serves the same build, made by the first to need it.
 */
export function startE2EStack(): Promise<WorkerStack> {
  return startWorkerStack(inject("stack").runId);
}

export type E2EStack = WorkerStack;
