/**
 * What one user's sandbox container needs in memory, disk and time for the git work it does:
 * the first clone of a memory, then committing and pushing a command's change, run by our own
 * `workers/workspace/scripts/sync.sh` exactly as the Worker runs it (blobless clone filter
 * `CLONE_FILTER`, the gate's scan run, then the push it lets through), against a bare repo
 * served over git's smart HTTP by `git http-backend` on loopback (standing in for GitHub
 * behind the egress route). Also `git gc`, which git starts by itself (`gc --auto`) once a
 * clone holds 6,700 loose objects, and one idle `node` process, what each interpreter of the
 * sandbox image's pools costs (the Dockerfile turns them off).
 *   npx tsx bench/container-size.ts [--scale 1000x50] [--scale 10000x500]
 * Each `--scale FILESxMB` is a memory of FILES notes and about MB megabytes of history (every
 * version of every file, uncompressed; a fifth of it binary attachments, some deleted again),
 * generated from a fixed seed with `git fast-import` and repacked as GitHub keeps repos.
 * Prints one table: per step its wall time, its CPU time (user and system), that CPU time as
 * wall time on a container's share of a vCPU (lite 1/16, basic 1/4: a lower bound there, when
 * the step is CPU-bound and the share a hard quota), the peak RSS of its largest process
 * (`/usr/bin/time`'s maximum resident set size, which git's children count towards), the peak
 * of all its processes' RSS summed (sampled from /proc every 50 ms; shared pages counted once
 * per process, so an upper bound), and the disk the workspace uses afterwards. Needs git,
 * bash and GNU time (`apt-get install time`).
 */
import { type ChildProcessByStdio, execFileSync, spawn } from "node:child_process";
import { createHash } from "node:crypto";
import { appendFileSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Readable, Writable } from "node:stream";
import { parseArgs } from "node:util";
import { CLONE_FILTER } from "../workers/workspace/sync-settings";
import { generateMemory, mulberry32, prose } from "./memory";

const SYNC_SCRIPT = new URL("../workers/workspace/scripts/sync.sh", import.meta.url).pathname;
const PAGE_BYTES = Number(execFileSync("getconf", ["PAGESIZE"], { encoding: "utf8" }));
const MIB = 1024 * 1024;
const SAMPLE_EVERY_MS = 50;
const BOT = { name: "ctx4-ai[bot]", email: "bot@users.noreply.github.com" };

type Scale = { files: number; megabytes: number };
type Step = {
  scale: string;
  step: string;
  seconds: number;
  cpuSeconds: number;
  largestMiB: number;
  summedMiB: number;
  diskMiB: number;
};

const { values } = parseArgs({ options: { scale: { type: "string", multiple: true }, serve: { type: "string" } } });
const scales: Scale[] = (values.scale ?? ["1000x50", "10000x500"]).map((text) => {
  const match = /^(\d+)x(\d+)$/.exec(text);
  if (!match) throw new Error(`--scale ${text}: expected FILESxMB, e.g. 1000x50`);
  return { files: Number(match[1]), megabytes: Number(match[2]) };
});

/**
 * Serves the bare repos under `root` over git's smart HTTP on loopback, by `git http-backend`
 * (CGI), and prints its base URL on stdout. Runs in a process of its own (this script with
 * `--serve`), so that sampling /proc here never holds up git's requests.
 */
