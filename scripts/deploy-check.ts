/**
 * `npm run deploy:check`: is this checkout deployable? Builds the app, runs wrangler's dry-run
 * deploy on the config the build wrote, then fails on a bundle over `BUNDLE_BUDGET`, on a
 * container whose rollout grace period is shorter than a whole `ctx_bash` call, and, when
 * `CTX4_DEPLOY_ENV=production`, on placeholders left in the config and on a Hyperdrive config
 * that caches reads (that check asks Cloudflare, so it needs the account `wrangler login` gives).
 * Without `CTX4_DEPLOY_ENV=production` (CI, offline, no account) placeholders are listed, not
 * failed on. Which config is checked: the top level of `wrangler.toml`, or the `[env.<name>]`
 * section when `CLOUDFLARE_ENV=<name>` is set, as for the build that deploys.
 */
import { execFileSync } from "node:child_process";
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { z } from "zod";
import {
  BUNDLE_BUDGET,
  bundleProblems,
  DeployConfigSchema,
  dryRunConfig,
  findPlaceholders,
  hyperdriveProblems,
  measureBundle,
  rolloutProblems,
  varsProblems,
} from "./deploy-check/rules";

const BUILT_CONFIG = "build/server/wrangler.json";
// Beside the built config: its paths (main, assets) are relative to it.
const DRY_RUN_CONFIG = "build/server/wrangler.dry-run.json";

// Any other value is a typo that would silently skip the production checks.
const production =
  z
    .enum(["production"])
    .optional()
    .parse(process.env.CTX4_DEPLOY_ENV || undefined) === "production";
const wrangler = (args: string[], stdio: "inherit" | "pipe") =>
  execFileSync("npx", ["--no-install", "wrangler", ...args], { stdio: ["ignore", stdio, "inherit"], encoding: "utf8" });

/** `wrangler hyperdrive get <id>` as JSON (parsed, never printed), or undefined when wrangler failed. */
function hyperdriveGet(id: string): unknown {
  try {
    const printed = wrangler(["hyperdrive", "get", id], "pipe");
    // wrangler prints its banner before the JSON.
    return JSON.parse(printed.slice(printed.indexOf("{")));
  } catch {
    return undefined;
  }
}

execFileSync("npm", ["run", "build"], { stdio: "inherit" });
const config = DeployConfigSchema.parse(JSON.parse(readFileSync(BUILT_CONFIG, "utf8")));
writeFileSync(DRY_RUN_CONFIG, JSON.stringify(dryRunConfig(config)));

const outdir = mkdtempSync(join(tmpdir(), "ctx4-deploy-check-"));
const problems: string[] = [];
try {
  wrangler(["deploy", "--dry-run", "--config", DRY_RUN_CONFIG, "--outdir", outdir], "inherit");
  const modules = readdirSync(outdir, { recursive: true, encoding: "utf8" }).filter((file) => file.endsWith(".js"));
  const size = measureBundle(modules.map((file) => readFileSync(join(outdir, file))));
  console.log(
    `bundle: ${size.raw} bytes raw, ${size.gzip} bytes gzip (budget ${BUNDLE_BUDGET.raw} / ${BUNDLE_BUDGET.gzip})`,
  );
  problems.push(...bundleProblems(size));
} finally {
  rmSync(outdir, { recursive: true, force: true });
}

problems.push(...rolloutProblems(config));
problems.push(...varsProblems(config));
const placeholders = findPlaceholders(config).map(({ where, value }) => `placeholder in ${where}: ${value}`);
if (production) {
  problems.push(...placeholders);
  problems.push(...hyperdriveProblems(config, hyperdriveGet));
} else {
  for (const line of placeholders) console.log(`${line} (allowed: CTX4_DEPLOY_ENV is not production)`);
  console.log("hyperdrive caching: not checked (asks Cloudflare; runs with CTX4_DEPLOY_ENV=production)");
}

for (const problem of problems) console.error(`deploy:check: ${problem}`);
if (problems.length > 0) process.exit(1);
console.log(`deploy:check: ${config.name} is deployable${production ? "" : " once its placeholders are filled"}`);
