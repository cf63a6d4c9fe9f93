import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { SandboxUnavailableError } from "./backend";
import { type GitEgressHandler, localSandbox } from "./local";
import { openSandbox } from "./open-sandbox";

const noRoute: GitEgressHandler = async () => new Response("closed", { status: 403 });

describe("openSandbox", () => {
  it("refuses a configuration it cannot use, naming the setting", () => {
    expect(() => openSandbox({ ...env, SANDBOX_BACKEND: "docker" }, "u1", noRoute)).toThrow(/SANDBOX_BACKEND/);
    expect(() => openSandbox({ ...env, SANDBOX_BACKEND: "local", SANDBOX_HOST_URL: "" }, "u1", noRoute)).toThrow(
      /SANDBOX_HOST_URL: must be the sandbox host's http URL/,
    );
    expect(() =>
      openSandbox({ ...env, SANDBOX_BACKEND: "local", SANDBOX_HOST_SECRET: "short" }, "u1", noRoute),
    ).toThrow(/SANDBOX_HOST_SECRET/);
  });

  it("opens the configured backend", () => {
    expect(openSandbox(env, "u1", noRoute)).toHaveProperty("exec");
    expect(openSandbox({ ...env, SANDBOX_BACKEND: "cloudflare" }, "u1", noRoute)).toHaveProperty("exec");
  });
});

describe("the local sandbox backend", () => {
  it("runs commands in the sandbox's own folder and removes it on destroy", async () => {
    const sandbox = localSandbox(
      { hostUrl: env.SANDBOX_HOST_URL, secret: env.SANDBOX_HOST_SECRET },
      crypto.randomUUID(),
      noRoute,
    );
    await sandbox.exec({ command: "echo kept > file", timeoutMs: 5000, maxOutputBytes: 100 });
    expect(await sandbox.exec({ command: "cat file", timeoutMs: 5000, maxOutputBytes: 100 })).toMatchObject({
      exitCode: 0,
      stdout: "kept\n",
    });
    await sandbox.destroy();
    const after = await sandbox.exec({ command: "cat file", timeoutMs: 5000, maxOutputBytes: 100 });
    expect(after.exitCode).not.toBe(0);
  });

  it("fails clearly when the host refuses or cannot be reached, without echoing the secret", async () => {
    const wrong = localSandbox({ hostUrl: env.SANDBOX_HOST_URL, secret: "not-the-secret-at-all" }, "u1", noRoute);
    const refused = wrong.exec({ command: "true", timeoutMs: 1000, maxOutputBytes: 10 });
    await expect(refused).rejects.toThrow(SandboxUnavailableError);
    await expect(refused).rejects.toThrow(/answered 401/);
    await expect(refused).rejects.not.toThrow(/not-the-secret/);
    // workerd also logs the refused connection as an uncaught "Network connection lost"; the
    // promise itself is handled here.
    const gone = localSandbox({ hostUrl: "http://127.0.0.1:9", secret: env.SANDBOX_HOST_SECRET }, "u1", noRoute);
    await expect(gone.exec({ command: "true", timeoutMs: 1000, maxOutputBytes: 10 })).rejects.toThrow(/did not answer/);
  });
});
