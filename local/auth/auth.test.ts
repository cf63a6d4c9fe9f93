import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  follow,
  LOCAL_SECRET,
  latestLink,
  messagesTo,
  PUBLISHABLE_KEY,
  SITE_URL,
  signInByMagicLink,
  startTestEmulator,
  type TestEmulator,
  testClient,
} from "./test-support";

let emulator: TestEmulator;
let counter = 0;
const newEmail = () => `person${++counter}@example.com`;

beforeAll(async () => {
  emulator = await startTestEmulator();
});
afterAll(async () => {
  await emulator.remove();
});

/** A raw GoTrue call, for what supabase-js hides (status codes, bodies, tokens it would not resend). */
async function call(path: string, init: { method?: string; body?: unknown; headers?: Record<string, string> } = {}) {
  const response = await fetch(`${emulator.url}/auth/v1${path}`, {
    method: init.method ?? (init.body === undefined ? "GET" : "POST"),
    headers: { apikey: PUBLISHABLE_KEY, "content-type": "application/json", ...init.headers },
    body: init.body === undefined ? undefined : JSON.stringify(init.body),
    redirect: "manual",
  });
  const text = await response.text();
  return { status: response.status, headers: response.headers, body: text ? (JSON.parse(text) as unknown) : null };
}

function storedVerifier(storage: Map<string, string>): string {
  const entry = [...storage].find(([name]) => name.endsWith("-code-verifier"));
  if (!entry) throw new Error("supabase-js stored no PKCE verifier");
  return JSON.parse(entry[1]) as string;
}

