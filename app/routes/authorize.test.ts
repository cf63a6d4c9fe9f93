import { describe, expect, it } from "vitest";
import { consent, exchangeCode, registerClient } from "../../tests/workerd/oauth-client";
import {
  installAndReturn,
  location,
  newGitHubUser,
  onboardedVisitor,
  uniqueEmail,
  Visitor,
} from "../../tests/workerd/visitor";

const onboardedTo = async (name: string) => (await onboardedVisitor(name)).visitor;

describe("the consent page", () => {
  it("sends a signed-out person to sign in, then through onboarding, and back", async () => {
    const visitor = new Visitor();
    const client = await registerClient(visitor);
    const first = await visitor.fetch(client.authorizePath());
    expect(location(first)).toBe(`/login?${new URLSearchParams({ returnTo: client.authorizePath() })}`);

    const signedIn = await visitor.signIn(uniqueEmail("newcomer"), client.authorizePath());
    expect(location(signedIn)).toBe(client.authorizePath());
    const needsOnboarding = await visitor.fetch(client.authorizePath());
    expect(location(needsOnboarding)).toBe(`/onboarding?${new URLSearchParams({ returnTo: client.authorizePath() })}`);

    const onboarding = await visitor.fetch(location(needsOnboarding) ?? "");
    expect(location(onboarding)).toBe("/onboarding/connect-github");
    const github = await newGitHubUser(["ctx"]);
    await installAndReturn(visitor, github.login, ["ctx"]);
    const chosen = await visitor.post("/onboarding/select-repo", { repoId: String(github.repos[0]?.id) });
    expect(location(chosen)).toBe(client.authorizePath());
  });

  it("names the client, where access goes, and what it allows, and cannot be framed", async () => {
    const visitor = await onboardedTo("reader");
    const client = await registerClient(visitor, "Claude <script>alert(1)</script>");
    const page = await visitor.fetch(client.authorizePath());
    expect(page.status).toBe(200);
    const html = await page.text();
    expect(html).toContain("Claude &lt;script&gt;alert(1)&lt;/script&gt;");
    expect(html).not.toContain("<script>alert(1)</script>");
    expect(html).toContain("Access will be sent to <strong>127.0.0.1</strong>");
    expect(html).toContain("This sends access to an app on your computer");
    expect(html).toContain("Run commands in your ctx repository");
    const framing = `${page.headers.get("X-Frame-Options")} ${page.headers.get("Content-Security-Policy")}`;
    expect(framing).toMatch(/DENY|frame-ancestors 'none'/);
  });

  it("returns access_denied to the client on Deny", async () => {
    const visitor = await onboardedTo("denier");
    const client = await registerClient(visitor);
    const sentTo = await consent(visitor, client, { allow: false });
    expect(sentTo.origin + sentTo.pathname).toBe(client.redirectUri);
    expect(sentTo.searchParams.get("error")).toBe("access_denied");
    expect(sentTo.searchParams.get("state")).toBe("client-state");
  });

  it("issues tokens for exactly the scopes the person allowed", async () => {
    const visitor = await onboardedTo("granter");
    const reader = await registerClient(visitor, "Reader");
    const readOnly = await consent(visitor, reader, { allow: true, write: false });
    const readTokens = await exchangeCode(visitor, reader, readOnly.searchParams.get("code") ?? "");
    expect(readTokens.status).toBe(200);
    expect(readTokens.body.scope).toBe("ctx:read");
    expect(readTokens.body.refresh_token).toBeTruthy();

    const writer = await registerClient(visitor, "Writer");
    const readWrite = await consent(visitor, writer, { allow: true, write: true });
    const writeTokens = await exchangeCode(visitor, writer, readWrite.searchParams.get("code") ?? "");
    expect(writeTokens.body.scope?.split(" ").sort()).toEqual(["ctx:read", "ctx:write"]);

    const me = await (await visitor.fetch("/me")).text();
    expect(me).toContain("Reader");
    expect(me).toContain("Writer");
  });

  it("refuses a forged or replayed consent form", async () => {
    const visitor = await onboardedTo("forger");
    const client = await registerClient(visitor);
    const forged = await visitor.post(client.authorizePath(), { handle: "forged", decision: "approve", write: "on" });
    expect(forged.status).toBe(400);

    const page = await (await visitor.fetch(client.authorizePath())).text();
    const handle = page.match(/name="handle" value="([^"]+)"/)?.[1] ?? "";
    const elsewhere = await onboardedTo("bystander");
    const crossBrowser = await elsewhere.post(client.authorizePath(), { handle, decision: "approve" });
    expect(crossBrowser.status).toBe(400);

    const approved = await visitor.post(client.authorizePath(), { handle, decision: "approve" });
    expect(approved.status).toBe(302);
    const replayed = await visitor.post(client.authorizePath(), { handle, decision: "approve" });
    expect(replayed.status).toBe(400);
  });
});

