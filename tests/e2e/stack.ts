import { type ChildProcess, spawn } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { startAuthEmulator } from "../../local/auth/server";
import { generateLocalStack, workerVars } from "../../local/dev-config";
import { emulatorControl } from "../../local/github/control-client";
import { startGitHubEmulator } from "../../local/github/server";
import { startSandboxHost } from "../../local/sandbox-host/server";
import { freePort } from "../free-port";
import { startTestDatabase } from "../test-database";

/**
 * The whole product over real HTTP for end-to-end journeys: the built Worker under
 * `wrangler dev` (as `npm run preview` serves it), a fresh database, and the emulators,
 * all on free ports with fresh secrets. Nothing of the developer's `.dev.vars` or `.data/`
 * is read or written.
 */
export async function startE2EStack() {
  const dir = mkdtempSync(join(tmpdir(), "ctx4-e2e-"));
  const stack = generateLocalStack();
  const appUrl = `http://127.0.0.1:${await freePort()}`;
  const database = await startTestDatabase();
  const auth = await startAuthEmulator({
    port: 0,
    mailboxPort: 0,
    dataDir: join(dir, "auth"),
    localSecret: stack.localSecret,
    publishableKey: stack.supabasePublishableKey,
    siteUrl: appUrl,
  });
  const sandboxHost = await startSandboxHost({
    port: 0,
    rootDir: join(dir, "sandboxes"),
    localSecret: stack.localSecret,
  });
  const github = await startGitHubEmulator({
    port: 0,
    dataDir: join(dir, "github"),
    localSecret: stack.localSecret,
    app: {
      ...stack.githubApp,
      callbackUrl: `${appUrl}/api/github/callback`,
      webhookUrl: `${appUrl}/api/github/webhook`,
    },
  });
  const envFile = join(dir, "worker.env");
  const vars = workerVars(stack, { app: appUrl, auth: auth.url, github: github.url, sandboxHost: sandboxHost.url });
  writeFileSync(
    envFile,
    Object.entries(vars)
      .map(([name, value]) => `${name}=${JSON.stringify(value)}\n`)
      .join(""),
  );

  await run("node_modules/.bin/react-router", ["build"]);
  const app = spawn(
    "node_modules/.bin/wrangler",
    [
      "dev",
      "--env-file",
      envFile,
      "--ip",
      "127.0.0.1",
      "--port",
      new URL(appUrl).port,
      "--persist-to",
      join(dir, "wrangler"),
    ],
    {
      env: {
        ...process.env,
        CLOUDFLARE_HYPERDRIVE_LOCAL_CONNECTION_STRING_HYPERDRIVE: database.url,
        CLOUDFLARE_CF_FETCH_ENABLED: "false",
        CI: "true",
      },
      stdio: ["ignore", "pipe", "pipe"],
      detached: true,
    },
  );
  const output: string[] = [];
  app.stdout?.on("data", (chunk: Buffer) => output.push(chunk.toString()));
  app.stderr?.on("data", (chunk: Buffer) => output.push(chunk.toString()));
  await waitForHealthy(appUrl, app, output);

  return {
    appUrl,
    mailboxUrl: auth.mailboxUrl,
    githubUrl: github.url,
    github: emulatorControl(github.url, stack.localSecret),
    async stop() {
      stopGroup(app);
      await Promise.all([auth.stop(), github.stop(), sandboxHost.stop(), database.stop()]);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

export type E2EStack = Awaited<ReturnType<typeof startE2EStack>>;

async function waitForHealthy(appUrl: string, app: ChildProcess, output: string[]) {
  const deadline = Date.now() + 60_000;
  while (Date.now() < deadline) {
    if (app.exitCode !== null) throw new Error(`wrangler dev exited:\n${output.join("")}`);
    try {
      if ((await fetch(`${appUrl}/healthz`)).ok) return;
    } catch {
      // Not listening yet.
    }
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  stopGroup(app);
  throw new Error(`wrangler dev did not become healthy:\n${output.join("")}`);
}

function stopGroup(child: ChildProcess) {
  try {
    if (child.pid) process.kill(-child.pid, "SIGKILL");
  } catch {
    // Already gone.
  }
}

function run(command: string, args: string[]) {
  return new Promise<void>((resolve, reject) => {
    const child = spawn(command, args, { stdio: ["ignore", "ignore", "pipe"] });
    const errors: string[] = [];
    child.stderr?.on("data", (chunk: Buffer) => errors.push(chunk.toString()));
    child.on("exit", (code) => (code === 0 ? resolve() : reject(new Error(`${command} failed:\n${errors.join("")}`))));
  });
}
