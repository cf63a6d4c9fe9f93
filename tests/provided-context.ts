/** What the test run's global set-up hands every test (read with vitest's `inject("stack")`). */
export type TestStack = {
  /** The origin the Worker under test is addressed with. */
  site: string;
  databaseUrl: string;
  localSecret: string;
  authUrl: string;
  mailboxUrl: string;
  githubUrl: string;
  /** The Worker's vars and secrets, pointing at the emulators. */
  workerVars: Record<string, string>;
};

/**
 * A run of workers/workspace/sync.model.test.ts: one sequence of `steps` steps per seed, or,
 * with `path` (fast-check's replay path from a failure), that one shrunk sequence again.
 */
export type ModelTestPlan = { seeds: number[]; steps: number; path?: string };

/** What the e2e project's global set-up hands its files (`tests/e2e/global-setup.ts`). */
export type E2EContext = {
  /** What the e2e stacks' one build is marked with (see buildOnce in tests/worker-stack.ts). */
  buildId: string;
  /** Where the shared stack's process writes its URLs once ready (see startE2EStack). */
  stateFile: string;
};

declare module "vitest" {
  export interface ProvidedContext {
    stack: TestStack;
    e2e: E2EContext;
    /** Seeds and steps for the sync model test, from `npm run test:model` (CI's own otherwise). */
    modelTest?: ModelTestPlan;
  }
}
