import { spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";

const dataDir = mkdtempSync(join(tmpdir(), "ctx4-auth-cli-"));
afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

/**
 * Runs the CLI until it prints its first stdout line or exits. `node --import tsx` keeps it
 * one process, so stopping it cannot leave an orphan behind (as killing `npx tsx` can).
 */
function runCli(env: Record<string, string>) {
  const child = spawn(process.execPath, ["--import", "tsx", "local/auth/main.ts"], {
    env: { ...process.env, ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let stderr = "";
  child.stderr.on("data", (chunk: Buffer) => {
    stderr += chunk.toString();
  });
  return new Promise<{ line: string; code: number | null; stderr: string; stop(): void }>((resolve) => {
    child.stdout.once("data", (chunk: Buffer) =>
      resolve({ line: chunk.toString(), code: null, stderr, stop: () => child.kill() }),
    );
    child.once("exit", (code) => resolve({ line: "", code, stderr, stop: () => undefined }));
  });
}

describe("the auth emulator CLI", () => {
  it("prints one ready line with both URLs", async () => {
    const run = await runCli({
      AUTH_EMULATOR_PORT: "0",
      MAILBOX_PORT: "0",
      AUTH_EMULATOR_DATA_DIR: dataDir,
      LOCAL_STACK_SECRET: "cli-test-secret-0123456789",
      SUPABASE_PUBLISHABLE_KEY: "sb_publishable_cli",
    });
    try {
      expect(run.line).toMatch(/^ready http:\/\/127\.0\.0\.1:\d+ mailbox http:\/\/127\.0\.0\.1:\d+\n$/);
      const url = run.line.split(" ")[1];
      const health = await fetch(`${url}/auth/v1/health`, { headers: { apikey: "sb_publishable_cli" } });
      expect(health.status).toBe(200);
    } finally {
      run.stop();
    }
  });

  it("explains a bad environment and exits", async () => {
    const run = await runCli({ AUTH_EMULATOR_PORT: "nope", LOCAL_STACK_SECRET: "", SUPABASE_PUBLISHABLE_KEY: "" });
    expect(run.code).toBe(2);
    expect(run.stderr).toContain("AUTH_EMULATOR_PORT");
    expect(run.stderr).toContain("LOCAL_STACK_SECRET");
  });
});