describe("sign-in by magic link (PKCE)", () => {
  it("emails a link that redirects with a code, which supabase-js exchanges for a verifiable session", async () => {
    const { client } = testClient(emulator);
    const email = newEmail();
    const sent = await client.auth.signInWithOtp({ email, options: { emailRedirectTo: `${SITE_URL}/auth/confirm` } });
    expect(sent.error).toBeNull();

    const [message] = await messagesTo(emulator, email);
    expect(message).toMatchObject({ to: email, subject: "Confirm Your Signup" });
    expect(message?.text).toMatch(/enter the code: \d{6}/);
    const link = new URL(message?.links[0] ?? "");
    expect(link.origin + link.pathname).toBe(`${emulator.url}/auth/v1/verify`);
    expect(link.searchParams.get("type")).toBe("signup");
    expect(link.searchParams.get("token")).toMatch(/^pkce_[0-9a-f]{56}$/);
    expect(link.searchParams.get("redirect_to")).toBe(`${SITE_URL}/auth/confirm`);

    const landing = await follow(link.toString());
    expect(landing.origin + landing.pathname).toBe(`${SITE_URL}/auth/confirm`);
    const code = landing.searchParams.get("code");
    expect(code).toBeTruthy();

    const exchanged = await client.auth.exchangeCodeForSession(code ?? "");
    expect(exchanged.error).toBeNull();
    const session = exchanged.data.session;
    expect(session).toMatchObject({ token_type: "bearer", expires_in: 3600, user: { email, aud: "authenticated" } });

    const { data, error } = await client.auth.getClaims();
    expect(error).toBeNull();
    const jwks = (await call("/.well-known/jwks.json")).body as { keys: { kid: string }[] };
    expect(data?.header).toMatchObject({ alg: "ES256", typ: "JWT", kid: jwks.keys[0]?.kid });
    expect(data?.claims).toMatchObject({
      sub: session?.user.id,
      email,
      role: "authenticated",
      aud: "authenticated",
      iss: `${emulator.url}/auth/v1`,
      aal: "aal1",
      amr: [{ method: "email/signup" }],
      is_anonymous: false,
      app_metadata: { provider: "email", providers: ["email"] },
      user_metadata: { email, email_verified: true, sub: session?.user.id },
    });
    expect(data?.claims.session_id).toMatch(/^[0-9a-f-]{36}$/);
    expect((data?.claims.exp ?? 0) - (data?.claims.iat ?? 0)).toBe(3600);

    const user = await client.auth.getUser();
    expect(user.data.user).toMatchObject({ id: session?.user.id, email });
    expect(user.data.user?.email_confirmed_at).toBeTruthy();
  });

  it("sends a returning user a magic link and keeps their user id", async () => {
    const email = newEmail();
    const first = await signInByMagicLink(emulator, testClient(emulator).client, email);
    const { client } = testClient(emulator);
    const second = await signInByMagicLink(emulator, client, email);
    expect(second?.user.id).toBe(first?.user.id);
    const [latest] = await messagesTo(emulator, email);
    expect(latest?.subject).toBe("Your Magic Link");
    expect(new URL(latest?.links[0] ?? "").searchParams.get("type")).toBe("magiclink");
    expect((await client.auth.getClaims()).data?.claims.amr).toMatchObject([{ method: "magiclink" }]);
  });

  it("refuses a wrong PKCE verifier without burning the code", async () => {
    const { client, storage } = testClient(emulator);
    const email = newEmail();
    await client.auth.signInWithOtp({ email, options: { emailRedirectTo: SITE_URL } });
    const verifier = storedVerifier(storage);
    for (const name of storage.keys())
      if (name.endsWith("-code-verifier")) storage.set(name, JSON.stringify("x".repeat(56)));
    const code = (await follow(await latestLink(emulator, email))).searchParams.get("code") ?? "";

    const refused = await client.auth.exchangeCodeForSession(code);
    expect(refused.error).toMatchObject({ status: 400, code: "bad_code_verifier" });

    const redeemed = await call("/token?grant_type=pkce", { body: { auth_code: code, code_verifier: verifier } });
    expect(redeemed.status).toBe(200);
  });

  it("accepts an auth code once", async () => {
    const { client, storage } = testClient(emulator);
    const email = newEmail();
    await client.auth.signInWithOtp({ email, options: { emailRedirectTo: SITE_URL } });
    const verifier = storedVerifier(storage);
    const code = (await follow(await latestLink(emulator, email))).searchParams.get("code") ?? "";
    expect((await client.auth.exchangeCodeForSession(code)).error).toBeNull();

    const again = await call("/token?grant_type=pkce", { body: { auth_code: code, code_verifier: verifier } });
    expect(again).toMatchObject({ status: 404, body: { error_code: "flow_state_not_found" } });
  });

  it("accepts a link once, then redirects with GoTrue's error parameters", async () => {
    const { client } = testClient(emulator);
    const email = newEmail();
    await client.auth.signInWithOtp({ email, options: { emailRedirectTo: `${SITE_URL}/auth/confirm` } });
    const link = await latestLink(emulator, email);
    await follow(link);
    const second = await follow(link);
    expect(second.origin + second.pathname).toBe(`${SITE_URL}/auth/confirm`);
    expect(Object.fromEntries(second.searchParams)).toEqual({
      error: "access_denied",
      error_code: "otp_expired",
      error_description: "Email link is invalid or has expired",
    });
  });

  it("keeps only the newest link of a person valid", async () => {
    const { client } = testClient(emulator);
    const email = newEmail();
    await client.auth.signInWithOtp({ email });
    const older = await latestLink(emulator, email);
    await client.auth.signInWithOtp({ email });
    expect((await follow(older)).searchParams.get("error_code")).toBe("otp_expired");
    expect((await follow(await latestLink(emulator, email))).searchParams.get("code")).toBeTruthy();
  });

  it("sends redirects outside the site URL and allow-list to the site URL", async () => {
    const { client } = testClient(emulator);
    const email = newEmail();
    await client.auth.signInWithOtp({ email, options: { emailRedirectTo: "https://evil.example/steal" } });
    expect((await follow(await latestLink(emulator, email))).origin).toBe(SITE_URL);

    await client.auth.signInWithOtp({ email, options: { emailRedirectTo: "http://127.0.0.1:5173/auth/confirm" } });
    const allowed = await follow(await latestLink(emulator, email));
    expect(allowed.origin + allowed.pathname).toBe("http://127.0.0.1:5173/auth/confirm");
  });

  it("does not create users when asked not to", async () => {
    const { client } = testClient(emulator);
    const { error } = await client.auth.signInWithOtp({ email: newEmail(), options: { shouldCreateUser: false } });
    expect(error).toMatchObject({ status: 422, code: "otp_disabled" });
  });
});

