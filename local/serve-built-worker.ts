import { cpSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { parseArgs, parseEnv } from "node:util";
import { Log, LogLevel, Miniflare, type ModuleRule } from "miniflare";
import { unstable_getMiniflareWorkerOptions } from "wrangler";
import { z } from "zod";

/**
 * Serves the built Worker (`npm run build`'s output) on workerd through Miniflare, with the
 * options wrangler itself derives from the build's `wrangler.json` (its
 * `unstable_getMiniflareWorkerOptions`): the runtime, bindings, assets and local storage of
 * `wrangler dev`, without its dev proxy or inspector:
 *
 *   tsx local/serve-built-worker.ts --port 8787 [--env-file F] [--persist-to DIR]
 *
 * Why not `wrangler dev` (or wrangler's `startWorker`): both put wrangler's ProxyWorker in
 * front of the Worker, a second workerd that forwards each request over a pooled keep-alive
 * connection. The Worker's server closes a connection idle for 5 s, the proxy may pick it at
 * that moment, and the proxy then answers a POST with 503 "Your worker restarted
 * mid-request" though nothing restarted (cloudflare/workers-sdk#14641; upstream retries only
 * GET and HEAD): under 32 people at once, up to 5 MCP calls of a bench run failed so. Its CLI
 * also always starts the inspector, whose proxy sent every inspector event to wrangler's
 * Node process as an HTTP request of its own: a first clone of a 231 MiB memory made 20,000
 * such sockets in 25 s and workerd ran out of file descriptors (README, Decisions).
 * Variables come from `--env-file`, or else from the build's `.dev.vars` (the Cloudflare Vite
 * plugin copies it there), as `wrangler dev` takes them. Prints `Ready on <url>` once it
 * answers; stops on SIGINT or SIGTERM. It serves a copy of `build/` taken at its start, so a
 * rebuild under it (another test run, `npm run bench`, `npm run preview`) changes nothing it
 * serves. Local state stays in `.wrangler/state` (from where it is started, the project's root
 * under npm) unless `--persist-to` says otherwise, as `wrangler dev` keeps it.
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

const snapshot = mkdtempSync(join(tmpdir(), "ctx4-built-worker-"));
const removeSnapshot = () => rmSync(snapshot, { recursive: true, force: true });
process.once("exit", removeSnapshot);
cpSync("build", snapshot, { recursive: true });
const config = join(snapshot, "server", "wrangler.json");
const { workerOptions, main } = unstable_getMiniflareWorkerOptions(config, undefined, {
  overrides: { enableContainers: false },
});
if (!main) throw new Error(`${config} names no main module`);
// As `wrangler dev` takes them: from the env file given, or else the build's `.dev.vars`.
const envFile = options["env-file"] ?? join(dirname(config), ".dev.vars");
const vars = existsSync(envFile) ? parseEnv(readFileSync(envFile, "utf8")) : {};
const worker = new Miniflare({
  ...workerOptions,
  name: "ctx4-ai",
  modulesRoot: dirname(main),
  modules: moduleFiles(dirname(main), main, workerOptions.modulesRules ?? []),
  bindings: { ...workerOptions.bindings, ...vars },
  host: options.ip,
  port: options.port,
  // We are offline by design: no download of Cloudflare's request metadata.
  cf: false,
  defaultPersistRoot: options["persist-to"] ?? ".wrangler/state",
  log: new Log(LogLevel.INFO),
});
console.log(`Ready on ${await worker.ready}`);
for (const signal of ["SIGINT", "SIGTERM"] as const)
  process.once(signal, () => {
    worker.dispose().finally(() => process.exit(0));
  });

/**
 * Every file under `root` a rule of the build's config matches, the entry `main` first, as
 * wrangler collects a `no_bundle` build's modules (its `find_additional_modules`): the server
 * build imports its chunks with `import()`, which Miniflare cannot follow by itself. Each of
 * the rules' globs names one extension, in any folder.
 */
function moduleFiles(root: string, main: string, rules: ModuleRule[]) {
  const types = new Map<string, ModuleRule["type"]>();
  for (const rule of rules)
    for (const glob of rule.include) {
      const extension = /^\*\*\/\*(\.[\w.?]+)$/.exec(glob)?.[1];
      if (!extension) throw new Error(`unexpected module rule ${glob} in the build's config`);
      if (!types.has(extension)) types.set(extension, rule.type);
    }
  const files = readdirSync(root, { recursive: true, encoding: "utf8" }).map((file) => join(root, file));
  const modules = files.flatMap((path) => {
    const type = [...types].find(([extension]) => path.endsWith(extension))?.[1];
    return type && path !== main ? [{ type, path }] : [];
  });
  return [{ type: "ESModule" as const, path: main }, ...modules];
}
