import { availableParallelism } from "node:os";
import { defineConfig } from "vitest/config";
import { workerdPlugins } from "./tests/workerd-plugins.ts";

export default defineConfig({
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
        // The first request transforms every route module on demand, which takes seconds.
        test: { name: "workers", include: ["app/**/*.test.{ts,tsx}", "workers/**/*.test.ts"], testTimeout: 30_000 },
      },
      {
        extends: true,
        test: {
          name: "node",
          environment: "node",
          include: ["local/**/*.test.ts", "tests/**/*.test.ts", "bench/**/*.test.ts", "scripts/**/*.test.ts"],
          testTimeout: 30_000,
        },
      },
    ],
  },
});