describe("verifyOtp", () => {
  it("signs in with the 6-digit code from the email, once", async () => {
    const { client } = testClient(emulator);
    const email = newEmail();
    await client.auth.signInWithOtp({ email });
    const [message] = await messagesTo(emulator, email);
    const otp = /enter the code: (\d{6})/.exec(message?.text ?? "")?.[1] ?? "";

    const verified = await client.auth.verifyOtp({ email, token: otp, type: "email" });
    expect(verified.error).toBeNull();
    expect(verified.data.session?.user.email).toBe(email);
    expect((await client.auth.getClaims()).data?.claims.amr).toMatchObject([{ method: "otp" }]);

    const again = await testClient(emulator).client.auth.verifyOtp({ email, token: otp, type: "email" });
    expect(again.error).toMatchObject({ status: 403, code: "otp_expired" });
  });

  it("signs in with the link's token hash (the SSR confirm-route pattern)", async () => {
    const { client } = testClient(emulator);
    const email = newEmail();
    await client.auth.signInWithOtp({ email });
    const tokenHash = new URL(await latestLink(emulator, email)).searchParams.get("token") ?? "";
    const verified = await client.auth.verifyOtp({ token_hash: tokenHash, type: "email" });
    expect(verified.error).toBeNull();
    expect(verified.data.user?.email).toBe(email);
  });
});

describe("sessions", () => {
  it("rotates refresh tokens, returns the active one for its parent, and ends the session on older reuse", async () => {
    const { client } = testClient(emulator);
    const first = await signInByMagicLink(emulator, client, newEmail());
    const refreshed = await client.auth.refreshSession();
    expect(refreshed.error).toBeNull();
    const second = refreshed.data.session;
    expect(second?.refresh_token).not.toBe(first?.refresh_token);
    expect(second?.access_token).not.toBe(first?.access_token);
    expect((await client.auth.getClaims()).error).toBeNull();

    const third = await call("/token?grant_type=refresh_token", { body: { refresh_token: second?.refresh_token } });
    const thirdToken = (third.body as { refresh_token: string }).refresh_token;
    // GoTrue's allowance for a client that lost the last answer: the parent yields the active token.
    const lost = await call("/token?grant_type=refresh_token", { body: { refresh_token: second?.refresh_token } });
    expect(lost).toMatchObject({ status: 200, body: { refresh_token: thirdToken } });

    const reused = await call("/token?grant_type=refresh_token", { body: { refresh_token: first?.refresh_token } });
    expect(reused).toMatchObject({
      status: 400,
      body: { error_code: "refresh_token_already_used", msg: "Invalid Refresh Token: Already Used" },
    });
    const afterTheft = await call("/token?grant_type=refresh_token", { body: { refresh_token: thirdToken } });
    expect(afterTheft).toMatchObject({ status: 400, body: { error_code: "refresh_token_not_found" } });
  });

  it("signOut ends the session: refresh fails and /user answers session_not_found", async () => {
    const { client } = testClient(emulator);
    const session = await signInByMagicLink(emulator, client, newEmail());
    const accessToken = session?.access_token ?? "";
    expect((await client.auth.signOut()).error).toBeNull();

    // getClaims checks only the signature, so a signed-out token still verifies until it expires.
    expect((await client.auth.getClaims(accessToken)).error).toBeNull();
    const user = await call("/user", { headers: { authorization: `Bearer ${accessToken}` } });
    expect(user).toMatchObject({ status: 403, body: { error_code: "session_not_found" } });
    const { error } = await client.auth.refreshSession({ refresh_token: session?.refresh_token ?? "" });
    expect(error).toMatchObject({ status: 400, code: "refresh_token_not_found" });
  });

  it("logout scopes end this session, the others, or all of the user's", async () => {
    const email = newEmail();
    const clients = [testClient(emulator).client, testClient(emulator).client, testClient(emulator).client];
    const tokens: string[] = [];
    for (const client of clients) tokens.push((await signInByMagicLink(emulator, client, email))?.access_token ?? "");
    const userStatus = async (token: string | undefined) =>
      (await call("/user", { headers: { authorization: `Bearer ${token}` } })).status;

    expect((await clients[0]?.auth.signOut({ scope: "others" }))?.error).toBeNull();
    expect(await Promise.all(tokens.map(userStatus))).toEqual([200, 403, 403]);
    const unknownScope = await call("/logout?scope=everyone", {
      headers: { authorization: `Bearer ${tokens[0]}` },
      method: "POST",
    });
    expect(unknownScope).toMatchObject({ status: 400, body: { error_code: "validation_failed" } });
    expect((await clients[0]?.auth.signOut({ scope: "local" }))?.error).toBeNull();
    expect(await userStatus(tokens[0])).toBe(403);
  });

  it("asks for a bearer token on /user and rejects tokens it did not sign", async () => {
    expect(await call("/user")).toMatchObject({ status: 401, body: { error_code: "no_authorization" } });
    const forged = await call("/user", { headers: { authorization: "Bearer e30.e30.AAAA" } });
    expect(forged).toMatchObject({ status: 403, body: { error_code: "bad_jwt" } });
  });
});

