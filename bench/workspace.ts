import { startVitest } from "vitest/node";

/**
 * Benchmarks of the per-user workspace: warm ctx_bash through the object against the sandbox
 * host alone, token mints and Postgres queries over warm calls, and the cold first call
 * against a plain `git clone`. They run inside workerd (bench/workerd/workspace.measure.ts),
 * on the same local stack as the tests, and print their figures.
 *
 *   npx tsx bench/workspace.ts
 */
const vitest = await startVitest("test", [], { config: "bench/vitest.config.ts", watch: false });
await vitest.close();
process.exit(vitest.state.getCountOfFailedTests() > 0 ? 1 : 0);
