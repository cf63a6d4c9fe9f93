import { spawn } from "node:child_process";
import { readFileSync, rmSync } from "node:fs";
import { request } from "node:http";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { LOCAL_SECRET_HEADER } from "../secret-header";
import { installationToken, keyPair, startTestStack, type TestStack, tempDir } from "./test-support";

let stack: TestStack;
beforeAll(async () => {
  stack = await startTestStack();
});
afterAll(() => stack.stop());

/** A raw request, so the Host header can be anything (fetch always sends the URL's host). */
function rawGet(url: string, headers: Record<string, string>): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = request(url, { headers }, (response) => {
      response.resume();
      resolve(response.statusCode ?? 0);
    });
    req.on("error", reject);
    req.end();
  });
}

describe("the emulator server", () => {
  it("answers /healthz, and nothing at all for a non-loopback Host", async () => {
    expect((await fetch(`${stack.emulator.url}/healthz`)).status).toBe(200);
    expect(await rawGet(`${stack.emulator.url}/healthz`, { host: "evil.example" })).toBe(403);
    expect(
      await rawGet(`${stack.emulator.url}/alice/ctx.git/info/refs?service=git-upload-pack`, { host: "evil.example" }),
    ).toBe(403);
  });

  it("guards every control route with a loopback Host and the local secret", async () => {
    const url = `${stack.emulator.url}/_emulator/installations`;
    expect((await fetch(url)).status).toBe(401);
    expect((await fetch(url, { headers: { [LOCAL_SECRET_HEADER]: "wrong" } })).status).toBe(401);
    expect(await rawGet(url, { host: "evil.example", [LOCAL_SECRET_HEADER]: stack.localSecret })).toBe(403);
    expect((await fetch(url, { headers: { [LOCAL_SECRET_HEADER]: stack.localSecret } })).status).toBe(200);
  });

  it("answers unknown routes and bad bodies with GitHub's error shape", async () => {
    const missing = await fetch(`${stack.emulator.url}/nope/nope/nope`);
    expect(missing.status).toBe(404);
    expect(await missing.json()).toEqual({
      message: "Not Found",
      documentation_url: "https://docs.github.com/rest",
      status: "404",
    });

    const { id } = await stack.emulator.control.createInstallation("alice", { repositories: ["ctx"] });
    const jwt = (await stack.app.octokit.auth({ type: "app" })) as { token: string };
    const badJson = await fetch(`${stack.emulator.url}/app/installations/${id}/access_tokens`, {
      method: "POST",
      headers: { authorization: `Bearer ${jwt.token}` },
      body: "{not json",
    });
    expect(badJson.status).toBe(400);
    expect(await badJson.json()).toMatchObject({ message: "Problems parsing JSON" });
  });

  it("keeps installations and tokens in its data folder across restarts, storing no usable token", async () => {
    const dataDir = tempDir("ctx4-github-restart-");
    try {
      const first = await startTestStack({ dataDir });
      const { id } = await first.emulator.control.createInstallation("bob", { repositories: ["ctx"] });
      const token = await installationToken(first.app, id);
      await first.stop();
      expect(readFileSync(`${dataDir}/state.json`, "utf8")).not.toContain(token);

      const second = await startTestStack({ dataDir });
      const response = await fetch(`${second.emulator.url}/repos/bob/ctx`, {
        headers: { authorization: `token ${token}` },
      });
      expect(response.status).toBe(200);
      expect((await second.emulator.control.installations()).map((item) => item.id)).toEqual([id]);
      await second.stop();
    } finally {
      rmSync(dataDir, { recursive: true, force: true });
    }
  });
});

describe("main.ts", () => {
  const run = (env: Record<string, string>) =>
    new Promise<{ line: string; stderr: string; code: number | null; stop: () => void }>((resolve) => {
      // One process (no npx or tsx wrapper), so stopping it leaves nothing behind.
      const child = spawn(process.execPath, ["--import", "tsx", "local/github/main.ts"], {
        env: { PATH: process.env.PATH ?? "", ...env },
        stdio: ["ignore", "pipe", "pipe"],
      });
      let stdout = "";
      let stderr = "";
      child.stderr.on("data", (chunk: Buffer) => {
        stderr += chunk.toString();
      });
      child.stdout.on("data", (chunk: Buffer) => {
        stdout += chunk.toString();
        if (stdout.includes("\n"))
          resolve({ line: stdout.trim(), stderr, code: null, stop: () => child.kill("SIGTERM") });
      });
      child.on("exit", (code) => resolve({ line: stdout.trim(), stderr, code, stop: () => undefined }));
    });

  it("starts from the environment and prints one ready line", async () => {
    const dataDir = tempDir("ctx4-github-main-");
    const started = await run({
      GITHUB_EMULATOR_PORT: "0",
      GITHUB_EMULATOR_DATA_DIR: dataDir,
      LOCAL_STACK_SECRET: "a-local-stack-secret-of-some-length",
      GITHUB_APP_ID: "77",
      GITHUB_APP_CLIENT_ID: "Iv23liMain",
      GITHUB_APP_CLIENT_SECRET: "secret",
      GITHUB_APP_PUBLIC_KEY: keyPair().publicKey.replace(/\n/g, "\\n"),
      GITHUB_WEBHOOK_SECRET: "hook-secret",
      GITHUB_APP_CALLBACK_URL: "http://127.0.0.1:5173/api/github/callback",
    });
    try {
      expect(started.line).toMatch(/^ready http:\/\/127\.0\.0\.1:\d+$/);
      const url = started.line.replace("ready ", "");
      expect((await fetch(`${url}/healthz`)).status).toBe(200);
      expect((await fetch(`${url}/apps/ctx4-ai`)).status).toBe(200);
    } finally {
      started.stop();
      rmSync(dataDir, { recursive: true, force: true });
    }
  });

  it("names the missing variable and exits non-zero", async () => {
    const failed = await run({ GITHUB_APP_ID: "77" });
    expect(failed.code).toBe(1);
    expect(failed.stderr).toContain("LOCAL_STACK_SECRET is not set");
    expect(failed.stderr).toContain("GITHUB_APP_PUBLIC_KEY is not set");
  });
});
