import { existsSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { LOCAL_SECRET_HEADER } from "../secret-header";
import { startTestHost, type TestHost } from "./test-host";

let host: TestHost;
beforeAll(async () => {
  host = await startTestHost();
});
afterAll(() => host.stop());

const validExec = { command: "touch ran", timeoutMs: 5_000, maxOutputBytes: 1024 };

describe("who may call the sandbox host", () => {
  it("answers /healthz to loopback hosts without the secret", async () => {
    for (const hostHeader of [`127.0.0.1:${host.port}`, `localhost:${host.port}`]) {
      const reply = await host.send("GET", "/healthz", { headers: { host: hostHeader, [LOCAL_SECRET_HEADER]: "" } });
      expect(reply.status).toBe(200);
    }
    expect((await host.send("GET", "/healthz", { headers: { host: "evil.example" } })).status).toBe(403);
  });

  it("refuses a missing or wrong secret and a non-loopback Host before running anything", async () => {
    const cases: { headers: Record<string, string>; status: number }[] = [
      { headers: { [LOCAL_SECRET_HEADER]: "" }, status: 401 },
      { headers: { [LOCAL_SECRET_HEADER]: "wrong" }, status: 401 },
      { headers: { host: "evil.example" }, status: 403 },
      { headers: { host: `rebound.example:${host.port}` }, status: 403 },
    ];
    for (const { headers, status } of cases) {
      for (const [method, path] of [
        ["POST", "/sandboxes/guarded/exec"],
        ["DELETE", "/sandboxes/guarded"],
        ["GET", "/anything"],
      ] as const) {
        const reply = await host.send(method, path, { headers, body: method === "POST" ? validExec : undefined });
        expect(reply.status, `${method} ${path} ${JSON.stringify(headers)}`).toBe(status);
        expect(reply.body?.error).toBeTruthy();
      }
    }
    expect(existsSync(join(host.rootDir, "guarded"))).toBe(false);
  });
});

describe("sandbox ids", () => {
  it("refuses ids that could escape the root, or are empty", async () => {
    const bad = [
      "..",
      ".",
      "%2e%2e",
      "%2E",
      ".hidden",
      "a%2Fb",
      "..%2F..%2Fetc",
      "%2F",
      "a%00b",
      "a%20b",
      "%E0%A4%A",
      "-x",
      "x".repeat(129),
    ];
    for (const id of bad) {
      for (const [method, path] of [
        ["POST", `/sandboxes/${id}/exec`],
        ["DELETE", `/sandboxes/${id}`],
      ] as const) {
        const reply = await host.send(method, path, { body: method === "POST" ? validExec : undefined });
        expect(reply.status, `${method} ${path}`).toBe(400);
        expect(reply.body?.error, id).toMatch(/sandbox id/);
      }
    }
    expect((await host.send("POST", "/sandboxes//exec", { body: validExec })).status).toBe(400);
    expect((await host.send("DELETE", "/sandboxes/")).status).toBe(400);
    expect((await host.send("POST", "/sandboxes/../../exec", { body: validExec })).status).toBe(404);
    expect(readdirSync(host.parentDir)).toEqual(["root"]);
    expect(readdirSync(host.rootDir)).toEqual([]);
  });

  it("accepts letters, digits, dots, dashes and underscores up to 128 characters", async () => {
    for (const id of ["user_1.repo-2", "A", "x".repeat(128), "a..b"]) {
      const reply = await host.send("POST", `/sandboxes/${id}/exec`, { body: validExec });
      expect(reply.status, id).toBe(200);
      expect(existsSync(join(host.rootDir, id, "ran"))).toBe(true);
    }
  });
});

describe("requests", () => {
  it("refuses malformed JSON and invalid fields with a clear error", async () => {
    const invalid: [unknown, string][] = [
      ["{not json", "not valid JSON"],
      ["", "not valid JSON"],
      [[], "body"],
      [{ ...validExec, command: undefined }, "command"],
      [{ ...validExec, command: "" }, "command"],
      [{ ...validExec, command: "echo \0" }, "command"],
      [{ ...validExec, timeoutMs: 0 }, "timeoutMs"],
      [{ ...validExec, timeoutMs: 600_001 }, "timeoutMs"],
      [{ ...validExec, timeoutMs: 1.5 }, "timeoutMs"],
      [{ ...validExec, timeoutMs: undefined }, "timeoutMs"],
      [{ ...validExec, maxOutputBytes: 0 }, "maxOutputBytes"],
      [{ ...validExec, maxOutputBytes: 100 * 1024 * 1024 + 1 }, "maxOutputBytes"],
      [{ ...validExec, encoding: "latin1" }, "encoding"],
      [{ ...validExec, env: { A: 1 } }, "env.A"],
      [{ ...validExec, env: { "BAD NAME": "x" } }, "env"],
      [{ ...validExec, cwd: "" }, "cwd"],
      [{ ...validExec, stdin: "x" }, "stdin"],
    ];
    for (const [body, mentions] of invalid) {
      const reply = await host.send("POST", "/sandboxes/requests/exec", { body });
      expect(reply.status, JSON.stringify(body)).toBe(400);
      expect(reply.body?.error, JSON.stringify(body)).toContain(mentions);
    }
    expect(existsSync(join(host.rootDir, "requests"))).toBe(false);
  });

  it("never echoes env values in errors", async () => {
    const reply = await host.send("POST", "/sandboxes/requests/exec", {
      body: { ...validExec, timeoutMs: 0, env: { TOKEN: "ghs_secretvalue" } },
    });
    expect(reply.status).toBe(400);
    expect(JSON.stringify(reply.body)).not.toContain("ghs_secretvalue");
  });

  it("refuses bodies over 1 MiB with 413", async () => {
    const reply = await host.send("POST", "/sandboxes/requests/exec", {
      body: { ...validExec, command: `echo ${"x".repeat(1024 * 1024)}` },
    });
    expect(reply.status).toBe(413);
    expect(reply.body?.error).toContain("larger");
  });

  it("answers unknown routes with 404 and wrong methods with 405", async () => {
    expect((await host.send("GET", "/")).status).toBe(404);
    expect((await host.send("GET", "/sandboxes/a/b/exec")).status).toBe(404);
    const wrong = await host.send("GET", "/sandboxes/a/exec");
    expect(wrong.status).toBe(405);
    expect(wrong.headers.allow).toBe("POST");
    expect((await host.send("POST", "/sandboxes/a")).status).toBe(405);
    expect((await host.send("POST", "/healthz")).status).toBe(405);
  });
});
