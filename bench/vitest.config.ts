import { cloudflareTest } from "@cloudflare/vitest-pool-workers";
import { reactRouter } from "@react-router/dev/vite";
import { defineConfig } from "vitest/config";

/**
 * The benchmarks run inside workerd, as the tests do: that is where the per-user object can be
 * called without adding a route to the product. Same Worker, same local stack.
 */
export default defineConfig({
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
  test: {
    globalSetup: ["./tests/global-setup.ts"],
    include: ["bench/workerd/*.measure.ts"],
    testTimeout: 900_000,
    fileParallelism: false,
  },
});
