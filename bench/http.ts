import { mkdtempSync, rmSync } from "node:fs";
import { cpus, loadavg, tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import { z } from "zod";
import { authUserId, gitHubUserToken, HttpVisitor, onboard } from "../tests/http-visitor";
import { connectWithConsent, SdkOAuthClient } from "../tests/sdk-oauth-client";
import { startWorkerStack } from "../tests/worker-stack";
import { generateMemory, type MemoryScale, NEEDLE, pushMemory } from "./memory";
import { timePlainClone } from "./plain-clone";
import { startQueryCounter } from "./postgres-counter";
import { execOnHost } from "./sandbox-host-exec";
import { ms, ratio, summarise, table } from "./stats";

/**
 * Benchmarks over real HTTP against the built Worker and the local stack (as `npm run preview`
 * serves them), with the official MCP SDK client (issues 15 and 18):
 *
 *   npm run bench [-- --calls 100 --files 5000 --megabytes 50 --cold 3 --growth-calls 20 --growth 1000x500 --users 32 --rounds 10 --parts main,growth,users]
 *
 * Prints, from one run:
 * - main: each figure against a floor measured in the same run, interleaved (A, floor, A,
 *   floor, …), median, p99 and mean, their ratios and the goals; then what 500 warm calls,
 *   the session starts and the first cold call asked of the others, counted at their doors:
 *   Postgres statements at the database's wire, GitHub's and the sandbox host's requests by
 *   route with their times, and the cold call's requests in order;
 * - growth: the cold first call (of `--cold` new people each), ctx_instructions, ctx_search
 *   and resources/list on memories of 10, 1,000 and 10,000 files and of 1, 50 and 500 MB of
 *   history (`--growth` picks some);
 * - users: 1, 4, 16 and 32 people at once, each with their own client and memory, starting
 *   sessions and making warm calls: throughput, median, p99, failures, against their floors
 *   at the same concurrency.
 * Exits 1 when any request failed.
 */

const options = z
  .object({
    calls: z.coerce.number().int().min(5).max(5_000).default(100),
    files: z.coerce.number().int().min(20).max(50_000).default(5_000),
    megabytes: z.coerce.number().min(1).max(500).default(50),
    cold: z.coerce.number().int().min(1).max(20).default(3),
    "growth-calls": z.coerce.number().int().min(5).max(1_000).default(20),
    users: z.coerce.number().int().min(1).max(64).default(32),
    rounds: z.coerce.number().int().min(2).max(200).default(10),
    growth: z
      .string()
      .regex(/^\d+x\d+(,\d+x\d+)*$/, "FILESxMB,…, e.g. 1000x500")
      .optional()
      .transform((text) => text?.split(",")),
    parts: z
      .string()
      .default("main,growth,users")
      .transform((text) => new Set(text.split(",")))
      .pipe(z.set(z.enum(["main", "growth", "users"]))),
  })
  .parse(
    parseArgs({
      options: Object.fromEntries(
        ["calls", "files", "megabytes", "cold", "growth-calls", "growth", "users", "rounds", "parts"].map((name) => [
          name,
          { type: "string" as const },
        ]),
      ),
    }).values,
  );

const WARM_UP = 10;
const COUNTED_CALLS = 500;
const USER_LEVELS = [1, 4, 16, 32].filter((level) => level <= options.users);
/**
 * The growth memories: notes of about 1 KB, so the file axis (10, 1,000, 10,000 files, no
 * history beyond the notes) and the history axis (1,000 files with 1, 50, 500 MB of history)
 * share the memory of 1,000 files and 1 MB.
 */
const GROWTH: MemoryScale[] = [
  { files: 10, megabytes: 0, noteBytes: 1_000 },
  { files: 1_000, megabytes: 1, noteBytes: 1_000 },
  { files: 10_000, megabytes: 0, noteBytes: 1_000 },
  { files: 1_000, megabytes: 50, noteBytes: 1_000 },
  { files: 1_000, megabytes: 500, noteBytes: 1_000 },
];
/** A call's own limit for the bare execs: far above any figure here. */
const EXEC_LIMITS = { timeoutMs: 60_000, maxOutputBytes: 4 * 1024 * 1024, offline: true };

const log = (line: string) => console.log(`[bench] ${line}`);
const seconds = (since: number) => `${((performance.now() - since) / 1000).toFixed(1)} s`;
const timed = async (work: () => Promise<unknown>) => {
  const started = performance.now();
  await work();
  return performance.now() - started;
};

/** `calls` rounds of A then its floor, after a few unmeasured rounds of each. */
async function interleaved(calls: number, a: () => Promise<unknown>, floor: () => Promise<unknown>) {
  for (let round = 0; round < Math.min(WARM_UP, calls); round += 1) {
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

/**
 * An error and its causes, each with its code when it has one: fetch's "fetch failed" says
 * what failed only in its cause (a reset connection, a closed socket).
 */
function describeFailure(error: unknown): string {
  const parts: string[] = [];
  for (let current = error; current !== undefined && parts.length < 4; ) {
    if (!(current instanceof Error)) {
      parts.push(String(current));
      break;
    }
    const code = (current as { code?: unknown }).code;
    parts.push(typeof code === "string" ? `${current.message} (${code})` : current.message);
    current = current.cause;
  }
  return parts.join(": ");
}

/** The same work by every member of `group` at once, `rounds` times each after one unmeasured round. */
async function together<T>(group: T[], rounds: number, work: (member: T) => Promise<number | undefined>) {
  const samples: number[] = [];
  const failures: string[] = [];
  const attempt = async (member: T, measured: boolean) => {
    try {
      const started = performance.now();
      const own = await work(member);
      if (measured) samples.push(own ?? performance.now() - started);
    } catch (error) {
      failures.push(describeFailure(error));
    }
  };
  await Promise.all(group.map((member) => attempt(member, false)));
  const started = performance.now();
  await Promise.all(
    group.map(async (member) => {
      for (let round = 0; round < rounds; round += 1) await attempt(member, true);
    }),
  );
  return { samples, failures, wallMs: performance.now() - started };
}

/**
 * A tool call that must succeed: the SDK reports a tool's failure as a result, not a throw.
 * The SDK's own 60 s limit is lifted: a first call that clones a large memory takes longer.
 */
async function callTool(client: Client, name: string, args: Record<string, unknown>) {
  const result = await client.callTool({ name, arguments: args }, undefined, { timeout: 900_000 });
  if (result.isError) throw new Error(`${name} failed: ${JSON.stringify(result.content).slice(0, 500)}`);
  return result;
}

/** Requests by route: how many, and the milliseconds each took to be answered. */
type Routes = Map<string, number[]>;
/** One request seen at a door: when it arrived and was answered, in ms since the count began. */
type Seen = { door: "GitHub" | "sandbox" | "Postgres"; route: string; arrived: number; answered: number };
type Counts = { github: Routes; sandbox: Routes; statements: number; connections: number; timeline: Seen[] };

/**
 * Starts counting what the Worker asks of the others: GitHub's requests and the sandbox
 * host's, by route, with the time each took, at their doors; Postgres statements and
 * connections, at the database's wire.
 * @returns stop, which ends the count and gives it once every counted request is answered
 */
function countRequests(): { stop: () => Promise<Counts> } {
  const github: Routes = new Map();
  const sandbox: Routes = new Map();
  const pending: Promise<unknown>[] = [];
  const timeline: Seen[] = [];
  const began = performance.now();
  const add = (door: Seen["door"], counted: Routes, route: string, finished: Promise<number>) => {
    const times = counted.get(route) ?? [];
    counted.set(route, times);
    const arrived = performance.now() - began;
    pending.push(
      finished.then((elapsed) => {
        times.push(elapsed);
        timeline.push({ door, route, arrived, answered: arrived + elapsed });
      }),
    );
  };
  const stopGitHub = stack.onGitHubRequest((method, path, finished) =>
    add("GitHub", github, gitHubRoute(method, path), finished),
  );
  const stopSandbox = stack.onSandboxHostRequest((method, path, finished) =>
    add(
      "sandbox",
      sandbox,
      `${method} ${path.replace(/^\/sandboxes\/[^/]+/, "/sandboxes/{id}").replace(/[0-9a-f-]{36}/g, "{uuid}")}`,
      finished,
    ),
  );
  const stopPostgres = database.counter?.onExchange((kind, answered) => {
    const arrived = performance.now() - began;
    pending.push(
      answered.then(({ elapsed }) =>
        timeline.push({ door: "Postgres", route: kind, arrived, answered: arrived + elapsed }),
      ),
    );
  });
  const before = database.counter?.counts() ?? { connections: 0, statements: 0 };
  return {
    async stop() {
      stopGitHub();
      stopSandbox();
      stopPostgres?.();
      const after = database.counter?.counts() ?? { connections: 0, statements: 0 };
      await Promise.all(pending);
      return {
        github,
        sandbox,
        statements: after.statements - before.statements,
        connections: after.connections - before.connections,
        timeline: timeline.sort((x, y) => x.arrived - y.arrived),
      };
    },
  };
}

/**
 * Counts as lines: Postgres, token mints, then each door's requests by route, most first,
 * with the time they took in all and per request (median), and per `calls` when given.
 */
function describeCounts(counts: Counts, calls?: number): string[] {
  const total = (counted: Routes) => [...counted.values()].reduce((sum, times) => sum + times.length, 0);
  const byRoute = (counted: Routes) =>
    [...counted]
      .sort((x, y) => y[1].length - x[1].length)
      .map(([route, times]) => {
        const spent = times.reduce((sum, elapsed) => sum + elapsed, 0);
        const perCall = calls ? `, ${ms(spent / calls)} per call` : "";
        return `  ${String(times.length).padStart(6)}  ${route}  (${ms(spent)} in all, median ${ms(summarise(times).median)}${perCall})`;
      });
  const mints = [...counts.github].filter(([route]) => route.endsWith("/access_tokens"));
  return [
    `Postgres statements: ${counts.statements} (connections opened: ${counts.connections})`,
    `token mints (POST /app/installations/{id}/access_tokens): ${mints.reduce((sum, [, times]) => sum + times.length, 0)}`,
    `GitHub requests: ${total(counts.github)}`,
    ...byRoute(counts.github),
    `sandbox host requests: ${total(counts.sandbox)}`,
    ...byRoute(counts.sandbox),
  ];
}

/** A GitHub request's route, ids and names made placeholders, for counting by kind. */
function gitHubRoute(method: string, path: string): string {
  const route = path
    .replace(/^\/repos\/[^/]+\/[^/]+/, "/repos/{owner}/{repo}")
    .replace(/^\/[^/]+\/[^/]+?(?:\.git)?\/(info\/refs|git-upload-pack|git-receive-pack)$/, "/{owner}/{repo}.git/$1")
    .replace(/\/\d+(?=\/|$)/g, "/{id}");
  return `${method} ${route}`;
}

const memoryLabel = (scale: MemoryScale) =>
  `${scale.files.toLocaleString("en")} files, ${scale.megabytes === 0 ? "notes only" : `${scale.megabytes} MB`}`;

const startedAt = performance.now();
log(`building the Worker and starting the local stack (${cpus().length} CPUs)`);
const database: { counter?: Awaited<ReturnType<typeof startQueryCounter>> } = {};
const stack = await startWorkerStack(crypto.randomUUID(), {
  databaseVia: async (url) => {
    database.counter = await startQueryCounter(url);
    return database.counter.url;
  },
});
stack.exited.then(({ code, signal }) => {
  console.error(
    `[bench] the dev server exited (${signal ?? code}) mid-run; its last lines:\n${stack.output().split("\n").slice(-40).join("\n")}`,
  );
  process.exit(1);
});
const memoriesDir = mkdtempSync(join(tmpdir(), "ctx4-bench-memories-"));
const stopAll = async () => {
  await stack.stop();
  await database.counter?.stop();
  rmSync(memoriesDir, { recursive: true, force: true });
};
// The dev server runs in a process group of its own: on Ctrl-C it would outlive this script.
for (const signal of ["SIGINT", "SIGTERM"] as const) {
  process.once(signal, () => {
    log(`${signal}: stopping the stack`);
    stopAll().finally(() => process.exit(130));
  });
}

const host = { url: stack.sandboxHostUrl, localSecret: stack.localSecret };
const endpoint = new URL("/mcp", stack.appUrl);
const generated = new Map<string, ReturnType<typeof generateMemory>>();
/** Each scale's memory, generated once (fast-import, fixed seed) and pushed to every repo that asks for it. */
const memoryOf = (scale: MemoryScale) => {
  const key = `${scale.files}x${scale.megabytes}x${scale.noteBytes ?? ""}`;
  let memory = generated.get(key);
  if (!memory) {
    const started = performance.now();
    memory = generateMemory(join(memoriesDir, `${key}.git`), scale);
    memory.then((done) =>
      log(
        `generated ${memoryLabel(scale)}: ${done.paths.length} files, ${(done.treeBytes / 1e6).toFixed(1)} MB of files, ${done.commits} commits, a pack of ${(done.packBytes / 2 ** 20).toFixed(1)} MiB, in ${seconds(started)}`,
      ),
    );
    generated.set(key, memory);
  }
  return memory.then((done) => ({ ...done, dir: join(memoriesDir, `${key}.git`) }));
};

/**
 * A new person with a memory of their own: a GitHub account and its repo. They sign in by the
 * emailed link, install the App on that repo and pick it; they push a generated memory of
 * `scale` to it (as they would push an existing one), or, without one, it holds the ctx
 * template. Their AI client connects with OAuth (registration, PKCE, consent with write access). Nothing has
 * run in a sandbox yet.
 */
async function newPerson(scale?: MemoryScale) {
  const login = `bench-${crypto.randomUUID().slice(0, 8)}`;
  await stack.github.createAccount({ login, type: "User" });
  const repo = await stack.github.createRepo(login, "ctx", scale ? "empty" : "ctx");
  const token = () => gitHubUserToken(stack.githubUrl, stack.github, stack.githubApp, login);
  const email = `${login}@example.com`;
  const visitor = new HttpVisitor({
    site: stack.appUrl,
    fetch: (url, init) => fetch(url, init),
    mailboxUrl: stack.mailboxUrl,
  });
  await visitor.signIn(email);
  await onboard(visitor, stack.github, login, [repo.name], repo.id);
  // A person's token reaches only the repos the App is installed on, as on GitHub.
  let paths = ["README.md"];
  if (scale) {
    const memory = await memoryOf(scale);
    await pushMemory(memory.dir, repo.clone_url, await token());
    paths = memory.paths;
  }
  // Their AI client calls from an address of its own, as rate limits (registration's) count them.
  const fromOwnAddress = (url: string | URL, init?: RequestInit) => {
    const headers = new Headers(init?.headers);
    headers.set("CF-Connecting-IP", visitor.ip);
    return fetch(url, { ...init, headers });
  };
  const oauth = new SdkOAuthClient("ctx4-ai HTTP benchmark");
  const { client } = await connectWithConsent(
    visitor,
    () => new StreamableHTTPClientTransport(endpoint, { authProvider: oauth, fetch: fromOwnAddress }),
    { write: true },
    oauth,
  );
  const userId = await authUserId(stack.authUrl, stack.localSecret, email);
  const onHost = (command: string) => execOnHost(host, userId, { command, cwd: "repo", ...EXEC_LIMITS });
  return { login, repo, paths, oauth, fromOwnAddress, client, userId, token, onHost };
}
type Person = Awaited<ReturnType<typeof newPerson>>;

/**
 * The cold first call (config, token, a clone of the whole memory, the command) of `runs`
 * people with a memory of `scale`, each against a plain clone of their own repo: `first`, who
 * stays connected, then new people. The two go in turns, the call first for one person and the
 * clone first for the next, so that neither always finds the caches the other warmed. What
 * `first`'s call asked of the others is counted.
 */
async function coldRuns(scale: MemoryScale, runs: number, first: Person) {
  const samples = { a: [] as number[], floor: [] as number[] };
  let counts: Counts | undefined;
  for (let run = 0; run < runs; run += 1) {
    const person = run === 0 ? first : await newPerson(scale);
    const token = await person.token();
    const cloneFirst = run % 2 === 1;
    if (cloneFirst) samples.floor.push(await timePlainClone(host, person.repo, token));
    const counting = run === 0 ? countRequests() : undefined;
    samples.a.push(await timed(() => callTool(person.client, "ctx_bash", { command: "true" })));
    counts ??= await counting?.stop();
    if (!cloneFirst) samples.floor.push(await timePlainClone(host, person.repo, token));
    if (person !== first) await person.client.close();
  }
  return { ...samples, counts };
}

/** A new MCP session's start (`initialize`, `initialized`, `tools/list`), then its end; the clock stops at tools/list's answer. */
async function sessionStart(person: Person): Promise<number> {
  const transport = new StreamableHTTPClientTransport(endpoint, {
    authProvider: person.oauth,
    fetch: person.fromOwnAddress,
  });
  const session = new Client({ name: "ctx4-ai HTTP benchmark", version: "1.0.0" });
  const elapsed = await timed(async () => {
    await session.connect(transport);
    await session.listTools();
  });
  await transport.terminateSession();
  await session.close();
  return elapsed;
}

const threePings = async (person: Person) => {
  for (let trip = 0; trip < 3; trip += 1) await person.client.ping();
};

/** A warm `ctx_bash "true"`: the command and the sync after it, with nothing to push. */
const warmCall = (person: Person) => callTool(person.client, "ctx_bash", { command: "true" });

/**
 * A call's floor: one MCP ping (the call's own round trip to the person's object: same token
 * check, same hop, same SDK dispatch), then each of `commands`, bare, sent straight to the
 * sandbox host in the person's clone.
 */
const pingThen = async (person: Person, ...commands: string[]) => {
  await person.client.ping();
  for (const command of commands) await person.onHost(command);
};

/**
 * The read tools against their floors: a ping, then the bare command each comes down to (issue
 * 18: "against one ping plus the same exec").
 */
const readFigures = (person: Person) => {
  const readPath = person.paths.find((path) => path.startsWith("knowledge/")) ?? "README.md";
  return {
    search: {
      a: () => callTool(person.client, "ctx_search", { query: NEEDLE }),
      floor: () => pingThen(person, `git grep -n -I -F -e ${NEEDLE}`),
    },
    read: {
      readPath,
      a: () => callTool(person.client, "ctx_read", { path: readPath }),
      floor: () => pingThen(person, `cat -- '${readPath}'`),
    },
    resources: { a: () => person.client.listResources(), floor: () => pingThen(person, "git ls-files") },
  };
};

const report: string[] = [];
let failed = 0;

/** One figure against its floor: median / p99 / mean of each and their ratios. */
type Measured = { label: string; floorLabel: string; goal: string; a: number[]; floor: number[] };
const figureRows = (results: Measured[]) =>
  results.map((result) => {
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

async function mainPart() {
  const scale = { files: options.files, megabytes: options.megabytes };
  log(`main: a person with a memory of ${memoryLabel(scale)}`);
  const person = await newPerson(scale);
  const results: Measured[] = [];

  log(`cold first call: ${options.cold} new people`);
  const { counts: coldCounts, ...cold } = await coldRuns(scale, options.cold, person);
  results.push({ label: 'cold first call (ctx_bash "true")', floorLabel: "git clone", goal: "median ≤1.3x", ...cold });

  log(`session start: ${options.calls} rounds`);
  const sessions = { a: [] as number[], floor: [] as number[] };
  let sessionCounting: ReturnType<typeof countRequests> | undefined;
  for (let round = 0; round < WARM_UP + options.calls; round += 1) {
    if (round === WARM_UP) sessionCounting = countRequests();
    const opened = await sessionStart(person);
    const pinged = await timed(() => threePings(person));
    if (round >= WARM_UP) {
      sessions.a.push(opened);
      sessions.floor.push(pinged);
    }
  }
  const sessionCounts = await sessionCounting?.stop();
  results.push({ label: "session start", floorLabel: "3 pings", goal: "median ≤1.5x, p99 ≤2x", ...sessions });

  log(`warm ctx_bash "true": ${options.calls} rounds`);
  results.push({
    label: 'warm ctx_bash "true"',
    floorLabel: "ping + exec",
    goal: "median ≤1.2x, p99 ≤1.5x",
    ...(await interleaved(
      options.calls,
      () => warmCall(person),
      () => pingThen(person, "true"),
    )),
  });
  // The tool makes two sandbox round trips, the command and the sync after it (which must
  // not share the command's exec: the git route opens only for our own sync); this floor has both.
  results.push({
    label: 'warm ctx_bash "true", same',
    floorLabel: "ping + 2 execs",
    goal: "(its two round trips)",
    ...(await interleaved(
      options.calls,
      () => warmCall(person),
      () => pingThen(person, "true", "true"),
    )),
  });

  const reads = readFigures(person);
  log(`reads: ${options.calls} rounds each`);
  results.push({
    label: `ctx_search "${NEEDLE}"`,
    floorLabel: "ping + git grep",
    goal: "median ≤1.5x",
    ...(await interleaved(options.calls, reads.search.a, reads.search.floor)),
  });
  results.push({
    label: `ctx_read (${reads.read.readPath})`,
    floorLabel: "ping + cat",
    goal: "median ≤1.2x",
    ...(await interleaved(options.calls, reads.read.a, reads.read.floor)),
  });
  results.push({
    label: "resources/list, first page",
    floorLabel: "ping + git ls-files",
    goal: "median ≤1.5x",
    ...(await interleaved(options.calls, reads.resources.a, reads.resources.floor)),
  });

  log(`counting: ${COUNTED_CALLS} warm ctx_bash calls`);
  const counting = countRequests();
  const countedStart = performance.now();
  for (let call = 0; call < COUNTED_CALLS; call += 1) await warmCall(person);
  const countedMs = performance.now() - countedStart;
  const counts = await counting.stop();
  await person.client.close();

  report.push(
    "",
    `== main: over real HTTP (the built Worker on workerd as npm run preview serves it: no dev proxy, no inspector), ${options.calls} interleaved calls each (cold: ${options.cold} new people), a memory of ${memoryLabel(scale)}`,
    table(["figure", "median / p99 / mean", "floor: median / p99 / mean", "ratio", "goal"], figureRows(results)),
    "",
    `== ${COUNTED_CALLS} warm ctx_bash "true" calls in a row (${(countedMs / 1000).toFixed(1)} s), counted at the doors (goals: Postgres 0, token mints ≤1)`,
    ...describeCounts(counts, COUNTED_CALLS),
    "",
    `== ${options.calls} session starts (the 3 pings after each included), counted likewise`,
    ...(sessionCounts ? describeCounts(sessionCounts, options.calls) : []),
    "",
    `== the first cold call (${ms(cold.a[0] ?? 0)}), counted likewise (its plain clone not included), then each request in order: arrived → answered, ms since the call began`,
    ...(coldCounts ? describeCounts(coldCounts) : []),
    ...describeTimeline(coldCounts),
  );
}

/** Each request of a count in order, one line each: arrived → answered, in ms since the count began. */
function describeTimeline(counts: Counts | undefined): string[] {
  return (counts?.timeline ?? []).map(
    (seen) =>
      `  ${seen.arrived.toFixed(1).padStart(9)} → ${seen.answered.toFixed(1).padStart(9)}  ${seen.door}: ${seen.route}`,
  );
}

async function growthPart() {
  const rows: string[][] = [];
  const timelines: string[] = [];
  const calls = options["growth-calls"];
  const chosen = GROWTH.filter(
    (scale) => !options.growth || options.growth.includes(`${scale.files}x${scale.megabytes}`),
  );
  for (const scale of chosen) {
    log(`growth: ${memoryLabel(scale)}`);
    const memory = await memoryOf(scale);
    const person = await newPerson(scale);
    const { counts, ...cold } = await coldRuns(scale, options.cold, person);
    const requests = (routes: Routes | undefined) =>
      [...(routes ?? new Map<string, number[]>()).values()].reduce((sum, times) => sum + times.length, 0);
    const instructions: number[] = [];
    for (let round = 0; round < WARM_UP + calls; round += 1) {
      const elapsed = await timed(() => callTool(person.client, "ctx_instructions", {}));
      if (round >= WARM_UP) instructions.push(elapsed);
    }
    const reads = readFigures(person);
    const search = await interleaved(calls, reads.search.a, reads.search.floor);
    const resources = await interleaved(calls, reads.resources.a, reads.resources.floor);
    await person.client.close();
    const against = (samples: { a: number[]; floor: number[] }) => {
      const a = summarise(samples.a).median;
      const floor = summarise(samples.floor).median;
      return `${ms(a)} (${ms(floor)}, ${ratio(a, floor)})`;
    };
    const own = summarise(instructions);
    rows.push([
      memoryLabel(scale),
      (memory.treeBytes / 1e6).toFixed(2),
      (memory.packBytes / 2 ** 20).toFixed(1),
      against(cold),
      `${requests(counts?.github)} / ${requests(counts?.sandbox)}`,
      `${ms(own.median)} / ${ms(own.p99)}`,
      against(search),
      against(resources),
    ]);
    timelines.push(`${memoryLabel(scale)}: ${ms(cold.a[0] ?? 0)}`, ...describeTimeline(counts));
  }
  report.push(
    "",
    `== growth: per memory (notes of about 1 KB), the cold first call of ${options.cold} new people, each against a plain clone of their repo (in turns: the call first, then the clone first); the rest ${calls} calls each by the first of them; medians`,
    table(
      [
        "memory",
        "files MB",
        "pack MiB",
        "cold first call (git clone, ratio)",
        "first call's requests: GitHub / sandbox",
        "ctx_instructions median / p99",
        "ctx_search (ping + git grep, ratio)",
        "resources/list (ping + git ls-files, ratio)",
      ],
      rows,
    ),
    "",
    "== growth: each memory's first cold call, each request in order: arrived → answered, ms since the call began",
    ...timelines,
  );
}

async function usersPart() {
  const most = Math.max(...USER_LEVELS);
  log(`users: ${most} people, each with the ctx template, signing in and connecting 4 at a time`);
  const people: Person[] = [];
  for (let start = 0; start < most; start += 4) {
    const batch = await Promise.all(
      Array.from({ length: Math.min(4, most - start) }, async () => {
        const person = await newPerson();
        await warmCall(person);
        return person;
      }),
    );
    people.push(...batch);
  }
  const rows: string[][] = [];
  const phase = async (level: number, label: string, work: (person: Person) => Promise<number | undefined>) => {
    const result = await together(people.slice(0, level), options.rounds, work);
    const summary = summarise(result.samples);
    if (result.failures.length > 0) {
      failed += result.failures.length;
      log(`${label} at ${level}: ${result.failures.length} failed, first: ${result.failures[0]}`);
      log(`the dev server's last lines:\n${stack.output().split("\n").slice(-30).join("\n")}`);
    }
    return {
      label,
      summary,
      perSecond: (result.samples.length / result.wallMs) * 1000,
      failures: result.failures.length,
    };
  };
  for (const level of USER_LEVELS) {
    log(`users: ${level} at once, ${options.rounds} rounds each`);
    const pairs = [
      [
        await phase(level, "session start", sessionStart),
        await phase(level, "3 pings", async (person) => {
          await threePings(person);
          return undefined;
        }),
      ],
      [
        await phase(level, 'warm ctx_bash "true"', async (person) => {
          await warmCall(person);
          return undefined;
        }),
        await phase(level, "ping + exec", async (person) => {
          await pingThen(person, "true");
          return undefined;
        }),
      ],
    ] as const;
    for (const [a, floor] of pairs)
      rows.push([
        String(level),
        a.label,
        `${a.perSecond.toFixed(1)}/s`,
        `${ms(a.summary.median)} / ${ms(a.summary.p99)}`,
        String(a.failures),
        `${floor.label}: ${floor.perSecond.toFixed(1)}/s, ${ms(floor.summary.median)} / ${ms(floor.summary.p99)}, ${floor.failures} failed`,
        `${ratio(a.summary.median, floor.summary.median)} / ${ratio(a.summary.p99, floor.summary.p99)}`,
      ]);
  }
  for (const person of people) await person.client.close();
  report.push(
    "",
    `== users at once: each their own client, OAuth grant, object and sandbox; ${options.rounds} rounds each per level, one after another per person, all people at once; the floor right after, likewise`,
    table(["people", "figure", "throughput", "median / p99", "failed", "floor", "ratio median / p99"], rows),
  );
}

try {
  log(`stack ready in ${seconds(startedAt)} at ${stack.appUrl}`);
  if (options.parts.has("main")) await mainPart();
  if (options.parts.has("growth")) await growthPart();
  if (options.parts.has("users")) await usersPart();
} finally {
  await stopAll();
}

console.log(
  [
    ...report,
    "",
    `Floors: cold, a plain \`git clone\` of the same repo in a fresh sandbox through the same egress relay and the Worker's git route code, with the person's token; session start, three MCP pings on an open session (same token check, same hop to the person's object, same SDK dispatch); warm ctx_bash, one ping then \`true\` sent straight to the sandbox host in the same clone, offline as ctx_bash runs it; ctx_search, ctx_read and resources/list, one ping then a bare \`git grep -n -I -F\`, \`cat\` or \`git ls-files\` sent straight to the sandbox host in the same clone.`,
    `Postgres over the whole run: ${database.counter?.counts().statements} statements on ${database.counter?.counts().connections} connections.`,
    `Ran ${seconds(startedAt)}; load average at the end ${loadavg()
      .map((value) => value.toFixed(2))
      .join(" ")}; requests failed: ${failed}.`,
  ].join("\n"),
);
if (failed > 0) process.exitCode = 1;
