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

declare module "vitest" {
  export interface ProvidedContext {
    stack: TestStack;
  }
}
