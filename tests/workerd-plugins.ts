import { cloudflareTest } from "@cloudflare/vitest-pool-workers";
import { reactRouter } from "@react-router/dev/vite";

/**
 * The Vite plugins that run code inside workerd: the real Worker (React Router's build
 * included), wired to the test run's local stack from `tests/global-setup.ts`.
 */
export function workerdPlugins() {
  return [
    reactRouter(),
    cloudflareTest(({ inject }) => ({
      main: "./workers/app.ts",
      wrangler: { configPath: "./wrangler.toml" },
      miniflare: {
        hyperdrives: { HYPERDRIVE: inject("stack").databaseUrl },
        bindings: inject("stack").workerVars,
      },
    })),
  ];
}
