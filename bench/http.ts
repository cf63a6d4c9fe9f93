import { parseArgs } from "node:util";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import { z } from "zod";
import { authUserId, HttpVisitor, onboard } from "../tests/http-visitor";
import { connectWithConsent, SdkOAuthClient } from "../tests/sdk-oauth-client";
import { startWorkerStack } from "../tests/worker-stack";
import { NEEDLE, seedLargeMemory } from "./large-memory";
import { execOnHost } from "./sandbox-host-exec";
import { ms, ratio, summarise } from "./stats";

/**
 * Benchmarks over real HTTP against the built Worker under `wrangler dev` and the local stack
 * (as `npm run preview` serves it), each figure against a floor measured in the same run,
 * interleaved (A, floor, A, floor, …), with the official MCP SDK client (issues 15 and 18):
 *
 *   npm run bench:http [-- --calls 100 --files 5000 --megabytes 50]
 *
 * Prints one table of median, p99 and mean per figure and its floor, their ratios against
 * the goals, and what each floor is.
 */

const options = z
  .object({
    calls: z.coerce.number().int().min(5).max(5_000).default(100),
    files: z.coerce.number().int().min(20).max(50_000).default(5_000),
    megabytes: z.coerce.number().min(1).max(500).default(50),
  })
  .parse(
    parseArgs({
      options: { calls: { type: "string" }, files: { type: "string" }, megabytes: { type: "string" } },
    }).values,
  );

const WARM_UP = 10;
/** A call's own limit for the bare execs: far above any figure here. */
const EXEC_LIMITS = { timeoutMs: 60_000, maxOutputBytes: 4 * 1024 * 1024, offline: true };

type Measured = { label: string; floorLabel: string; floorIs: string; goal: string; a: number[]; floor: number[] };
type Skipped = { label: string; skipped: string };

const log = (line: string) => console.log(`[bench] ${line}`);
const timed = async (work: () => Promise<unknown>) => {
  const started = performance.now();
  await work();
  return performance.now() - started;
};

/** `calls` rounds of A then its floor, after a few unmeasured rounds of each. */
async function interleaved(
  calls: number,
  a: () => Promise<unknown>,
  floor: () => Promise<unknown>,
): Promise<{ a: number[]; floor: number[] }> {
  for (let round = 0; round < WARM_UP; round += 1) {
    await a();
    await floor();
  }
  const samples = { a: [] as number[], floor: [] as number[] };
  for (let round = 0; round < calls; round += 1) {
    samples.a.push(await timed(a));
    samples.floor.push(await timed(floor));
  }
  return samples;
}

/** A tool call that must succeed: the SDK reports a tool's failure as a result, not a throw. */
async function callTool(client: Client, name: string, args: Record<string, unknown>) {
  const result = await client.callTool({ name, arguments: args });
  if (result.isError) throw new Error(`${name} failed: ${JSON.stringify(result.content).slice(0, 500)}`);
  return result;
}

