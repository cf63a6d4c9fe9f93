import { gzipSync } from "node:zlib";
import { z } from "zod";
import { progressEveryMs } from "../../workers/mcp/progress";
import { MAX_TIMEOUT_SECONDS } from "../../workers/workspace/bash-input";
import { SYNC_TIMEOUT_MS } from "../../workers/workspace/sync-settings";

/**
 * The part of a flattened Wrangler config (the `build/server/wrangler.json` that the Cloudflare
 * Vite plugin writes, one environment already applied) that decides whether it can be deployed.
 * Other keys pass through untouched.
 */
export const DeployConfigSchema = z.looseObject({
  name: z.string(),
  vars: z.record(z.string(), z.unknown()).default({}),
  kv_namespaces: z.array(z.looseObject({ binding: z.string(), id: z.string().optional() })).default([]),
  hyperdrive: z.array(z.looseObject({ binding: z.string(), id: z.string() })).default([]),
  containers: z
    .array(
      z.looseObject({
        class_name: z.string(),
        image: z.string(),
        name: z.string().optional(),
        rollout_active_grace_period: z.number().optional(),
      }),
    )
    .default([]),
});
export type DeployConfig = z.infer<typeof DeployConfigSchema>;

/** A value in the config that still holds what the repo ships instead of a real resource. */
export type Placeholder = { where: string; value: string };

/** Whether `id` is the all-zero KV namespace or Hyperdrive id that `wrangler.toml` ships. */
export const isPlaceholderId = (id: string) => /^0+$/.test(id);
// Cloudflare's documentation domain for examples; no deployment of ours lives there.
const PLACEHOLDER_HOST = /(^|\.)example\.(workers\.dev|com|org|net)$/;

/**
 * Every placeholder left in `config`: an all-zero KV namespace or Hyperdrive id, or an
 * `APP_ORIGIN` that is not an https origin of a real host (`*.example.workers.dev` as shipped).
 */
export function findPlaceholders(config: DeployConfig): Placeholder[] {
  const found: Placeholder[] = [];
  for (const kv of config.kv_namespaces) {
    if (kv.id === undefined || isPlaceholderId(kv.id)) {
      found.push({ where: `kv_namespaces ${kv.binding} id`, value: kv.id ?? "(missing)" });
    }
  }
  for (const hyperdrive of config.hyperdrive) {
    if (isPlaceholderId(hyperdrive.id)) {
      found.push({ where: `hyperdrive ${hyperdrive.binding} id`, value: hyperdrive.id });
    }
  }
  const origin = config.vars.APP_ORIGIN;
  if (typeof origin !== "string" || !isRealOrigin(origin)) {
    found.push({ where: "vars APP_ORIGIN", value: String(origin ?? "(missing)") });
  }
  return found;
}

function isRealOrigin(value: string): boolean {
  const url = URL.parse(value);
  return url !== null && url.protocol === "https:" && url.origin === value && !PLACEHOLDER_HOST.test(url.hostname);
}

/** Bytes of the Worker's modules as uploaded: `raw` summed, and `gzip` summed over each file gzipped. */
export type BundleSize = { raw: number; gzip: number };

/**
 * The most the Worker's modules may weigh (all `.js` files of `wrangler deploy --dry-run
 * --outdir`). Set from the bundle of 2026-12-01 with the Activity and file pages and the secret scan, plus about 2%
 * headroom; see the README's Decisions for the figures and for why `agents/mcp` is still in it.
 */
export const BUNDLE_BUDGET: BundleSize = { raw: 7_110_000, gzip: 1_620_000 };

/** Sizes of `files` (each file's bytes), gzipped one by one at zlib's default level. */
export function measureBundle(files: Uint8Array[]): BundleSize {
  let raw = 0;
  let gzip = 0;
  for (const bytes of files) {
    raw += bytes.byteLength;
    gzip += gzipSync(bytes).byteLength;
  }
  return { raw, gzip };
}

/** One message for each measure of `size` over `budget`; none when it fits. */
export function bundleProblems(size: BundleSize, budget: BundleSize = BUNDLE_BUDGET): string[] {
  const problems: string[] = [];
  for (const measure of ["raw", "gzip"] as const) {
    if (size[measure] > budget[measure]) {
      problems.push(`bundle ${measure} ${size[measure]} bytes is over the budget of ${budget[measure]} bytes`);
    }
  }
  return problems;
}

