import { cloudflareTest } from "@cloudflare/vitest-pool-workers";
import { reactRouter } from "@react-router/dev/vite";
import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    globalSetup: ["./tests/global-setup.ts"],
    projects: [
      {
        extends: true,
        plugins: [
          reactRouter(),
          cloudflareTest(({ inject }) => ({
            main: "./workers/app.ts",
            wrangler: { configPath: "./wrangler.toml" },
            miniflare: {
              hyperdrives: { HYPERDRIVE: inject("stack").databaseUrl },
              bindings: inject("stack").workerVars,
            },
          })),
        ],
        // The first request transforms every route module on demand, which takes seconds.
        test: { name: "workers", include: ["app/**/*.test.{ts,tsx}", "workers/**/*.test.ts"], testTimeout: 30_000 },
      },
      {
        extends: true,
        test: {
          name: "node",
          environment: "node",
          include: ["local/**/*.test.ts", "tests/**/*.test.ts"],
          testTimeout: 30_000,
        },
      },
    ],
  },
});
