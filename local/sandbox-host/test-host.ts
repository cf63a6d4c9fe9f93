import { execFileSync } from "node:child_process";
import { randomUUID } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { request } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { LOCAL_SECRET_HEADER } from "../secret-header";
import type { ExecResponse } from "./sandboxes";
import { startSandboxHost } from "./server";

export const TEST_SECRET = "test-local-stack-secret-5f2b9c";

export type HostReply<T = unknown> = { status: number; headers: Record<string, unknown>; body: T };

export type SendOptions = { body?: unknown; headers?: Record<string, string>; signal?: AbortSignal };

/**
 * A sandbox host on a free port with a throw-away root, and a raw HTTP client for it.
 * node:http rather than fetch: the tests need exact paths (fetch would resolve `..` and
 * `%2e%2e`) and their own Host header.
 */
export async function startTestHost(options: { namespaces?: boolean; parentPrefix?: string } = {}) {
  const { parentPrefix = "ctx4-sandbox-host-", ...hostOptions } = options;
  const parentDir = mkdtempSync(join(tmpdir(), parentPrefix));
  const rootDir = join(parentDir, "root");
  const host = await startSandboxHost({ port: 0, rootDir, localSecret: TEST_SECRET, ...hostOptions });
  const { port } = new URL(host.url);

  const send = <T = { error?: string }>(method: string, path: string, options: SendOptions = {}) =>
    new Promise<HostReply<T>>((resolve, reject) => {
      const payload =
        options.body === undefined
          ? undefined
          : Buffer.from(typeof options.body === "string" ? options.body : JSON.stringify(options.body));
      const outgoing = request(
        {
          host: "127.0.0.1",
          port,
          method,
          path,
          signal: options.signal,
          headers: {
            host: `127.0.0.1:${port}`,
            [LOCAL_SECRET_HEADER]: TEST_SECRET,
            ...(payload ? { "content-type": "application/json", "content-length": String(payload.length) } : {}),
            ...options.headers,
          },
        },
        (response) => {
          const chunks: Buffer[] = [];
          response.on("data", (chunk: Buffer) => chunks.push(chunk));
          response.on("end", () => {
            const text = Buffer.concat(chunks).toString("utf8");
            resolve({
              status: response.statusCode ?? 0,
              headers: response.headers,
              body: text ? JSON.parse(text) : undefined,
            });
          });
        },
      );
      outgoing.on("error", reject);
      outgoing.end(payload);
    });

  const exec = (id: string, body: Record<string, unknown>, options: Omit<SendOptions, "body"> = {}) =>
    send<ExecResponse & { error?: string }>("POST", `/sandboxes/${id}/exec`, {
      ...options,
      body: { timeoutMs: 10_000, maxOutputBytes: 1024 * 1024, ...body },
    });

  return {
    parentDir,
    rootDir,
    port,
    send,
    exec,
    async stop() {
      await host.stop();
      rmSync(parentDir, { recursive: true, force: true });
    },
  };
}

export type TestHost = Awaited<ReturnType<typeof startTestHost>>;

/**
 * A sleep of 100 s under a name of its own, for finding it from outside: commands may run in a
 * PID namespace, where the pids they see are not this machine's.
 */
export function markedSleep(): { marker: string; command: string } {
  const marker = `ctx4-test-sleep-${randomUUID()}`;
  return { marker, command: `(exec -a ${marker} sleep 100) &` };
}

/** Whether a process named by `markedSleep` still runs (a zombie runs nothing, so it does not count). */
export function isMarkedRunning(marker: string): boolean {
  let pids: string;
  try {
    // The bracket keeps pgrep from matching a shell whose command line names the marker.
    pids = execFileSync("pgrep", ["-f", `[${marker[0]}]${marker.slice(1)}`], { encoding: "utf8" });
  } catch {
    return false;
  }
  return pids
    .trim()
    .split("\n")
    .some((pid) => isRunning(Number(pid)));
}

/**
 * Whether a process still runs. A killed process whose parent died stays a zombie until
 * PID 1 reaps it, and on some machines PID 1 never does; a zombie runs nothing, so it counts
 * as gone.
 */
export function isRunning(pid: number): boolean {
  try {
    const state = execFileSync("ps", ["-o", "stat=", "-p", String(pid)], { encoding: "utf8" }).trim();
    return state !== "" && !state.startsWith("Z");
  } catch {
    return false;
  }
}

export async function waitFor(condition: () => boolean, timeoutMs = 5_000): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (condition()) return true;
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
  return condition();
}
