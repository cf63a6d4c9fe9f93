import { cpSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
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
 * then start it again. It serves a copy of `build/` taken at its start, so a rebuild under it
 * (another test run, `npm run bench`, `npm run preview`) changes nothing it serves: wrangler
 * watches the assets folder whatever `watch` says (its BundlerController) and reloads the
 * Worker when a file there changes, which answered the POSTs in flight with 503 "Your worker
 * restarted mid-request" and could leave the server answering nothing. Local state stays in
 * `.wrangler/state` (from where it is started, the project's root under npm) unless
 * `--persist-to` says otherwise, as `wrangler dev` keeps it.
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
const snapshot = mkdtempSync(join(tmpdir(), "ctx4-built-worker-"));
const removeSnapshot = () => rmSync(snapshot, { recursive: true, force: true });
process.once("exit", removeSnapshot);
cpSync("build", snapshot, { recursive: true });
const worker = await unstable_startWorker({
  config: join(snapshot, "server", "wrangler.json"),
  envFiles: options["env-file"] ? [options["env-file"]] : undefined,
  dev: {
    remote: false,
    inspector: false,
    watch: false,
    enableContainers: false,
    server: { hostname: options.ip, port: options.port },
    // The copy's own folder would be gone at the next start.
    persist: options["persist-to"] ?? ".wrangler/state",
  },
});
await worker.ready;
console.log(`Ready on ${await worker.url}`);
for (const signal of ["SIGINT", "SIGTERM"] as const)
  process.once(signal, () => {
    worker.dispose().finally(() => process.exit(0));
  });
