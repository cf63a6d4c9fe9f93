import { cloudflareTest } from "@cloudflare/vitest-pool-workers";
import { reactRouter } from "@react-router/dev/vite";
import type { Plugin, PluginOption } from "vite";

/**
 * The Vite plugins that run code inside workerd: the real Worker (React Router's build
 * included), wired to the test run's local stack from `tests/global-setup.ts`.
 */
export function workerdPlugins(): PluginOption[] {
  const instance: ReactRouterInstance = { plugins: reactRouter(), configured: false, served: false };
  reactRouters.push(instance);
  return [
    instance.plugins,
    cloudflareTest(({ inject }) => ({
      main: "./workers/app.ts",
      wrangler: { configPath: "./wrangler.toml" },
      miniflare: {
        hyperdrives: { HYPERDRIVE: inject("stack").databaseUrl },
        bindings: inject("stack").workerVars,
      },
    })),
    {
      name: "ctx4:react-router-state",
      config() {
        instance.configured = true;
      },
      configResolved() {
        instance.served = true;
      },
    },
  ];
}

/**
 * For the root config: when vitest closes, closes the React Router plugins of a workers project
 * that vitest dropped. React Router's `config` hook starts a file watcher (the route types'
 * typegen) that only its `buildEnd` closes, and vitest drops a project that `--project` leaves
 * out in a `config` hook of its own that runs after the plugins': such a project's server is
 * never made, nor closed, and the watcher held every run of only the node or e2e files 10 s past
 * its end, until vitest gave up ("close timed out after 10000ms").
 */
export function closeDroppedReactRouter(): Plugin {
  return {
    name: "ctx4:close-dropped-react-router",
    configureVitest({ vitest }) {
      // Once per vitest: every project that extends the root config brings this plugin too.
      if (registry.ctx4Closing?.has(vitest)) return;
      registry.ctx4Closing ??= new WeakSet();
      registry.ctx4Closing.add(vitest);
      vitest.onClose(async () => {
        for (const instance of reactRouters.filter(({ configured, served }) => configured && !served)) {
          const main = (await instance.plugins).find((plugin) => plugin.name === "react-router");
          // React Router's buildEnd reads no plugin context: it closes what its config hook started.
          if (typeof main?.buildEnd === "function") await main.buildEnd.call(undefined as never);
        }
      });
    },
  };
}

type ReactRouterInstance = { plugins: ReturnType<typeof reactRouter>; configured: boolean; served: boolean };

/**
 * Every workers project's React Router plugins made in this process, and whether their `config`
 * hook ran and vitest then served them; and each vitest that will close them. On globalThis:
 * vitest evaluates the config file more than once (the root, and the projects that extend it),
 * each time with new plugins.
 */
const registry = globalThis as { ctx4ReactRouters?: ReactRouterInstance[]; ctx4Closing?: WeakSet<object> };
registry.ctx4ReactRouters ??= [];
const reactRouters = registry.ctx4ReactRouters;