const startedAt = performance.now();
log(`building the Worker and starting the local stack under wrangler dev`);
const stack = await startWorkerStack(crypto.randomUUID());
const results: (Measured | Skipped)[] = [];
let cold: { firstCall: number; instructions: number } | undefined;
try {
  log(`stack ready in ${((performance.now() - startedAt) / 1000).toFixed(1)} s at ${stack.appUrl}`);

  const login = `bench-${crypto.randomUUID().slice(0, 8)}`;
  await stack.github.createAccount({ login, type: "User" });
  const repo = await stack.github.createRepo(login, "ctx", "empty");
  const seedStarted = performance.now();
  const memory = await seedLargeMemory(stack.github, repo.full_name, {
    files: options.files,
    bytes: options.megabytes * 1_000_000,
  });
  log(
    `seeded ${repo.full_name}: ${memory.paths.length} files, ${(memory.bytes / 1_000_000).toFixed(1)} MB, ${memory.commits} commits, in ${((performance.now() - seedStarted) / 1000).toFixed(1)} s`,
  );

  // A person signs in, installs the App on that repo and picks it; their AI client connects
  // with OAuth (registration, PKCE, consent with write access).
  const email = `${login}@example.com`;
  const visitor = new HttpVisitor({
    site: stack.appUrl,
    fetch: (url, init) => fetch(url, init),
    mailboxUrl: stack.mailboxUrl,
  });
  await visitor.signIn(email);
  await onboard(visitor, stack.github, login, [repo.name], repo.id);
  const userId = await authUserId(stack.authUrl, stack.localSecret, email);
  const endpoint = new URL("/mcp", stack.appUrl);
  const oauth = new SdkOAuthClient("ctx4-ai HTTP benchmark");
  const { client } = await connectWithConsent(
    visitor,
    () => new StreamableHTTPClientTransport(endpoint, { authProvider: oauth }),
    { write: true },
    oauth,
  );
  const tools = new Set((await client.listTools()).tools.map((tool) => tool.name));
  const offersResources = client.getServerCapabilities()?.resources !== undefined;
  log(`connected; tools: ${[...tools].sort().join(", ")}; resources: ${offersResources ? "offered" : "not offered"}`);

  // The first tool call of a new user: config, token, a clone of the whole memory, the command.
  cold = {
    firstCall: await timed(() => callTool(client, "ctx_bash", { command: "true" })),
    instructions: await timed(() => callTool(client, "ctx_instructions", {})),
  };

  const host = { url: stack.sandboxHostUrl, localSecret: stack.localSecret };
  const onHost = (command: string) => execOnHost(host, userId, { command, cwd: "repo", ...EXEC_LIMITS });
  const ping = () => client.ping();

  log(`session start: ${options.calls} rounds`);
  const sessionStart = async () => {
    const transport = new StreamableHTTPClientTransport(endpoint, { authProvider: oauth });
    const session = new Client({ name: "ctx4-ai HTTP benchmark", version: "1.0.0" });
    const elapsed = await timed(async () => {
      await session.connect(transport);
      await session.listTools();
    });
    await transport.terminateSession();
    await session.close();
    return elapsed;
  };
  {
    // The session's own clock stops at tools/list's answer, before the session is closed.
    const a: number[] = [];
    const floor: number[] = [];
    for (let round = 0; round < WARM_UP + options.calls; round += 1) {
      const opened = await sessionStart();
      const pinged = await timed(async () => {
        for (let trip = 0; trip < 3; trip += 1) await ping();
      });
      if (round >= WARM_UP) {
        a.push(opened);
        floor.push(pinged);
      }
    }
    results.push({
      label: "session start",
      floorLabel: "3 pings",
      floorIs: "three MCP pings on an open session: same token check, same hop to the user's object, same SDK dispatch",
      goal: "median ≤1.5x, p99 ≤2x",
      a,
      floor,
    });
  }

  log(`warm ctx_bash "true": ${options.calls} rounds`);
  results.push({
    label: 'warm ctx_bash "true"',
    floorLabel: "ping + exec",
    floorIs:
      "one MCP ping, then `true` sent straight to the sandbox host in the same clone, offline as ctx_bash runs it",
    goal: "median ≤1.2x, p99 ≤1.5x",
    ...(await interleaved(
      options.calls,
      () => callTool(client, "ctx_bash", { command: "true" }),
      async () => {
        await ping();
        await onHost("true");
      },
    )),
  });

  const readPath = memory.paths.find((path) => path.startsWith("knowledge/")) ?? "README.md";
  const reads: {
    label: string;
    offered: boolean;
    floorLabel: string;
    floorIs: string;
    goal: string;
    a: () => Promise<unknown>;
    floor: () => Promise<unknown>;
  }[] = [
    {
      label: `ctx_search "${NEEDLE}"`,
      offered: tools.has("ctx_search"),
      floorLabel: "git grep",
      floorIs: `a bare \`git grep -n -I -F -e ${NEEDLE}\` sent straight to the sandbox host in the same clone`,
      goal: "median ≤1.5x",
      a: () => callTool(client, "ctx_search", { query: NEEDLE }),
      floor: () => onHost(`git grep -n -I -F -e ${NEEDLE}`),
    },
    {
      label: `ctx_read (${readPath})`,
      offered: tools.has("ctx_read"),
      floorLabel: "cat",
      floorIs: "a bare `cat` of the same file sent straight to the sandbox host",
      goal: "median ≤1.2x",
      a: () => callTool(client, "ctx_read", { path: readPath }),
      floor: () => onHost(`cat -- '${readPath}'`),
    },
    {
      label: "resources/list, first page",
      offered: offersResources,
      floorLabel: "git ls-files",
      floorIs: "a bare `git ls-files` of the whole clone sent straight to the sandbox host",
      goal: "median ≤1.5x",
      a: () => client.listResources(),
      floor: () => onHost("git ls-files"),
    },
  ];
  for (const read of reads) {
    if (!read.offered) {
      results.push({ label: read.label, skipped: "not offered by this server" });
      continue;
    }
    log(`${read.label}: ${options.calls} rounds`);
    results.push({ ...read, ...(await interleaved(options.calls, read.a, read.floor)) });
  }
  await client.close();
} finally {
  await stack.stop();
}

const pad = (text: string, width: number) => text.padEnd(width);
const rows = results.map((result) => {
  if ("skipped" in result) return [result.label, result.skipped, "", "", ""];
  const a = summarise(result.a);
  const floor = summarise(result.floor);
  return [
    result.label,
    `${ms(a.median)} / ${ms(a.p99)} / ${ms(a.mean)}`,
    `${result.floorLabel}: ${ms(floor.median)} / ${ms(floor.p99)} / ${ms(floor.mean)}`,
    `${ratio(a.median, floor.median)} / ${ratio(a.p99, floor.p99)} / ${ratio(a.mean, floor.mean)}`,
    result.goal,
  ];
});
const header = ["figure", "median / p99 / mean", "floor: median / p99 / mean", "ratio", "goal"];
const widths = header.map((title, column) => Math.max(title.length, ...rows.map((row) => row[column]?.length ?? 0)));
console.log(
  [
    "",
    `== ctx4-ai over real HTTP (wrangler dev), ${options.calls} interleaved calls each, memory of ${options.files} files and about ${options.megabytes} MB`,
    header.map((title, column) => pad(title, widths[column] ?? 0)).join("  "),
    ...rows.map((row) => row.map((cell, column) => pad(cell, widths[column] ?? 0)).join("  ")),
    "",
    cold
      ? `cold first call (new user: config, token, clone of the whole memory, ctx_bash "true"): ${ms(cold.firstCall)}; then ctx_instructions: ${ms(cold.instructions)}`
      : "",
    "",
    "What each floor is:",
    ...results.map((result) => `- ${result.label}: ${"skipped" in result ? result.skipped : result.floorIs}`),
  ].join("\n"),
);