describe("access token expiry", () => {
  let shortLived: TestEmulator;
  beforeAll(async () => {
    shortLived = await startTestEmulator({ accessTokenTtlSeconds: 2 });
  });
  afterAll(async () => {
    await shortLived.remove();
  });

  it("makes getClaims fail once the token expires, until a refresh", async () => {
    const { client } = testClient(shortLived);
    const session = await signInByMagicLink(shortLived, client, newEmail());
    const accessToken = session?.access_token ?? "";
    expect(session?.expires_in).toBe(2);
    expect((await client.auth.getClaims(accessToken)).error).toBeNull();

    await new Promise((resolve) => setTimeout(resolve, ((session?.expires_at ?? 0) + 0.1) * 1000 - Date.now()));
    const expired = await client.auth.getClaims(accessToken);
    expect(expired.error?.message).toMatch(/expired/);
    const user = await fetch(`${shortLived.url}/auth/v1/user`, {
      headers: { apikey: PUBLISHABLE_KEY, authorization: `Bearer ${accessToken}` },
    });
    expect(user.status).toBe(403);
    expect(await user.json()).toMatchObject({ error_code: "bad_jwt" });

    const refreshed = await client.auth.refreshSession();
    expect(refreshed.error).toBeNull();
    expect((await client.auth.getClaims(refreshed.data.session?.access_token)).error).toBeNull();
  });
});

