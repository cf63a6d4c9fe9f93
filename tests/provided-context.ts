/** What the test run's global set-up hands every test (read with vitest's `inject("stack")`). */
export type TestStack = {
  /** This test run's own id (what the end-to-end stacks' one build is marked with). */
  runId: string;
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

declare module "vitest" {
  export interface ProvidedContext {
    stack: TestStack;
    /** Seeds and steps for the sync model test, from `npm run test:model` (CI's own otherwise). */
    modelTest?: ModelTestPlan;
  }
}
