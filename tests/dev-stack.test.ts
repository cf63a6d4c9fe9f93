import { type ChildProcess, execFileSync, spawn } from "node:child_process";
import { cpSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { UnauthorizedError } from "@modelcontextprotocol/sdk/client/auth.js";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import { afterAll, beforeAll, expect, it } from "vitest";
import { cspViolations, launchBrowser } from "./e2e/browser";
import { connectGitHub, signIn } from "./e2e/journeys";
import { TestOAuthClient } from "./e2e/mcp-client";
import { freePort } from "./free-port";

/**
 * `npm run dev` as a newcomer runs it: in a copy of this checkout (so nothing of ours in
 * .data/ or .dev.vars is touched), on free ports, probed over HTTP, then stopped with Ctrl-C;
 * and started again, then killed hard: the launcher, and then npm.
 */
const root = join(dirname(new URL(import.meta.url).pathname), "..");
const copy = mkdtempSync(join(tmpdir(), "ctx4-dev-"));
let dev: ChildProcess | undefined;
let ports: number[] = [];

beforeAll(async () => {
  const files = execFileSync("git", ["ls-files", "-co", "--exclude-standard", "-z"], { cwd: root })
    .toString()
    .split("\0")
    // A node_modules that is a symlink (a git worktree sharing another's) is no ignored folder.
    .filter((file) => file && file !== "node_modules");
  for (const file of files) {
    mkdirSync(dirname(join(copy, file)), { recursive: true });
    cpSync(join(root, file), join(copy, file));
  }
  // The packages are linked one by one, so the copy's node_modules/.vite (Vite's dependency
  // cache, which the dev server rewrites as it starts) is its own: through a link to the whole
  // folder, another Vite running meanwhile (another file, another checkout sharing it) removed
  // files the dev server was about to load.
  mkdirSync(join(copy, "node_modules"));
  for (const name of readdirSync(join(root, "node_modules"))) {
    if (name !== ".vite") symlinkSync(join(root, "node_modules", name), join(copy, "node_modules", name));
  }
});

afterAll(() => {
  try {
    if (dev?.pid) process.kill(-dev.pid, "SIGKILL");
  } catch {
    // Already stopped, as it should be.
  }
  rmSync(copy, { recursive: true, force: true });
});

/**
 * Starts `command` in the copy on six ports free right now, in a process group of its own; resolves
 * once it says it is ready. Each start picks its own: a port freed a minute ago may be another
 * process's by now, which is no fault of ours.
 */
async function startDev(command: string, args: string[]): Promise<string> {
  ports = await Promise.all(Array.from({ length: 6 }, freePort));
  const [app, postgres, auth, mailbox, github, sandboxHost] = ports.map(String);
  const env = {
    ...process.env,
    DATABASE_URL: "",
    APP_PORT: app,
    POSTGRES_PORT: postgres,
    AUTH_EMULATOR_PORT: auth,
    MAILBOX_PORT: mailbox,
    GITHUB_EMULATOR_PORT: github,
    SANDBOX_HOST_PORT: sandboxHost,
  };
  dev = spawn(command, args, { cwd: copy, env, stdio: ["ignore", "pipe", "pipe"], detached: true });
  const log: string[] = [];
  dev.stderr?.on("data", (chunk: Buffer) => log.push(chunk.toString()));
  return new Promise<string>((resolve, reject) => {
    dev?.stdout?.on("data", (chunk: Buffer) => {
      log.push(chunk.toString());
      const line = log.join("").match(/\[dev\]\s+ready in ([\d.]+) s/);
      if (line?.[1]) resolve(line[1]);
    });
    dev?.on("exit", () => reject(new Error(`npm run dev exited:\n${log.join("")}`)));
  });
}

it("starts the whole local stack, serves each piece, and stops on Ctrl-C", async () => {
  const ready = await startDev("npm", ["run", "dev"]);
  const [app, postgres, auth, mailbox, github, sandboxHost] = ports;
  console.log(`npm run dev was ready in ${ready} s`);

  expect(await (await fetch(`http://localhost:${app}/`)).text()).toContain("A memory for your AI that you own.");
  expect(await (await fetch(`http://localhost:${app}/healthz`)).json()).toEqual({ ok: true });
  expect(await (await fetch(`http://localhost:${mailbox}/`)).text()).toContain("Local mailbox");
  expect(await (await fetch(`http://localhost:${github}/apps/ctx4-ai/installations/new`)).text()).toContain(
    "Sign in to GitHub",
  );
  expect((await fetch(`http://127.0.0.1:${sandboxHost}/healthz`)).status).toBe(200);

  // Vite's dev server adds scripts and styles of its own: the pages' policy must let them work.
  const browser = await launchBrowser();
  try {
    const page = await browser.newPage();
    const violations = await cspViolations(page);
    await page.goto(`http://localhost:${app}/login`, { waitUntil: "networkidle" });
    await page.getByLabel("Email").fill("dev-stack@example.com");
    await page.getByRole("button", { name: "Email me a sign-in link" }).click();
    await page.getByText("Check your email").waitFor();
    expect(violations).toEqual([]);

    // A tool call's event stream gets its headers at once, as under wrangler dev: Node holds
    // them until the first byte, and a client of a protocol before 2025-11-25 gets no priming
    // event, so without the dev server's flush it waited for the result (or the first progress).
    const site = {
      appUrl: `http://localhost:${app}`,
      mailboxUrl: `http://localhost:${mailbox}`,
      githubUrl: `http://127.0.0.1:${github}`,
    };
    // A browser of its own: the one above holds a sign-in attempt that /login would continue.
    const person = await (await browser.newContext()).newPage();
    await signIn(person, site, "dev-mcp@example.com");
    await connectGitHub(person, site, "alice", ["ctx"], "ctx");
    const oauth = new TestOAuthClient("Dev stack client");
    const endpoint = new URL("/mcp", site.appUrl);
    const first = new StreamableHTTPClientTransport(endpoint, { authProvider: oauth });
    await expect(new Client({ name: "dev", version: "1.0.0" }).connect(first)).rejects.toThrow(UnauthorizedError);
    await first.finishAuth(await oauth.consentIn(person, { write: true }));
    const transport = new StreamableHTTPClientTransport(endpoint, { authProvider: oauth });
    await new Client({ name: "dev", version: "1.0.0" }).connect(transport);
    const call = fetch(endpoint, {
      method: "POST",
      headers: {
        Accept: "application/json, text/event-stream",
        "Content-Type": "application/json",
        Authorization: `Bearer ${oauth.tokens()?.access_token}`,
        "Mcp-Session-Id": transport.sessionId ?? "",
        "Mcp-Protocol-Version": "2025-06-18",
      },
      body: JSON.stringify({
        jsonrpc: "2.0",
        id: 1,
        method: "tools/call",
        params: { name: "ctx_bash", arguments: { command: "sleep 6; echo done" } },
      }),
    });
    const headersIn = await Promise.race([call, new Promise((resolve) => setTimeout(resolve, 3_000, "held"))]);
    expect(headersIn).toBeInstanceOf(Response);
    const response = headersIn as Response;
    expect(response.headers.get("content-type")).toBe("text/event-stream");
    expect(await response.text()).toContain("done");
    await transport.close();
  } finally {
    await browser.close();
  }

  // A terminal's Ctrl-C signals the whole foreground group: npm and the launcher alike.
  const exited = new Promise<void>((resolve) => dev?.on("exit", () => resolve()));
  process.kill(-(dev?.pid ?? 0), "SIGINT");
  await exited;
  for (const port of [app, postgres, auth, mailbox, github, sandboxHost]) {
    await expect(fetch(`http://127.0.0.1:${port}/`)).rejects.toThrow();
  }
}, 180_000);

it("stops every piece when the launcher is killed hard, so the next start finds its ports free", async () => {
  await startDev(process.execPath, ["--import", "tsx", "local/dev.ts"]);
  const launcher = dev?.pid ?? 0;
  const pieces = descendants(launcher);
  expect(pieces.length).toBeGreaterThan(4);

  process.kill(launcher, "SIGKILL");
  await expectAllStopped(pieces, 8_000);
}, 180_000);

it("stops every piece when npm itself is killed hard, though the shell npm ran the script in lives on", async () => {
  await startDev("npm", ["run", "dev"]);
  const npm = dev?.pid ?? 0;
  const pieces = descendants(npm);
  expect(pieces.length).toBeGreaterThan(4);

  // Only npm: its shell, tsx and the launcher below it are left running.
  process.kill(npm, "SIGKILL");
  await expectAllStopped(pieces, 15_000);
}, 180_000);

/**
 * Waits up to `ms` for every process of `pieces` to end; then no port of the stack answers, and
 * each can be listened on again at once, on every address, as the next start will.
 */
async function expectAllStopped(pieces: number[], ms: number) {
  const deadline = Date.now() + ms;
  let left = pieces;
  while (Date.now() < deadline) {
    left = pieces.filter(alive);
    if (left.length === 0) break;
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  expect(left.map((pid) => commandOf(pid))).toEqual([]);
  for (const port of ports) await expect(fetch(`http://127.0.0.1:${port}/`)).rejects.toThrow();
  for (const port of ports) await expect(listenOn(port)).resolves.toBe(port);
}

/** Listens on `port` on every address (IPv6 and IPv4) and closes again; rejects if it is taken. */
function listenOn(port: number): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(port, () => server.close(() => resolve(port)));
  });
}

/** Every process below `pid`, from /proc. */
function descendants(pid: number): number[] {
  const children = new Map<number, number[]>();
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      // The command name in parentheses may hold spaces; the parent's pid is the second field after it.
      const stat = readFileSync(`/proc/${entry}/stat`, "utf8");
      const parent = Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]);
      children.set(parent, [...(children.get(parent) ?? []), Number(entry)]);
    } catch {
      // Gone meanwhile.
    }
  }
  const found: number[] = [];
  const visit = (id: number) => {
    for (const child of children.get(id) ?? []) {
      found.push(child);
      visit(child);
    }
  };
  visit(pid);
  return found;
}

/** Alive and not a zombie waiting for its parent to reap it. */
function alive(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    return stat.slice(stat.lastIndexOf(")") + 2)[0] !== "Z";
  } catch {
    return false;
  }
}

function commandOf(pid: number): string {
  try {
    return `${pid} ${readFileSync(`/proc/${pid}/cmdline`, "utf8").replaceAll("\0", " ")}`;
  } catch {
    return `${pid} (gone)`;
  }
}
