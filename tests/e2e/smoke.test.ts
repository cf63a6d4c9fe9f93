import { spawn } from "node:child_process";
import { beforeAll, describe, expect, it } from "vitest";
import { freePort } from "../free-port";
import { journey } from "./browser";
import { connectGitHub, newGitHubUser, signIn } from "./journeys";
import type { E2EStack } from "./stack";

// A stack of its own: its checks register clients, and together with the other files' they would pass the product's
// limit of 10 registrations a minute from one address (wrangler.toml, CLIENT_REGISTRATIONS).
const e2e = journey({ ownStack: true });
let stack: E2EStack;
beforeAll(() => {
  stack = e2e.stack;
});

/** `npm run smoke -- …args` as a person runs it (without npm's banner), started: its output as it comes, and its end. */
function startSmoke(args: string[], env: Record<string, string> = {}) {
  const child = spawn("node_modules/.bin/tsx", ["scripts/smoke.ts", ...args], {
    env: { ...process.env, CTX4_SMOKE_REFRESH_TOKEN: "", ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let stdout = "";
  let stderr = "";
  child.stdout.on("data", (chunk: Buffer) => {
    stdout += chunk.toString();
  });
  child.stderr.on("data", (chunk: Buffer) => {
    stderr += chunk.toString();
  });
  const done = new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve) =>
    child.on("close", (code) => resolve({ code, stdout, stderr })),
  );
  return {
    done,
    /** The first match of `pattern` in what it printed, once it has printed it. */
    async printed(pattern: RegExp): Promise<RegExpExecArray> {
      let ended = false;
      void done.then(() => {
        ended = true;
      });
      for (;;) {
        const match = pattern.exec(stdout);
        if (match) return match;
        if (ended) throw new Error(`smoke ended without printing ${pattern}:\n${stdout}${stderr}`);
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
    },
  };
}

/** `npm run smoke -- …args`, run to its end: its exit code and output. */
const smoke = (args: string[], env: Record<string, string> = {}) => startSmoke(args, env).done;

/** The printed line of the check `name` (`ok`, `FAIL` or `skip`, the name, what it saw). */
const line = (stdout: string, name: string) => stdout.split("\n").find((text) => text.slice(6).startsWith(`${name}:`));

/** The checks every run makes, whatever it is given. */
const PUBLIC_CHECKS = [
  "health",
  "landing page",
  "authorization server metadata",
  "protected resource metadata",
  "/mcp without a token",
  "client registration",
];

describe("npm run smoke", () => {
  it("passes against the service with no account: health, headers, discovery, 401 and registration", async () => {
    const run = await smoke([stack.appUrl]);
    expect(run.code, run.stdout + run.stderr).toBe(0);
    for (const name of PUBLIC_CHECKS) expect(line(run.stdout, name), name).toMatch(/^ok {4}/);
    expect(line(run.stdout, "/mcp without a token")).toContain(
      `${stack.appUrl}/.well-known/oauth-protected-resource/mcp`,
    );
    expect(line(run.stdout, "MCP session")).toMatch(/^skip/);
  });

  it("with a refresh token from --authorize and the person's consent, calls the tools, commits and removes a file, and prints the next token", async () => {
    const login = await newGitHubUser(stack, ["ctx"]);
    const { page } = await e2e.newPage();
    await signIn(page, stack, `${login}@example.com`);
    await connectGitHub(page, stack, login, ["ctx"], "ctx");
    // The test account's first refresh token, as the README says to get it: the person allows it in their browser.
    const authorizing = startSmoke([stack.appUrl, "--authorize"]);
    const [, consentUrl = ""] = await authorizing.printed(/^(http\S+\/authorize\?\S+)$/m);
    await page.goto(consentUrl);
    await page.getByLabel(/Run commands in your ctx repository/).check();
    await page.getByRole("button", { name: "Allow" }).click();
    await page.getByText("You can close this window.").waitFor();
    const authorized = await authorizing.done;
    expect(authorized.code, authorized.stdout + authorized.stderr).toBe(0);
    expect(authorized.stdout).toContain("scopes: ctx:read ctx:write");
    const clientId = /^client id: (\S+)$/m.exec(authorized.stdout)?.[1] ?? "";
    const refreshToken =
      /^next refresh token \(the one given is now used\): (\S+)$/m.exec(authorized.stdout)?.[1] ?? "";
    expect(refreshToken).not.toBe("");
    const before = await stack.github.commits(`${login}/ctx`);

    const run = await smoke([stack.appUrl, "--client-id", clientId, "--write"], {
      CTX4_SMOKE_REFRESH_TOKEN: refreshToken,
    });
    expect(run.code, run.stdout + run.stderr).toBe(0);
    for (const name of [...PUBLIC_CHECKS, "token refresh", "MCP initialize", "tools/list", "ctx_instructions"]) {
      expect(line(run.stdout, name), name).toMatch(/^ok {4}/);
    }
    expect(line(run.stdout, "tools/list")).toContain("ctx_bash, ctx_history, ctx_instructions, ctx_read, ctx_search");
    expect(line(run.stdout, "ctx_bash add")).toMatch(/^ok .*Pushed to/);
    expect(line(run.stdout, "ctx_bash remove")).toMatch(/^ok .*Pushed to/);

    // The memory ends as it began, with the two commits on top.
    const after = await stack.github.commits(`${login}/ctx`);
    expect(after.slice(0, 2).map((commit) => commit.message.split("\n")[0])).toEqual([
      "ctx4-ai smoke test: remove its file",
      "ctx4-ai smoke test: add a file",
    ]);
    expect(after[2]?.sha).toBe(before[0]?.sha);
    const file = /(ctx4-smoke-[\w-]+\.txt)/.exec(line(run.stdout, "ctx_bash add") ?? "")?.[1] ?? "";
    expect(file).not.toBe("");
    expect(await stack.github.readFile(`${login}/ctx`, file)).toBeUndefined();

    // Every token of this grant starts with the user's and grant's ids: only the next refresh token is printed.
    const next = /^next refresh token \(the one given is now used\): (\S+)$/m.exec(run.stdout)?.[1] ?? "";
    const grantPrefix = refreshToken.split(":").slice(0, 2).join(":");
    expect(next.startsWith(`${grantPrefix}:`)).toBe(true);
    expect(next).not.toBe(refreshToken);
    expect(run.stdout.split(grantPrefix).length - 1).toBe(1);
    expect(run.stderr).not.toContain(grantPrefix);

    // The printed token is the one the next run uses.
    const again = await smoke([stack.appUrl, "--client-id", clientId, "--refresh-token", next]);
    expect(again.code, again.stdout + again.stderr).toBe(0);
    expect(line(again.stdout, "ctx_read")).toMatch(/^ok/);
    expect(line(again.stdout, "ctx_bash")).toMatch(/^skip/);
  }, 180_000);

  it("fails, without printing it, on a refresh token the server does not know", async () => {
    const bogus = `${crypto.randomUUID()}:${crypto.randomUUID()}:not-a-token`;
    const registered = await fetch(`${stack.appUrl}/oauth/register`, {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ redirect_uris: ["http://127.0.0.1/callback"], token_endpoint_auth_method: "none" }),
    });
    expect(registered.status).toBe(201);
    const { client_id } = (await registered.json()) as { client_id: string };
    const run = await smoke([stack.appUrl, "--client-id", client_id], { CTX4_SMOKE_REFRESH_TOKEN: bogus });
    expect(run.code).toBe(1);
    expect(line(run.stdout, "token refresh")).toMatch(
      /^FAIL .*answered 400 \(invalid_grant: .*\); each refresh token works once: use the one the last run printed$/,
    );
    expect(line(run.stdout, "MCP session")).toMatch(/^skip/);
    expect(run.stdout + run.stderr).not.toContain(bogus);
  });

  it("fails on another host name of the server: the OAuth and MCP answers name APP_ORIGIN, not it", async () => {
    const other = new URL(stack.appUrl);
    other.hostname = "localhost";
    const run = await smoke([other.origin]);
    expect(run.code).toBe(1);
    expect(line(run.stdout, "health")).toMatch(/^ok/);
    const rightAddress = `This server's MCP and OAuth address is ${stack.appUrl}`;
    expect(line(run.stdout, "authorization server metadata")).toMatch(/^FAIL .*answered 400 \(invalid_request: /);
    expect(line(run.stdout, "authorization server metadata")).toContain(rightAddress);
    expect(line(run.stdout, "/mcp without a token")).toMatch(/^FAIL .*answered 400 .*, expected 401$/);
    expect(run.stdout).toContain(`smoke: ${other.origin} FAILED`);
  });

  it("fails on every check where nothing listens", async () => {
    const nowhere = `http://127.0.0.1:${await freePort()}`;
    const run = await smoke([nowhere]);
    expect(run.code).toBe(1);
    expect(line(run.stdout, "health")).toMatch(/^FAIL .*did not answer \(fetch failed: ECONNREFUSED\)/);
    expect(run.stdout).not.toMatch(/^ok/m);
  });

  it("refuses wrong arguments with its usage, exit code 2", async () => {
    for (const args of [
      [],
      [`${stack.appUrl}/mcp`],
      [stack.appUrl, "--write"],
      [stack.appUrl, "--authorize", "--write"],
    ]) {
      const run = await smoke(args);
      expect(run.code, args.join(" ")).toBe(2);
      expect(run.stderr).toContain("usage: npm run smoke -- <origin>");
    }
  });
});
