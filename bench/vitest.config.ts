import { defineConfig } from "vitest/config";
import { workerdPlugins } from "../tests/workerd-plugins";

/**
 * The benchmarks run inside workerd, as the tests do: that is where the per-user object can be
 * called without adding a route to the product. Same Worker, same local stack.
 */
export default defineConfig({
  plugins: workerdPlugins(),
  test: {
    globalSetup: ["./tests/global-setup.ts"],
    include: ["bench/workerd/*.measure.ts"],
    testTimeout: 900_000,
    fileParallelism: false,
  },
});
