import { type ChildProcess, spawn } from "node:child_process";
import { mkdtempSync, realpathSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { LOCAL_SECRET_HEADER } from "../secret-header";
import { TEST_SECRET } from "./test-host";

const MAIN = new URL("./main.ts", import.meta.url).pathname;
const TSX = new URL("../../node_modules/.bin/tsx", import.meta.url).pathname;
const rootDir = mkdtempSync(join(tmpdir(), "ctx4-sandbox-main-"));
afterAll(() => rmSync(rootDir, { recursive: true, force: true }));

function startMain(env: Record<string, string>): ChildProcess {
  return spawn(TSX, [MAIN], {
    env: { PATH: process.env.PATH ?? "", SANDBOX_HOST_ROOT: rootDir, ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
}

function collect(stream: NodeJS.ReadableStream | null, until: (text: string) => boolean): Promise<string> {
  return new Promise((resolve) => {
    let text = "";
    stream?.on("data", (chunk: Buffer) => {
      text += chunk.toString();
      if (until(text)) resolve(text);
    });
    stream?.on("end", () => resolve(text));
  });
}

describe("the sandbox host's command line", () => {
  it("starts on the given port and prints one ready line", async () => {
    const child = startMain({ LOCAL_STACK_SECRET: TEST_SECRET, SANDBOX_HOST_PORT: "0" });
    try {
      const stdout = await collect(child.stdout, (text) => text.includes("\n"));
      const match = /^ready (http:\/\/127\.0\.0\.1:\d+)\n$/.exec(stdout);
      expect(match).not.toBeNull();
      const url = match?.[1] ?? "";
      const reply = await fetch(`${url}/sandboxes/cli/exec`, {
        method: "POST",
        headers: { [LOCAL_SECRET_HEADER]: TEST_SECRET, "content-type": "application/json" },
        body: JSON.stringify({ command: "echo $HOME", timeoutMs: 5_000, maxOutputBytes: 1024 }),
      });
      expect(await reply.json()).toMatchObject({ exitCode: 0, stdout: `${join(realpathSync(rootDir), "cli")}\n` });
    } finally {
      const exited = new Promise((resolve) => child.once("exit", resolve));
      child.kill("SIGTERM");
      expect(await exited).toBe(0);
    }
  });

  it("refuses to start without the local stack's secret", async () => {
    const child = startMain({ SANDBOX_HOST_PORT: "0" });
    const [stderr, code] = await Promise.all([
      collect(child.stderr, () => false),
      new Promise((resolve) => child.once("exit", resolve)),
    ]);
    expect(code).toBe(1);
    expect(stderr).toContain("LOCAL_STACK_SECRET is not set");
  });
});
