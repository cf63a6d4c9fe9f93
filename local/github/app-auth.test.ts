import { createSign } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { JWT_ERRORS } from "./app-auth";
import { keyPair, startTestStack, type TestStack } from "./test-support";

let stack: TestStack;
let acmeInstallationId: number;
beforeAll(async () => {
  stack = await startTestStack();
  acmeInstallationId = (await stack.emulator.control.createInstallation("acme", { repositories: ["ctx"] })).id;
});
afterAll(() => stack.stop());

function jwt(claims: Record<string, unknown>, privateKeyPem = stack.privateKeyPem, alg = "RS256"): string {
  const encode = (value: unknown) => Buffer.from(JSON.stringify(value)).toString("base64url");
  const unsigned = `${encode({ alg, typ: "JWT" })}.${encode(claims)}`;
  const signature = createSign("RSA-SHA256").update(unsigned).sign(privateKeyPem).toString("base64url");
  return `${unsigned}.${signature}`;
}

const now = () => Math.floor(Date.now() / 1000);

async function mintWith(token: string, installationId: number, body: unknown = {}) {
  const response = await fetch(`${stack.emulator.url}/app/installations/${installationId}/access_tokens`, {
    method: "POST",
    headers: { authorization: `Bearer ${token}`, accept: "application/vnd.github+json" },
    body: JSON.stringify(body),
  });
  return { status: response.status, body: (await response.json()) as Record<string, unknown> };
}