describe("an authorization request we cannot trust", () => {
  /** A client anyone could register: its redirect URI is the attacker's page. */
  async function attackerClient(visitor: Visitor, metadata: Record<string, unknown> = {}) {
    const response = await visitor.fetch("/oauth/register", {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify({
        client_name: "Totally Claude",
        redirect_uris: ["https://evil.example/phish"],
        token_endpoint_auth_method: "none",
        ...metadata,
      }),
    });
    expect(response.status).toBe(201);
    return ((await response.json()) as { client_id: string }).client_id;
  }

  const authorizePath = (clientId: string, extra: Record<string, string>) =>
    `/authorize?${new URLSearchParams({
      response_type: "code",
      client_id: clientId,
      redirect_uri: "https://evil.example/phish",
      state: "s",
      ...extra,
    })}`;

  it.each([
    [
      "plain PKCE",
      { code_challenge: "a".repeat(43), code_challenge_method: "plain" },
      "plain PKCE method is not allowed",
    ],
    ["no PKCE", {}, "must use PKCE"],
    [
      "an unknown response type",
      { response_type: "token", code_challenge: "a".repeat(43) },
      "does not support response_type token",
    ],
    [
      "a foreign resource",
      { code_challenge: "a".repeat(43), code_challenge_method: "S256", resource: "https://evil.example" },
      "",
    ],
  ])("explains %s on our page, signed in or not, and never redirects to the client", async (_, extra, message) => {
    const signedIn = await onboardedTo("target");
    const clientId = await attackerClient(signedIn);
    for (const visitor of [signedIn, new Visitor()]) {
      const response = await visitor.fetch(authorizePath(clientId, extra));
      expect(response.status).toBe(400);
      expect(response.headers.get("Location")).toBeNull();
      const page = await response.text();
      expect(page).toContain("This connection request cannot be used");
      expect(page).toContain(message);
      expect(page).not.toContain("evil.example");
    }
  });

  it("requires PKCE of a confidential client too", async () => {
    const visitor = await onboardedTo("confidential");
    const clientId = await attackerClient(visitor, { token_endpoint_auth_method: "client_secret_basic" });
    const response = await visitor.fetch(authorizePath(clientId, {}));
    expect(response.status).toBe(400);
    expect(response.headers.get("Location")).toBeNull();
    expect(await response.text()).toContain("must use PKCE");
  });

  it("explains an unknown client or redirect URI on our page", async () => {
    const visitor = await onboardedTo("lost");
    const clientId = await attackerClient(visitor);
    for (const path of [
      authorizePath("no-such-client", { code_challenge: "a".repeat(43), code_challenge_method: "S256" }),
      `${authorizePath(clientId, { code_challenge: "a".repeat(43), code_challenge_method: "S256" })}`.replace(
        "phish",
        "other",
      ),
    ]) {
      const response = await visitor.fetch(path);
      expect(response.status).toBe(400);
      expect(response.headers.get("Location")).toBeNull();
    }
  });
});

describe("the MCP endpoint's OAuth surface", () => {
  it("challenges a request without a token, pointing at its metadata", async () => {
    const visitor = new Visitor();
    for (const path of ["/mcp", "/sse"]) {
      const response = await visitor.fetch(path, { method: "POST", body: "{}" });
      expect(response.status).toBe(401);
      expect(response.headers.get("WWW-Authenticate")).toMatch(/^Bearer .*resource_metadata="[^"]+"/);
    }
    // Each document names the resource its URL implies (RFC 9728 §3.3).
    for (const [path, resource] of [
      ["/.well-known/oauth-protected-resource", visitor.site],
      ["/.well-known/oauth-protected-resource/mcp", `${visitor.site}/mcp`],
    ]) {
      const metadata = await visitor.fetch(path ?? "");
      expect(metadata.status).toBe(200);
      expect(await metadata.json()).toMatchObject({ resource });
    }
    const server = (await (await visitor.fetch("/.well-known/oauth-authorization-server")).json()) as Record<
      string,
      unknown
    >;
    expect(server).toMatchObject({
      authorization_endpoint: `${visitor.site}/authorize`,
      token_endpoint: `${visitor.site}/oauth/token`,
      registration_endpoint: `${visitor.site}/oauth/register`,
      code_challenge_methods_supported: ["S256"],
    });
  });

  it("refuses a garbage token", async () => {
    const response = await new Visitor().fetch("/mcp", {
      method: "POST",
      headers: { Authorization: "Bearer not-a-real-token", "Content-Type": "application/json" },
      body: "{}",
    });
    expect(response.status).toBe(401);
  });
});