async function serveGit(root: string): Promise<void> {
  const server = createServer((request: IncomingMessage, response: ServerResponse) => {
    const url = new URL(request.url ?? "/", "http://localhost");
    const backend: ChildProcessByStdio<Writable, Readable, null> = spawn("git", ["http-backend"], {
      env: {
        PATH: process.env.PATH,
        GIT_PROJECT_ROOT: root,
        GIT_HTTP_EXPORT_ALL: "1",
        REQUEST_METHOD: request.method,
        PATH_INFO: decodeURIComponent(url.pathname),
        QUERY_STRING: url.search.slice(1),
        CONTENT_TYPE: request.headers["content-type"] ?? "",
        HTTP_CONTENT_ENCODING: request.headers["content-encoding"] ?? "",
        GIT_PROTOCOL: String(request.headers["git-protocol"] ?? ""),
        REMOTE_ADDR: "127.0.0.1",
      },
      stdio: ["pipe", "pipe", "inherit"],
    });
    request.pipe(backend.stdin);
    let head = Buffer.alloc(0);
    const readHead = (chunk: Buffer) => {
      head = Buffer.concat([head, chunk]);
      const end = head.indexOf("\r\n\r\n");
      if (end < 0) return;
      backend.stdout.off("data", readHead);
      let status = 200;
      for (const line of head.subarray(0, end).toString("latin1").split("\r\n")) {
        const colon = line.indexOf(":");
        const name = line.slice(0, colon).trim();
        const value = line.slice(colon + 1).trim();
        if (name.toLowerCase() === "status") status = Number.parseInt(value, 10);
        else response.setHeader(name, value);
      }
      response.writeHead(status);
      response.write(head.subarray(end + 4));
      backend.stdout.pipe(response);
    };
    backend.stdout.on("data", readHead);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  console.log(`http://127.0.0.1:${port}`);
}

/** This script's `--serve` in a child process, for `root`: its URL, and how to stop it. */
async function startGitServer(root: string): Promise<{ url: string; close: () => void }> {
  const child = spawn(process.execPath, [...process.execArgv, import.meta.filename, "--serve", root], {
    stdio: ["ignore", "pipe", "inherit"],
  });
  const url = await new Promise<string>((resolve, reject) => {
    child.stdout.once("data", (chunk: Buffer) => resolve(chunk.toString().trim()));
    child.once("exit", (code) => reject(new Error(`the git server exited ${code}`)));
  });
  return { url, close: () => child.kill() };
}

/** RSS in bytes of `root` and every process below it, from /proc. */
function treeRss(root: number): number {
  const children = new Map<number, number[]>();
  const rss = new Map<number, number>();
  for (const name of readdirSync("/proc")) {
    if (!/^\d+$/.test(name)) continue;
    let stat: string;
    try {
      stat = readFileSync(`/proc/${name}/stat`, "utf8");
    } catch {
      continue; // gone meanwhile
    }
    // After the command name in parentheses: state, ppid, … rss is the 24th field.
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    const pid = Number(name);
    const parent = Number(fields[1]);
    rss.set(pid, Number(fields[21]) * PAGE_BYTES);
    children.set(parent, [...(children.get(parent) ?? []), pid]);
  }
  let total = 0;
  const pending = [root];
  for (let pid = pending.pop(); pid !== undefined; pid = pending.pop()) {
    total += rss.get(pid) ?? 0;
    pending.push(...(children.get(pid) ?? []));
  }
  return total;
}

/** Bytes under `dir` on disk (`du`). */
const diskBytes = (dir: string) => Number(execFileSync("du", ["-sb", dir], { encoding: "utf8" }).split("\t")[0]);

/**
 * Runs `args` under GNU time in `cwd`, sampling its processes' summed RSS meanwhile.
 * @returns its stdout, wall seconds, CPU seconds (user and system, its children included), its
 *   largest process's peak RSS and the summed peak, in bytes
 * @throws when it exits non-zero
 */
async function measure(args: string[], cwd: string, env: Record<string, string>) {
  const timeFile = join(tmpdir(), `container-size-${process.pid}.time`);
  const started = performance.now();
  const child = spawn("/usr/bin/time", ["-f", "%M %U %S", "-o", timeFile, ...args], {
    cwd,
    env: { PATH: process.env.PATH ?? "", HOME: cwd, ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let stdout = "";
  let stderr = "";
  child.stdout.on("data", (chunk) => {
    stdout += chunk;
  });
  child.stderr.on("data", (chunk) => {
    stderr += chunk;
  });
  let summed = 0;
  const sampler = setInterval(() => {
    if (child.pid) summed = Math.max(summed, treeRss(child.pid));
  }, SAMPLE_EVERY_MS);
  const code = await new Promise<number | null>((resolve) => child.on("close", resolve));
  clearInterval(sampler);
  const seconds = (performance.now() - started) / 1000;
  if (code !== 0) throw new Error(`${args.join(" ")} exited ${code}: ${stderr.slice(-2000)}`);
  const [kilobytes = 0, user = 0, system = 0] = (readFileSync(timeFile, "utf8").trim().split("\n").at(-1) ?? "")
    .split(" ")
    .map(Number);
  rmSync(timeFile, { force: true });
  return { stdout, seconds, cpuSeconds: user + system, largest: kilobytes * 1024, summed };
}

/** The "@event" lines sync.sh printed, each as its words. */
const events = (stdout: string) =>
  stdout
    .split("\n")
    .filter((line) => line.startsWith("@"))
    .map((line) => line.slice(1).split(" "));

/** Fails unless sync.sh reported `event` (and no error). */
function expectEvent(stdout: string, event: string): string[][] {
  const found = events(stdout);
  const failed = found.find(([name]) => name === "error");
  if (failed || !found.some(([name]) => name === event))
    throw new Error(`sync.sh did not report @${event}: ${found.map((words) => words.join(" ")).join("; ")}`);
  return found;
}

async function measureScale(scale: Scale, rows: Step[]): Promise<void> {
  const label = `${scale.files} files, ${scale.megabytes} MB`;
  const root = mkdtempSync(join(tmpdir(), "ctx4-container-size-"));
  try {
    const generated = performance.now();
    const memory = await generateMemory(join(root, "memory.git"), scale);
    const packMiB = diskBytes(join(root, "memory.git")) / MIB;
    console.error(
      `${label}: ${memory.commits} commits, ${memory.paths.length} files, ${packMiB.toFixed(1)} MiB on the server (generated in ${((performance.now() - generated) / 1000).toFixed(0)} s)`,
    );
    const server = await startGitServer(root);
    const workspace = join(root, "workspace");
    mkdirSync(workspace);
    const env = {
      CTX4_REPO_URL: `${server.url}/memory.git`,
      CTX4_REPO_ID: "1",
      CTX4_BRANCH: "main",
      CTX4_CLONE_FILTER: CLONE_FILTER,
      CTX4_COMMIT_MESSAGE: "Edit notes",
      GIT_AUTHOR_NAME: BOT.name,
      GIT_AUTHOR_EMAIL: BOT.email,
      GIT_COMMITTER_NAME: BOT.name,
      GIT_COMMITTER_EMAIL: BOT.email,
    };
    const sync = (extra: Record<string, string>) =>
      measure(["bash", "--noprofile", "--norc", SYNC_SCRIPT], workspace, { ...env, ...extra });
    const row = (step: string, result: { seconds: number; cpuSeconds: number; largest: number; summed: number }) =>
      rows.push({
        scale: label,
        step,
        seconds: result.seconds,
        cpuSeconds: result.cpuSeconds,
        largestMiB: result.largest / MIB,
        summedMiB: result.summed / MIB,
        diskMiB: diskBytes(workspace) / MIB,
      });
    try {
      const clone = await sync({ CTX4_MODE: "fetch" });
      expectEvent(clone.stdout, "cloned");
      row("clone (first sync)", clone);

      // What a command changes: 20 notes appended to, 5 new ones.
      const random = mulberry32(5);
      const tracked = execFileSync("git", ["-C", join(workspace, "repo"), "ls-files", "*.md"], { encoding: "utf8" })
        .split("\n")
        .filter(Boolean);
      for (let count = 0; count < 20; count += 1) {
        const path = tracked[Math.floor(random() * tracked.length)] ?? "README.md";
        appendFileSync(join(workspace, "repo", path), `\n${prose(random, 500)}`);
      }
      mkdirSync(join(workspace, "repo", "knowledge", "new"), { recursive: true });
      for (let count = 0; count < 5; count += 1)
        appendFileSync(
          join(workspace, "repo", "knowledge", "new", `note-${count}.md`),
          `# New\n\n${prose(random, 3000)}`,
        );

      const held = await sync({ CTX4_MODE: "fetch" });
      const heldEvents = expectEvent(held.stdout, "held");
      row("commit, fetch, gate's scan", held);
      const commits = heldEvents.filter(([name]) => name === "scan-commit").map(([, sha]) => sha);
      const committed = heldEvents.find(([name]) => name === "committed")?.[1];
      const digest = createHash("sha256")
        .update(commits.map((sha) => `${sha}\n`).join(""))
        .digest("hex");
      const pushed = await sync({
        CTX4_MODE: "fetch",
        CTX4_CLEARED: digest,
        ...(committed ? { CTX4_COMMITTED: committed } : {}),
      });
      expectEvent(pushed.stdout, "pushed");
      row("push (sync the gate let through)", pushed);

      const gc = await measure(["git", "-C", "repo", "gc", "--quiet"], workspace, {
        GIT_CONFIG_NOSYSTEM: "1",
        GIT_CONFIG_GLOBAL: "/dev/null",
      });
      row("git gc (gc --auto at 6,700 loose objects)", gc);
    } finally {
      server.close();
    }
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
}

/** One idle `node` process's RSS in bytes: what each pre-started interpreter of the image's pools holds at least. */
async function idleNodeRss(): Promise<number> {
  const child = spawn(process.execPath, ["-e", "process.stdin.resume()"], { stdio: ["pipe", "ignore", "ignore"] });
  await new Promise((resolve) => setTimeout(resolve, 1500));
  const rss = child.pid ? treeRss(child.pid) : 0;
  child.kill();
  return rss;
}

if (values.serve) await serveGit(values.serve);
else await main();

async function main(): Promise<void> {
  const rows: Step[] = [];
  for (const scale of scales) await measureScale(scale, rows);
  const idle = await idleNodeRss();

  const cell = (value: number, digits = 1) => value.toFixed(digits);
  console.log(
    `git ${execFileSync("git", ["--version"], { encoding: "utf8" }).trim().replace("git version ", "")}, ${readFileSync("/proc/cpuinfo", "utf8").match(/^processor/gm)?.length ?? "?"} CPUs, node ${process.version}`,
  );
  console.log(
    "| memory | step | wall s | CPU s | CPU s at 1/16 vCPU (lite) | at 1/4 vCPU (basic) | largest process MiB | all processes MiB | workspace disk MiB |",
  );
  console.log("| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |");
  for (const row of rows)
    console.log(
      `| ${row.scale} | ${row.step} | ${cell(row.seconds, 2)} | ${cell(row.cpuSeconds, 2)} | ${cell(row.cpuSeconds * 16)} | ${cell(row.cpuSeconds * 4)} | ${cell(row.largestMiB)} | ${cell(row.summedMiB)} | ${cell(row.diskMiB)} |`,
    );
  console.log(
    `| idle | one \`node\` process (each pooled interpreter; the image pre-started 6) | | | | | ${cell(idle / MIB)} | ${cell((6 * idle) / MIB)} for 6 | |`,
  );
}
