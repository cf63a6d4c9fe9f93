import { parseArgs } from "node:util";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import { z } from "zod";
import { authUserId, gitHubUserToken, HttpVisitor, onboard } from "../tests/http-visitor";
import { connectWithConsent, SdkOAuthClient } from "../tests/sdk-oauth-client";
import { startWorkerStack } from "../tests/worker-stack";
import { NEEDLE, seedLargeMemory } from "./large-memory";
import { timePlainClone } from "./plain-clone";
import { execOnHost } from "./sandbox-host-exec";
import { ms, ratio, summarise } from "./stats";

/**
 * Benchmarks over real HTTP against the built Worker under `wrangler dev` and the local stack
 * (as `npm run preview` serves it), each figure against a floor measured in the same run,
 * interleaved (A, floor, A, floor, …), with the official MCP SDK client (issues 15 and 18):
 *
 *   npm run bench:http [-- --calls 100 --files 5000 --megabytes 50 --cold 3]
 *
 * Prints one table of median, p99 and mean per figure and its floor, their ratios against
 * the goals, and what each floor is.
 */

const options = z
  .object({
    calls: z.coerce.number().int().min(5).max(5_000).default(100),
    files: z.coerce.number().int().min(20).max(50_000).default(5_000),
    megabytes: z.coerce.number().min(1).max(500).default(50),
    cold: z.coerce.number().int().min(1).max(20).default(3),
  })
  .parse(
    parseArgs({
      options: {
        calls: { type: "string" },
        files: { type: "string" },
        megabytes: { type: "string" },
        cold: { type: "string" },
      },
    }).values,
  );

const WARM_UP = 10;
/** A call's own limit for the bare execs: far above any figure here. */
const EXEC_LIMITS = { timeoutMs: 60_000, maxOutputBytes: 4 * 1024 * 1024, offline: true };

/** One figure and its floor; `a` is absent when the server does not offer what it measures. */
type Measured = { label: string; floorLabel: string; floorIs: string; goal: string; a?: number[]; floor: number[] };

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
// wrangler dev runs in a process group of its own: on Ctrl-C it would outlive this script.
for (const signal of ["SIGINT", "SIGTERM"] as const) {
  process.once(signal, () => {
    log(`${signal}: stopping the stack`);
    stack.stop().finally(() => process.exit(130));
  });
}
const results: Measured[] = [];
let instructionsAfterCold: number | undefined;
try {
  log(`stack ready in ${((performance.now() - startedAt) / 1000).toFixed(1)} s at ${stack.appUrl}`);
  const host = { url: stack.sandboxHostUrl, localSecret: stack.localSecret };
  const endpoint = new URL("/mcp", stack.appUrl);

  /**
   * A new person with a memory of their own: a GitHub account and repo seeded at the asked
   * scale; they sign in, install the App on that repo and pick it; their AI client connects
   * with OAuth (registration, PKCE, consent with write access). Nothing has run in a sandbox.
   */
  const newConnectedUser = async () => {
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
    const email = `${login}@example.com`;
    const visitor = new HttpVisitor({
      site: stack.appUrl,
      fetch: (url, init) => fetch(url, init),
      mailboxUrl: stack.mailboxUrl,
    });
    await visitor.signIn(email);
    await onboard(visitor, stack.github, login, [repo.name], repo.id);
    const oauth = new SdkOAuthClient("ctx4-ai HTTP benchmark");
    const { client } = await connectWithConsent(
      visitor,
      () => new StreamableHTTPClientTransport(endpoint, { authProvider: oauth }),
      { write: true },
      oauth,
    );
    const userId = await authUserId(stack.authUrl, stack.localSecret, email);
    return { login, repo, memory, oauth, client, userId };
  };

  /** A user's first tool call (config, token, a clone of the whole memory, the command), then a plain clone of the same repo. */
  const coldAndClone = async (user: Awaited<ReturnType<typeof newConnectedUser>>) => {
    const first = await timed(() => callTool(user.client, "ctx_bash", { command: "true" }));
    const token = await gitHubUserToken(stack.githubUrl, stack.github, stack.githubApp, user.login);
    return { first, clone: await timePlainClone(host, user.repo, token) };
  };

  const user = await newConnectedUser();
  const { client, oauth, memory, userId } = user;
  const tools = new Set((await client.listTools()).tools.map((tool) => tool.name));
  const offersResources = client.getServerCapabilities()?.resources !== undefined;
  log(`connected; tools: ${[...tools].sort().join(", ")}; resources: ${offersResources ? "offered" : "not offered"}`);

  log(`cold first call: ${options.cold} new users`);
  const cold = { a: [] as number[], floor: [] as number[] };
  for (let run = 0; run < options.cold; run += 1) {
    const coldUser = run === 0 ? user : await newConnectedUser();
    const { first, clone } = await coldAndClone(coldUser);
    cold.a.push(first);
    cold.floor.push(clone);
    if (run === 0) instructionsAfterCold = await timed(() => callTool(client, "ctx_instructions", {}));
    else await coldUser.client.close();
  }
  results.push({
    label: 'cold first call (ctx_bash "true")',
    floorLabel: "git clone",
    floorIs:
      "a plain `git clone` of the same repo in a fresh sandbox, through the same egress relay and the Worker's git route code (run by the benchmark, with the person's token)",
    goal: "median ≤1.3x",
    ...cold,
  });

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
    log(
      `${read.label}: ${options.calls} rounds${read.offered ? "" : " of the floor alone (not offered by this server)"}`,
    );
    if (!read.offered) {
      const floor: number[] = [];
      for (let round = 0; round < WARM_UP + options.calls; round += 1) {
        const elapsed = await timed(read.floor);
        if (round >= WARM_UP) floor.push(elapsed);
      }
      results.push({ ...read, a: undefined, floor });
      continue;
    }
    results.push({ ...read, ...(await interleaved(options.calls, read.a, read.floor)) });
  }
  await client.close();
} finally {
  await stack.stop();
}

const pad = (text: string, width: number) => text.padEnd(width);
const rows = results.map((result) => {
  const floor = summarise(result.floor);
  const floorCell = `${result.floorLabel}: ${ms(floor.median)} / ${ms(floor.p99)} / ${ms(floor.mean)}`;
  if (!result.a) return [result.label, "not offered by this server", floorCell, "", result.goal];
  const a = summarise(result.a);
  return [
    result.label,
    `${ms(a.median)} / ${ms(a.p99)} / ${ms(a.mean)}`,
    floorCell,
    `${ratio(a.median, floor.median)} / ${ratio(a.p99, floor.p99)} / ${ratio(a.mean, floor.mean)}`,
    result.goal,
  ];
});
const header = ["figure", "median / p99 / mean", "floor: median / p99 / mean", "ratio", "goal"];
const widths = header.map((title, column) => Math.max(title.length, ...rows.map((row) => row[column]?.length ?? 0)));
console.log(
  [
    "",
    `== ctx4-ai over real HTTP (wrangler dev): ${options.calls} interleaved calls each (cold: ${options.cold} new users), memory of ${options.files} files and about ${options.megabytes} MB`,
    header.map((title, column) => pad(title, widths[column] ?? 0)).join("  "),
    ...rows.map((row) => row.map((cell, column) => pad(cell, widths[column] ?? 0)).join("  ")),
    "",
    instructionsAfterCold === undefined
      ? ""
      : `ctx_instructions right after the first user's cold call: ${ms(instructionsAfterCold)}`,
    "",
    "What each floor is:",
    ...results.map((result) => `- ${result.label}: ${result.floorIs}`),
  ].join("\n"),
);
