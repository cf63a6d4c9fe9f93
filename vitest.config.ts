import { availableParallelism } from "node:os";
import { configDefaults, defineConfig } from "vitest/config";
import { closeDroppedReactRouter, workerdPlugins } from "./tests/workerd-plugins.ts";

export default defineConfig({
  plugins: [closeDroppedReactRouter()],
  test: {
    globalSetup: ["./tests/global-setup.ts"],
    // A file per core, not vitest's one fewer: most of a file's time is spent waiting on the
    // sandbox host, git, the Worker or a browser, which the other file's work fills.
    maxWorkers: availableParallelism(),
    // Every request writes a JSON log line: shown for a failing test, where it helps, not for the rest.
    silent: "passed-only",
    projects: [
      {
        extends: true,
        plugins: workerdPlugins(),
        test: {
          name: "workers",
          include: ["app/**/*.test.{ts,tsx}", "workers/**/*.test.ts"],
          // One workerd per worker for all its files, not one per file: each new one costs a
          // process and the first request's load of every route module, seconds on a small
          // machine. The files then share modules and Durable Object namespaces, never a user: each
          // makes its own.
          isolate: false,
          testTimeout: 30_000,
        },
      },
      {
        extends: true,
        test: {
          name: "e2e",
          environment: "node",
          include: ["tests/e2e/**/*.test.ts"],
          // A stack shared by the files (tests/e2e/global-setup.ts), and one process per worker.
          globalSetup: ["./tests/e2e/global-setup.ts"],
          isolate: false,
          testTimeout: 30_000,
        },
      },
      {
        extends: true,
        test: {
          name: "node",
          environment: "node",
          // A Node process per worker for all its files, not one per file: each new one imported
          // vitest, Playwright, the MCP SDK and our local stack again (the project's import time
          // fell from 21.1 s to 6.7 s, its CPU by 32 s). The files keep no state in shared
          // modules: each starts and stops what it uses.
          isolate: false,
          include: ["local/**/*.test.ts", "tests/**/*.test.ts", "bench/**/*.test.ts", "scripts/**/*.test.ts"],
          exclude: ["tests/e2e/**", ...configDefaults.exclude],
          testTimeout: 30_000,
        },
      },
    ],
  },
});
