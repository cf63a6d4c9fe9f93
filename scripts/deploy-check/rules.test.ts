import { randomBytes } from "node:crypto";
import { describe, expect, it } from "vitest";
import { unstable_readConfig } from "wrangler";
import {
  BUNDLE_BUDGET,
  bundleProblems,
  type DeployConfig,
  DeployConfigSchema,
  dryRunConfig,
  findPlaceholders,
  hyperdriveProblems,
  MIN_ROLLOUT_GRACE_SECONDS,
  measureBundle,
  rolloutProblems,
  varsProblems,
} from "./rules";

const shipped = DeployConfigSchema.parse(unstable_readConfig({ config: "wrangler.toml" }));
const REAL_ID = "a1b2c3d4e5f60718293a4b5c6d7e8f90";

function filled(overrides: Partial<DeployConfig> = {}): DeployConfig {
  return DeployConfigSchema.parse({
    name: "ctx4-ai",
    vars: { APP_ORIGIN: "https://ctx4.ai" },
    kv_namespaces: [{ binding: "OAUTH_KV", id: REAL_ID }],
    hyperdrive: [{ binding: "HYPERDRIVE", id: REAL_ID }],
    ...overrides,
  });
}

describe("placeholders", () => {
  it("finds every placeholder the repo's wrangler.toml ships, so a production check refuses it", () => {
    expect(findPlaceholders(shipped).map(({ where }) => where)).toEqual([
      "kv_namespaces OAUTH_KV id",
      "hyperdrive HYPERDRIVE id",
      "vars APP_ORIGIN",
    ]);
  });

  it("finds none in a config with real ids and origin", () => {
    expect(findPlaceholders(filled())).toEqual([]);
  });

  it.each([
    "https://ctx4-ai.example.workers.dev",
    "https://example.com",
    "http://ctx4.ai",
    "https://ctx4.ai/",
    "https://ctx4.ai/mcp",
    "",
  ])("refuses APP_ORIGIN %j", (origin) => {
    expect(findPlaceholders(filled({ vars: { APP_ORIGIN: origin } }))).toEqual([
      { where: "vars APP_ORIGIN", value: origin },
    ]);
  });

  it("refuses a missing APP_ORIGIN and a KV namespace without an id", () => {
    const config = filled({ vars: {}, kv_namespaces: [{ binding: "OAUTH_KV" }] });
    expect(findPlaceholders(config).map(({ where }) => where)).toEqual([
      "kv_namespaces OAUTH_KV id",
      "vars APP_ORIGIN",
    ]);
  });
});

describe("bundle budget", () => {
  it("measures raw bytes and each file gzipped", () => {
    const size = measureBundle([new Uint8Array(100_000).fill(97), randomBytes(10_000)]);
    expect(size.raw).toBe(110_000);
    // Repeated bytes shrink to almost nothing; random ones do not shrink.
    expect(size.gzip).toBeGreaterThan(10_000);
    expect(size.gzip).toBeLessThan(11_000);
  });

  it("passes a bundle at the budget and fails one over it, naming the measure", () => {
    expect(bundleProblems(BUNDLE_BUDGET)).toEqual([]);
    expect(bundleProblems({ raw: BUNDLE_BUDGET.raw + 1, gzip: BUNDLE_BUDGET.gzip })).toEqual([
      `bundle raw ${BUNDLE_BUDGET.raw + 1} bytes is over the budget of ${BUNDLE_BUDGET.raw} bytes`,
    ]);
    expect(bundleProblems({ raw: 1, gzip: BUNDLE_BUDGET.gzip + 1 })).toHaveLength(1);
  });
});

