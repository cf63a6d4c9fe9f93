import { parseArgs } from "node:util";
import { unstable_startWorker } from "wrangler";
import { z } from "zod";

/**
 * Serves the built Worker (`npm run build`'s output, found as `wrangler dev` finds it) as
 * `wrangler dev` does, through wrangler's own `startWorker`, but with its inspector off:
 *
 *   tsx local/serve-built-worker.ts --port 8787 [--env-file F] [--persist-to DIR]
 *
 * Why not `wrangler dev` itself: its CLI always starts the inspector, and wrangler's inspector
 * proxy enables the runtime's Network domain and sends every inspector event to wrangler's
 * Node process as an HTTP request of its own (InspectorProxyWorker's `sendDebugLog`): one per
 * chunk of every `fetch` the Worker makes. A first clone of a 231 MiB memory made 20,000 such
 * sockets in 25 s, workerd ran out of file descriptors ("Too many open files") and the clone
 * never finished; every small call paid for them too (README, Decisions).
 * Prints `Ready on <url>` once it answers; stops on SIGINT or SIGTERM. It never reloads: rebuild,
 * then start it again.
 */
const options = z
  .object({
    port: z.coerce.number().int().min(1).max(65_535),
    ip: z.string().default("127.0.0.1"),
    "env-file": z.string().optional(),
    "persist-to": z.string().optional(),
  })
  .parse(
    parseArgs({
      options: {
        port: { type: "string" },
        ip: { type: "string" },
        "env-file": { type: "string" },
        "persist-to": { type: "string" },
      },
    }).values,
  );

// It serves the build it started with: every build rewrites build/server/wrangler.json, and
// wrangler reloads the Worker when it sees its config file change (its ConfigController).
process.env.WRANGLER_CI_DISABLE_CONFIG_WATCHING = "true";
const worker = await unstable_startWorker({
  envFiles: options["env-file"] ? [options["env-file"]] : undefined,
  dev: {
    remote: false,
    inspector: false,
    watch: false,
    enableContainers: false,
    server: { hostname: options.ip, port: options.port },
    ...(options["persist-to"] ? { persist: options["persist-to"] } : {}),
  },
});
await worker.ready;
console.log(`Ready on ${await worker.url}`);
for (const signal of ["SIGINT", "SIGTERM"] as const)
  process.once(signal, () => {
    worker.dispose().finally(() => process.exit(0));
  });