// The fields of `wrangler hyperdrive get` (the API's Hyperdrive config) that we check.
const HyperdriveConfigSchema = z.looseObject({
  id: z.string(),
  caching: z.looseObject({ disabled: z.boolean().optional() }).optional(),
});

/*
 * Why the Hyperdrive config behind `binding` is not fit for our reads, or undefined when it is.
 * Every read of ours must see the write before it (a config row is read again right after it
 * is saved), and Hyperdrive caches reads for up to a minute unless the config was created with
 * `--caching-disabled` (developers.cloudflare.com/hyperdrive/concepts/query-caching/). Caching
 * is on when the API omits `caching.disabled`. `getOutput` is what `wrangler hyperdrive get`
 * printed as JSON.
 */
function hyperdriveCachingProblem(binding: string, getOutput: unknown): string | undefined {
  const parsed = HyperdriveConfigSchema.safeParse(getOutput);
  if (!parsed.success)
    return `hyperdrive ${binding}: \`wrangler hyperdrive get\` gave no Hyperdrive config (wrangler login or CLOUDFLARE_API_TOKEN?)`;
  if (parsed.data.caching?.disabled !== true) {
    return `hyperdrive ${binding} (${parsed.data.id}) caches reads: run \`wrangler hyperdrive update ${parsed.data.id} --caching-disabled\``;
  }
  return undefined;
}

/**
 * The caching problem of every Hyperdrive binding in `config` whose id is filled in: all of
 * them, since any of them may serve a read that follows a write. `get` returns what
 * `wrangler hyperdrive get <id>` printed as JSON, or undefined when it failed.
 */
export function hyperdriveProblems(config: DeployConfig, get: (id: string) => unknown): string[] {
  return config.hyperdrive
    .filter(({ id }) => !isPlaceholderId(id))
    .flatMap(({ binding, id }) => hyperdriveCachingProblem(binding, get(id)) ?? []);
}

/**
 * `config` for `wrangler deploy --dry-run` on a machine without Docker: each container's
 * Dockerfile becomes a registry image reference, which wrangler accepts without building
 * (it has no flag to skip the image build). Everything else is the config that would deploy.
 */
export function dryRunConfig(config: DeployConfig): DeployConfig {
  return {
    ...config,
    containers: config.containers.map(({ image_build_context: _context, ...container }) => ({
      ...container,
      image: `registry.cloudflare.com/dry-run/${container.name ?? container.class_name.toLowerCase()}:dry-run`,
    })),
  };
}

/**
 * The shortest `rollout_active_grace_period` (seconds) a container may have: one whole
 * `ctx_bash` call, that is the sync that catches up before the command, the longest command
 * (`MAX_TIMEOUT_SECONDS`) and the sync that commits and pushes its changes. A deploy replaces
 * running containers, and wrangler's default grace is 0 s: the grace is the least time an
 * active instance keeps running before it gets SIGTERM
 * (developers.cloudflare.com/containers/platform-details/rollouts/), and the sandbox's control
 * plane answers SIGTERM by cleaning up its processes and exiting (cloudflare/sandbox-sdk,
 * packages/sandbox-container/src/server.ts, registerShutdownHandlers), so a command running
 * then would be killed before its changes were pushed.
 */
export const MIN_ROLLOUT_GRACE_SECONDS = (2 * SYNC_TIMEOUT_MS) / 1000 + MAX_TIMEOUT_SECONDS;

/** One message for each container of `config` whose rollout grace period is missing or under `MIN_ROLLOUT_GRACE_SECONDS`. */
export function rolloutProblems(config: DeployConfig): string[] {
  return config.containers.flatMap(({ class_name, rollout_active_grace_period: grace }) =>
    grace !== undefined && grace >= MIN_ROLLOUT_GRACE_SECONDS
      ? []
      : [
          `containers ${class_name}: rollout_active_grace_period is ${grace ?? "missing"}; a deploy would kill running commands before they push (set at least ${MIN_ROLLOUT_GRACE_SECONDS} s)`,
        ],
  );
}

/** One message for each `[vars]` setting the Worker would refuse at run time (MCP_PROGRESS_SECONDS). */
export function varsProblems(config: DeployConfig): string[] {
  const seconds = config.vars.MCP_PROGRESS_SECONDS;
  try {
    progressEveryMs(seconds === undefined ? undefined : String(seconds));
    return [];
  } catch (error) {
    return [`vars: ${error instanceof Error ? error.message : error}`];
  }
}
