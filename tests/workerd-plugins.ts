import { cloudflareTest } from "@cloudflare/vitest-pool-workers";
import { reactRouter } from "@react-router/dev/vite";
import type { PluginOption } from "vite";

/**
 * The Vite plugins that run code inside workerd: the real Worker (React Router's build
 * included), wired to the test run's local stack from `tests/global-setup.ts`.
 */
export function workerdPlugins(): PluginOption[] {
  return [
    reactRouterAfterProjectFilter(),
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

/**
 * React Router's plugins, with its `config` hook run last. That hook starts a file watcher, and
 * vitest drops a project left out by `--project` only in a `config` hook of its own that runs
 * after the plugins' (enforce "post"): the project's server is never made, so never closed,
 * and the watcher held every run without this project (`--project node`) 10 s past its end,
 * until vitest gave up waiting ("close timed out after 10000ms").
 */
async function reactRouterAfterProjectFilter(): Promise<PluginOption[]> {
  const plugins = (await reactRouter()).flat();
  return plugins.map((plugin) =>
    plugin && typeof plugin === "object" && "name" in plugin && typeof plugin.config === "function"
      ? { ...plugin, config: { order: "post" as const, handler: plugin.config } }
      : plugin,
  );
}
