import { afterEach, describe, expect, it, vi } from "vitest";
import { errorClass, inRequest, logProblem, noteFailure, requestIdOf, userHash, writeLog } from "./log.server";

afterEach(() => vi.restoreAllMocks());

/** The lines written while `run` runs, as the objects given to the console, by method. */
function linesOf(run: () => void) {
  const lines: { method: string; line: Record<string, unknown> }[] = [];
  for (const method of ["log", "warn", "error"] as const)
    vi.spyOn(console, method).mockImplementation((line: Record<string, unknown>) => {
      lines.push({ method, line });
    });
  run();
  return lines;
}

const sha256Hex = async (text: string) =>
  [...new Uint8Array(await crypto.subtle.digest("SHA-256", new TextEncoder().encode(text)))]
    .map((byte) => byte.toString(16).padStart(2, "0"))
    .join("");

describe("userHash", () => {
  const userId = "0b9f5a3e-8d1c-4f7a-9a51-2f1e7c3b6d40";

  it("gives one user the same 16 hex characters, others and other keys different ones", async () => {
    const env = { GITHUB_APP_PRIVATE_KEY: "-----BEGIN RSA PRIVATE KEY-----\nabc\n-----END RSA PRIVATE KEY-----" };
    const hash = await userHash(env, userId);
    expect(hash).toMatch(/^[0-9a-f]{16}$/);
    expect(await userHash(env, userId)).toBe(hash);
    expect(await userHash(env, "another-user")).not.toBe(hash);
    expect(await userHash({ GITHUB_APP_PRIVATE_KEY: "another key" }, userId)).not.toBe(hash);
  });

  it("cannot be found by hashing a guessed id without the key", async () => {
    const hash = await userHash({ GITHUB_APP_PRIVATE_KEY: "key" }, userId);
    expect((await sha256Hex(userId)).slice(0, 16)).not.toBe(hash);
    expect(hash).not.toContain(userId.slice(0, 8));
  });
});

describe("writeLog", () => {
  it("writes one object with the request's fields, by outcome on log, warn or error", () => {
    const lines = linesOf(() =>
      inRequest({ requestId: "r1", user: "u1", client: "c1" }, () => {
        writeLog({ event: "mcp", requestId: "r1", name: "tools/call", tool: "ctx_read", ms: 12.4, outcome: "ok" });
        writeLog({ event: "web", requestId: "r1", name: "/me", outcome: "refused", errorClass: "http_400" });
        writeLog({ event: "web", requestId: "r1", name: "/me", outcome: "error", errorClass: "http_503" });
      }),
    );
    expect(lines).toEqual([
      {
        method: "log",
        line: {
          user: "u1",
          client: "c1",
          event: "mcp",
          requestId: "r1",
          name: "tools/call",
          tool: "ctx_read",
          ms: 12,
          outcome: "ok",
        },
      },
      { method: "warn", line: expect.objectContaining({ outcome: "refused", errorClass: "http_400", user: "u1" }) },
      { method: "error", line: expect.objectContaining({ outcome: "error", errorClass: "http_503" }) },
    ]);
  });

  it("redacts anything token-shaped and keeps names and ids", () => {
    const tokens = [
      "ghs_16C7e42F292c6912E7710c838347Ae178B4a",
      "github_pat_11ABCDEFG0123456789_abcdefghijklmnopqrstuvwxyz",
      "sb_secret_N7UND0UgjKTVK-Uodkm0Hg_xSvEMPvz",
      "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.c2lnbmF0dXJl",
      "-----BEGIN RSA PRIVATE KEY-----",
      "0b9f5a3e-8d1c-4f7a-9a51-2f1e7c3b6d40:grant1234:secretsecretsecret",
      "bearer dGhpcyBpcyBhIHNlY3JldCB0b2tlbiB2YWx1ZTEyMw==",
      "0b9f5a3e-8d1c-4f7a-9a51-2f1e7c3b6d40",
    ];
    const lines = linesOf(() => {
      for (const token of tokens)
        writeLog({ event: "mcp", requestId: "r", name: "tools/call", tool: token, outcome: "ok" });
      writeLog({
        event: "web",
        requestId: "0123456789abcdef-LHR",
        name: "/activity/:sha/revert",
        intent: "allow",
        outcome: "ok",
      });
      writeLog({
        event: "mcp",
        requestId: "r",
        name: "notifications/cancelled",
        client: "https://claude.ai/oauth/client",
        outcome: "ok",
      });
      writeLog({ event: "mcp", requestId: "r", name: 'a\nb"c<d>', outcome: "ok" });
    });
    expect(lines.slice(0, tokens.length).map(({ line }) => line.tool)).toEqual(tokens.map(() => "[redacted]"));
    expect(lines[tokens.length]?.line).toMatchObject({
      requestId: "0123456789abcdef-LHR",
      name: "/activity/:sha/revert",
    });
    expect(lines[tokens.length + 1]?.line.client).toBe("https://claude.ai/oauth/client");
    expect(lines[tokens.length + 2]?.line.name).toBe("a?b?c?d?");
  });
});

describe("failures", () => {
  it("name an error's class and kind, never its message", () => {
    class SyncError extends Error {
      override readonly name = "SyncError";
      readonly failure = "auth";
    }
    expect(errorClass(new SyncError("token ghs_secret for alice/private"))).toBe("SyncError:auth");
    expect(errorClass(new TypeError("x is not a function"))).toBe("TypeError");
    expect(errorClass(new Response(null, { status: 404 }))).toBe("http_404");
    expect(errorClass("a string with secrets")).toBe("unknown");
  });

  it("are noted for the request's line, the first one only, and logged as problems of the request", () => {
    const request = { requestId: "r9" };
    const lines = linesOf(() =>
      inRequest(request, () => {
        noteFailure(new RangeError("first"));
        logProblem("sandbox_cancel", new TypeError("second, with /home/alice/notes.md"));
      }),
    );
    expect(request).toMatchObject({ failure: "RangeError" });
    expect(lines).toEqual([
      {
        method: "error",
        line: { event: "problem", requestId: "r9", name: "sandbox_cancel", outcome: "error", errorClass: "TypeError" },
      },
    ]);
  });
});

describe("requestIdOf", () => {
  it("is Cloudflare's Ray ID when there is one, else a fresh id", () => {
    const ray = new Request("https://x.test", { headers: { "cf-ray": "8f3a1b2c3d4e5f60-LHR" } });
    expect(requestIdOf(ray)).toBe("8f3a1b2c3d4e5f60-LHR");
    const bare = new Request("https://x.test");
    expect(requestIdOf(bare)).toMatch(/^[0-9a-f]{16}$/);
    expect(requestIdOf(bare)).not.toBe(requestIdOf(bare));
    const forged = new Request("https://x.test", { headers: { "cf-ray": "ghp_not-a-ray id" } });
    expect(requestIdOf(forged)).toMatch(/^[0-9a-f]{16}$/);
  });
});