describe("App authentication", () => {
  it("mints an expiring ghs_ token for the App's installation through @octokit/app", async () => {
    const installation = await stack.emulator.control.createInstallation("alice", { repositories: ["ctx", "notes"] });
    const { data } = await stack.app.octokit.request("POST /app/installations/{installation_id}/access_tokens", {
      installation_id: installation.id,
    });
    expect(data.token).toMatch(/^ghs_[A-Za-z0-9]{36}$/);
    const lifetime = Date.parse(data.expires_at) - Date.now();
    expect(lifetime).toBeGreaterThan(59 * 60 * 1000);
    expect(lifetime).toBeLessThanOrEqual(60 * 60 * 1000);
    expect(data.permissions).toEqual({ contents: "write", metadata: "read" });
    expect(data.repository_selection).toBe("selected");
    expect(data.repositories).toBeUndefined();

    const { data: got } = await stack.app.octokit.request("GET /app/installations/{installation_id}", {
      installation_id: installation.id,
    });
    expect(got).toMatchObject({ id: installation.id, app_slug: "ctx4-ai", target_type: "User" });
    expect(got.account).toMatchObject({ login: "alice", id: 1001 });

    const { data: app } = await stack.app.octokit.request("GET /app");
    expect(app).toMatchObject({
      id: stack.settings.id,
      slug: "ctx4-ai",
      html_url: `${stack.emulator.url}/apps/ctx4-ai`,
    });
    expect(await stack.app.getInstallationUrl()).toBe(`${stack.emulator.url}/apps/ctx4-ai/installations/new`);
  });

  it("narrows a token to named repositories and to fewer permissions, and refuses widening", async () => {
    const installation = await stack.emulator.control.createInstallation("bob", { repository_selection: "all" });
    const narrowed = await mintWith(
      jwt({ iat: now() - 30, exp: now() + 540, iss: stack.settings.id }),
      installation.id,
      {
        repositories: ["ctx"],
        permissions: { contents: "read" },
      },
    );
    expect(narrowed.status).toBe(201);
    expect(narrowed.body).toMatchObject({ repository_selection: "selected", permissions: { contents: "read" } });
    expect((narrowed.body.repositories as { full_name: string }[]).map((repo) => repo.full_name)).toEqual(["bob/ctx"]);

    const byId = await stack.app.octokit.request("POST /app/installations/{installation_id}/access_tokens", {
      installation_id: installation.id,
      repository_ids: [500_004],
    });
    expect(byId.data.repositories?.map((repo) => repo.full_name)).toEqual(["bob/ctx"]);

    const wider = stack.app.octokit.request("POST /app/installations/{installation_id}/access_tokens", {
      installation_id: installation.id,
      permissions: { administration: "write" },
    });
    await expect(wider).rejects.toMatchObject({ status: 422 });
    const foreign = stack.app.octokit.request("POST /app/installations/{installation_id}/access_tokens", {
      installation_id: installation.id,
      repositories: ["ctx", "alice-only"],
    });
    await expect(foreign).rejects.toMatchObject({
      status: 422,
      message: expect.stringContaining("not accessible to the parent installation"),
    });
  });

  it("refuses a JWT signed with another key, for another App, expired, too long-lived or from the future", async () => {
    const installation = { id: acmeInstallationId };
    const other = keyPair().privateKey;
    const id = stack.settings.id;
    const cases: [string, string][] = [
      [jwt({ iat: now() - 30, exp: now() + 540, iss: id }, other), JWT_ERRORS.undecodable],
      [jwt({ iat: now() - 30, exp: now() + 540, iss: id + 1 }), JWT_ERRORS.undecodable],
      [jwt({ iat: now() - 30, exp: now() + 540, iss: id }, stack.privateKeyPem, "HS256"), JWT_ERRORS.undecodable],
      ["not.a.jwt", JWT_ERRORS.undecodable],
      [jwt({ iat: now() - 700, exp: now() - 100, iss: id }), JWT_ERRORS.expired],
      [jwt({ iat: now(), exp: now() + 3600, iss: id }), JWT_ERRORS.expTooFar],
      [jwt({ iat: now() + 300, exp: now() + 500, iss: id }), JWT_ERRORS.iatInvalid],
      [jwt({ iat: "yesterday", exp: now() + 500, iss: id }), JWT_ERRORS.iatInvalid],
    ];
    for (const [token, message] of cases) {
      const result = await mintWith(token, installation.id);
      expect(result.status, message).toBe(401);
      expect(result.body).toMatchObject({ message, documentation_url: expect.stringContaining("docs.github.com") });
    }
    const valid = await mintWith(jwt({ iat: now() - 60, exp: now() + 540, iss: id }), installation.id);
    expect(valid.status).toBe(201);
  });

  it("refuses installation tokens and user tokens where an App JWT is required", async () => {
    const { data } = await stack.app.octokit.request("POST /app/installations/{installation_id}/access_tokens", {
      installation_id: acmeInstallationId,
    });
    const { code } = await stack.emulator.control.oauthCode("alice");
    const { authentication } = await stack.app.oauth.createToken({ code });
    for (const token of [data.token, authentication.token]) {
      const response = await fetch(`${stack.emulator.url}/app/installations/${acmeInstallationId}`, {
        headers: { authorization: `token ${token}` },
      });
      expect(response.status).toBe(401);
      expect(await response.json()).toMatchObject({ message: JWT_ERRORS.undecodable });
    }
  });

  it("answers 404 for an installation that never existed or was deleted, 403 and suspended_at while suspended", async () => {
    const never = stack.app.octokit.request("POST /app/installations/{installation_id}/access_tokens", {
      installation_id: 999_999,
    });
    await expect(never).rejects.toMatchObject({ status: 404 });

    const bobs = (await stack.emulator.control.installations()).find((item) => item.account.login === "bob");
    if (!bobs) throw new Error("no bob installation");
    await stack.emulator.control.suspend(bobs.id);
    const suspended = stack.app.octokit.request("POST /app/installations/{installation_id}/access_tokens", {
      installation_id: bobs.id,
    });
    await expect(suspended).rejects.toMatchObject({ status: 403 });
    const read = () =>
      stack.app.octokit.request("GET /app/installations/{installation_id}", { installation_id: bobs.id });
    expect((await read()).data.suspended_at).toEqual(expect.any(String));
    await stack.emulator.control.unsuspend(bobs.id);
    expect((await read()).data.suspended_at).toBeNull();

    await stack.emulator.control.deleteInstallation(bobs.id);
    for (const route of [
      "POST /app/installations/{installation_id}/access_tokens",
      "GET /app/installations/{installation_id}",
    ] as const) {
      await expect(stack.app.octokit.request(route, { installation_id: bobs.id })).rejects.toMatchObject({
        status: 404,
      });
    }
  });

  it("serves the bot user whose id makes the commit email", async () => {
    const octokit = await stack.app.getInstallationOctokit(acmeInstallationId);
    const { data } = await octokit.request("GET /users/{username}", { username: "ctx4-ai[bot]" });
    expect(data).toMatchObject({ login: "ctx4-ai[bot]", type: "Bot", id: stack.emulator.bot.id });
    expect(stack.emulator.bot.email).toBe(`${data.id}+ctx4-ai[bot]@users.noreply.github.com`);
    await expect(octokit.request("GET /users/{username}", { username: "nobody" })).rejects.toMatchObject({
      status: 404,
    });
  });
});