describe("Hyperdrive reads are never cached", () => {
  it("has one Hyperdrive binding, the one every Postgres read goes through, and checks it", () => {
    expect(shipped.hyperdrive.map(({ binding }) => binding)).toEqual(["HYPERDRIVE"]);
    const asked: string[] = [];
    hyperdriveProblems(filled(), (id) => asked.push(id));
    expect(asked).toEqual([REAL_ID]);
  });

  it("fails a config that caches (caching is on unless the API says disabled)", () => {
    const config = filled();
    for (const answer of [{ id: REAL_ID }, { id: REAL_ID, caching: { disabled: false, max_age: 60 } }]) {
      expect(hyperdriveProblems(config, () => answer)).toEqual([
        `hyperdrive HYPERDRIVE (${REAL_ID}) caches reads: run \`wrangler hyperdrive update ${REAL_ID} --caching-disabled\``,
      ]);
    }
    expect(hyperdriveProblems(config, () => ({ id: REAL_ID, caching: { disabled: true } }))).toEqual([]);
  });

  it("checks every binding, so a second, cached one cannot slip in", () => {
    const second = "f".repeat(32);
    const config = filled({
      hyperdrive: [
        { binding: "HYPERDRIVE", id: REAL_ID },
        { binding: "HYPERDRIVE_CACHED", id: second },
      ],
    });
    const problems = hyperdriveProblems(config, (id) => ({ id, caching: { disabled: id === REAL_ID } }));
    expect(problems).toHaveLength(1);
    expect(problems[0]).toMatch(/^hyperdrive HYPERDRIVE_CACHED /);
  });

  it("fails when wrangler could not read the config (no account), rather than passing unchecked", () => {
    expect(hyperdriveProblems(filled(), () => undefined)).toEqual([
      "hyperdrive HYPERDRIVE: `wrangler hyperdrive get` gave no Hyperdrive config (wrangler login or CLOUDFLARE_API_TOKEN?)",
    ]);
  });
});

describe("dry-run config", () => {
  it("swaps only each container's Dockerfile for an image reference, so no Docker is needed", () => {
    const built = DeployConfigSchema.parse({
      ...filled(),
      containers: [
        {
          class_name: "Sandbox",
          name: "ctx4-ai-sandbox",
          image: "/repo/Dockerfile",
          image_build_context: "/repo",
          max_instances: 50,
        },
      ],
    });
    expect(dryRunConfig(built)).toEqual({
      ...built,
      containers: [
        {
          class_name: "Sandbox",
          name: "ctx4-ai-sandbox",
          image: "registry.cloudflare.com/dry-run/ctx4-ai-sandbox:dry-run",
          max_instances: 50,
        },
      ],
    });
  });
});

describe("rollout grace period", () => {
  const withGrace = (grace?: number) =>
    filled({
      containers: [
        {
          class_name: "Sandbox",
          image: "./Dockerfile",
          ...(grace === undefined ? {} : { rollout_active_grace_period: grace }),
        },
      ],
    });

  it("is 660 s: a sync (180 s), the longest command (300 s), a sync", () => {
    expect(MIN_ROLLOUT_GRACE_SECONDS).toBe(660);
  });

  it("passes the repo's wrangler.toml", () => {
    expect(shipped.containers.map(({ class_name }) => class_name)).toEqual(["Sandbox"]);
    expect(rolloutProblems(shipped)).toEqual([]);
  });

  it("fails a container without one (wrangler's default is 0 s) or with a shorter one", () => {
    expect(rolloutProblems(withGrace())).toEqual([
      `containers Sandbox: rollout_active_grace_period is missing; a deploy would kill running commands before they push (set at least ${MIN_ROLLOUT_GRACE_SECONDS} s)`,
    ]);
    expect(rolloutProblems(withGrace(MIN_ROLLOUT_GRACE_SECONDS - 1))).toHaveLength(1);
    expect(rolloutProblems(withGrace(MIN_ROLLOUT_GRACE_SECONDS))).toEqual([]);
  });
});

describe("the Worker's [vars] settings", () => {
  it("passes the repo's wrangler.toml, and fails a progress interval the Worker would refuse", () => {
    expect(varsProblems(shipped)).toEqual([]);
    const withProgress = (seconds: unknown) => ({
      ...shipped,
      vars: { ...shipped.vars, MCP_PROGRESS_SECONDS: seconds },
    });
    expect(varsProblems(withProgress("90"))).toEqual([
      "vars: MCP_PROGRESS_SECONDS must be a whole number of seconds from 1 to 60 (past 60 s a client's default timeout ends the call first)",
    ]);
    expect(varsProblems(withProgress(5))).toEqual([]);
  });
});