describe("the gateway and GoTrue's error shapes", () => {
  it("refuses requests without the publishable key, except the email link and the JWKS", async () => {
    const wrongKey = await testClient(emulator, "sb_publishable_wrong").client.auth.signInWithOtp({
      email: newEmail(),
    });
    expect(wrongKey.error).toMatchObject({ status: 401, message: "Invalid API key" });

    const noKey = await fetch(`${emulator.url}/auth/v1/user`);
    expect(noKey.status).toBe(401);
    expect(await noKey.json()).toEqual({ message: "No API key found in request" });

    const jwks = await fetch(`${emulator.url}/auth/v1/.well-known/jwks.json`);
    expect(jwks.status).toBe(200);
    expect(await jwks.json()).toMatchObject({ keys: [{ kty: "EC", crv: "P-256", alg: "ES256", use: "sig" }] });
    const link = await fetch(`${emulator.url}/auth/v1/verify?token=nope&type=magiclink`, { redirect: "manual" });
    expect(link.status).toBe(303);
  });

  it("answers a bad email with a 400 in both of GoTrue's error shapes", async () => {
    const { error } = await testClient(emulator).client.auth.signInWithOtp({ email: "not-an-email" });
    expect(error).toMatchObject({ status: 400, code: "validation_failed" });

    const legacy = await call("/otp", { body: { email: "not-an-email" } });
    expect(legacy.body).toEqual({
      code: 400,
      error_code: "validation_failed",
      msg: "Unable to validate email address: invalid format",
    });
    const versioned = await call("/otp", {
      body: { email: "not-an-email" },
      headers: { "x-supabase-api-version": "2024-01-01" },
    });
    expect(versioned.body).toEqual({
      code: "validation_failed",
      message: "Unable to validate email address: invalid format",
    });
    expect(versioned.headers.get("x-supabase-api-version")).toBe("2024-01-01");
  });

  it("answers malformed bodies, unknown grants and unknown paths GoTrue-style", async () => {
    const notJson = await fetch(`${emulator.url}/auth/v1/otp`, {
      method: "POST",
      headers: { apikey: PUBLISHABLE_KEY },
      body: "{",
    });
    expect(await notJson.json()).toMatchObject({ code: 400, error_code: "bad_json" });
    expect(await call("/token?grant_type=password", { body: {} })).toMatchObject({ status: 400 });
    expect(await call("/nowhere")).toMatchObject({ status: 404, body: { code: 404 } });
    expect(
      await call("/otp", { body: { email: newEmail(), code_challenge: "short", code_challenge_method: "s256" } }),
    ).toMatchObject({
      status: 400,
      body: { error_code: "validation_failed" },
    });
  });

  it("answers /health like GoTrue and CORS preflights for browsers", async () => {
    expect(await call("/health")).toMatchObject({ status: 200, body: { name: "GoTrue" } });
    const preflight = await fetch(`${emulator.url}/auth/v1/token`, {
      method: "OPTIONS",
      headers: { origin: "http://localhost:5173", "access-control-request-headers": "apikey,content-type" },
    });
    expect(preflight.status).toBe(204);
    expect(preflight.headers.get("access-control-allow-origin")).toBe("*");
  });
});

describe("the implicit flow", () => {
  it("redirects with the session in the fragment when no PKCE challenge was sent", async () => {
    const email = newEmail();
    expect((await call(`/otp?redirect_to=${encodeURIComponent(SITE_URL)}`, { body: { email } })).status).toBe(200);
    const link = await latestLink(emulator, email);
    expect(new URL(link).searchParams.get("token")).toMatch(/^[0-9a-f]{56}$/);
    const landing = await follow(link);
    const fragment = new URLSearchParams(landing.hash.slice(1));
    expect(fragment.get("token_type")).toBe("bearer");
    expect(fragment.get("type")).toBe("signup");
    const { data, error } = await testClient(emulator).client.auth.getClaims(fragment.get("access_token") ?? "");
    expect(error).toBeNull();
    expect(data?.claims.email).toBe(email);
  });
});

describe("restarts and the control API", () => {
  it("keeps the signing key and users across a restart; sessions end", async () => {
    const first = await startTestEmulator();
    const { client } = testClient(first);
    const email = newEmail();
    const session = await signInByMagicLink(first, client, email);
    await first.stop();

    const second = await startTestEmulator({ dataDir: first.dataDir });
    try {
      const fresh = testClient(second).client;
      expect((await fresh.auth.getClaims(session?.access_token)).error).toBeNull();
      const again = await signInByMagicLink(second, fresh, email);
      expect(again?.user.id).toBe(session?.user.id);
    } finally {
      await second.remove();
    }
  });

  it("lists and deletes users only for loopback callers with the local secret", async () => {
    const email = newEmail();
    await signInByMagicLink(emulator, testClient(emulator).client, email);
    expect((await fetch(`${emulator.url}/_local/users`)).status).toBe(401);
    const listed = await fetch(`${emulator.url}/_local/users`, { headers: { "x-ctx4-local-secret": LOCAL_SECRET } });
    expect(await listed.json()).toEqual(expect.arrayContaining([expect.objectContaining({ email })]));
  });
});
