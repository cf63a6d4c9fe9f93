import { execFile } from "node:child_process";
import { generateKeyPairSync, randomBytes } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { createServer, type IncomingHttpHeaders } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { App } from "@octokit/app";
import { Octokit } from "@octokit/core";
import { type RunningGitHubEmulator, startGitHubEmulator } from "./server";

/** Shared set-up for the emulator's tests: a fresh emulator, an App client, a webhook receiver and git. */

export type ReceivedHook = { headers: IncomingHttpHeaders; body: string };

export type TestStack = {
  emulator: RunningGitHubEmulator;
  app: App;
  privateKeyPem: string;
  settings: {
    id: number;
    slug: string;
    clientId: string;
    clientSecret: string;
    webhookSecret: string;
    callbackUrl: string;
  };
  localSecret: string;
  hooks: ReceivedHook[];
  dataDir: string;
  stop(): Promise<void>;
};

export const keyPair = () =>
  generateKeyPairSync("rsa", {
    modulusLength: 2048,
    privateKeyEncoding: { type: "pkcs1", format: "pem" },
    publicKeyEncoding: { type: "spki", format: "pem" },
  });

export async function startTestStack(options: { tokenTtlSeconds?: number; dataDir?: string } = {}): Promise<TestStack> {
  const { privateKey, publicKey } = keyPair();
  const hooks: ReceivedHook[] = [];
  const receiver = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on("data", (chunk: Buffer) => chunks.push(chunk));
    request.on("end", () => {
      hooks.push({ headers: request.headers, body: Buffer.concat(chunks).toString("utf8") });
      response.writeHead(202).end();
    });
  });
  await new Promise<void>((resolve) => receiver.listen(0, "127.0.0.1", resolve));
  const receiverPort = (receiver.address() as AddressInfo).port;

  const dataDir = options.dataDir ?? mkdtempSync(join(tmpdir(), "ctx4-github-"));
  const settings = {
    id: 4242,
    slug: "ctx4-ai",
    clientId: "Iv23liTestClient",
    clientSecret: randomBytes(20).toString("hex"),
    webhookSecret: randomBytes(20).toString("hex"),
    callbackUrl: "http://127.0.0.1:5173/api/github/callback",
  };
  const localSecret = randomBytes(32).toString("hex");
  const emulator = await startGitHubEmulator({
    port: 0,
    dataDir,
    localSecret,
    tokenTtlSeconds: options.tokenTtlSeconds,
    app: { ...settings, publicKeyPem: publicKey, webhookUrl: `http://127.0.0.1:${receiverPort}/api/github/webhook` },
  });
  const app = new App({
    appId: settings.id,
    privateKey,
    oauth: { clientId: settings.clientId, clientSecret: settings.clientSecret },
    webhooks: { secret: settings.webhookSecret },
    Octokit: Octokit.defaults({ baseUrl: emulator.url }),
  });
  return {
    emulator,
    app,
    privateKeyPem: privateKey,
    settings,
    localSecret,
    hooks,
    dataDir,
    async stop() {
      await emulator.stop();
      await new Promise<void>((resolve) => receiver.close(() => resolve()));
      if (!options.dataDir) rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

/** An installation token minted through @octokit/app, as our Worker will mint it. */
export async function installationToken(
  app: App,
  installationId: number,
  narrowing: { repositoryNames?: string[]; permissions?: Record<string, "read" | "write"> } = {},
): Promise<string> {
  const auth = (await app.octokit.auth({ type: "installation", installationId, ...narrowing })) as { token: string };
  return auth.token;
}

export function basic(token: string): string {
  return `Basic ${Buffer.from(`x-access-token:${token}`).toString("base64")}`;
}

export type GitResult = { code: number; stdout: string; stderr: string };

/** The git CLI with no user config and no prompts, as the sandbox runs it. */
export function git(args: string[], cwd?: string): Promise<GitResult> {
  return new Promise((resolve) => {
    execFile(
      "git",
      args,
      {
        cwd,
        env: {
          PATH: process.env.PATH,
          GIT_CONFIG_NOSYSTEM: "1",
          GIT_CONFIG_GLOBAL: "/dev/null",
          GIT_TERMINAL_PROMPT: "0",
          GIT_AUTHOR_NAME: "ctx4-ai[bot]",
          GIT_AUTHOR_EMAIL: "41004242+ctx4-ai[bot]@users.noreply.github.com",
          GIT_COMMITTER_NAME: "ctx4-ai[bot]",
          GIT_COMMITTER_EMAIL: "41004242+ctx4-ai[bot]@users.noreply.github.com",
        },
      },
      (error, stdout, stderr) => resolve({ code: error ? Number(error.code ?? 1) : 0, stdout, stderr }),
    );
  });
}

/** `http://x-access-token:<token>@127.0.0.1:<port>/<owner>/<repo>.git`, the form GitHub documents. */
export function cloneUrl(emulatorUrl: string, fullName: string, token?: string): string {
  const url = new URL(`${emulatorUrl}/${fullName}.git`);
  if (token) {
    url.username = "x-access-token";
    url.password = token;
  }
  return url.toString();
}

export function tempDir(prefix: string): string {
  return mkdtempSync(join(tmpdir(), prefix));
}
