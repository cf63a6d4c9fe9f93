import { exports } from "cloudflare:workers";
import { afterEach, describe, expect, it, vi } from "vitest";
import { openSession } from "../tests/workerd/mcp";
import { consent, exchangeCode, registerClient } from "../tests/workerd/oauth-client";
import { onboardedVisitor, type Visitor } from "../tests/workerd/visitor";
import { REPLAY_WINDOW_MS } from "./refresh-gate";
import { MAX_TOKEN_BODY_BYTES } from "./token-request";

afterEach(() => {
  vi.useRealTimers();
});

/** A registered client with its first tokens, and a way to refresh them. */
async function connected(name: string) {
  const { visitor } = await onboardedVisitor(name);
  const client = await registerClient(visitor, `Refresh ${name}`);
  const sentTo = await consent(visitor, client, { allow: true, write: true });
  const { body: tokens } = await exchangeCode(visitor, client, sentTo.searchParams.get("code") ?? "");
  const refresh = (
    refreshToken: string,
    from: Visitor = visitor,
    contentType = "application/x-www-form-urlencoded",
    extra: Record<string, string> = {},
  ) =>
    from
      .fetch("/oauth/token", {
        method: "POST",
        headers: { "Content-Type": contentType },
        body: new URLSearchParams({
          grant_type: "refresh_token",
          refresh_token: refreshToken,
          client_id: client.clientId,
          ...extra,
        }),
      })
      .then(async (response) => ({ status: response.status, body: (await response.json()) as Record<string, string> }));
  return { visitor, tokens, refresh };
}

const works = async (accessToken: string | undefined) => {
  await openSession(accessToken ?? "");
  return true;
};

describe("refreshing a token", () => {
  it("twice at once with one refresh token leaves the client with a working token", async () => {
    const { tokens, refresh } = await connected("concurrent");
    const [first, second] = await Promise.all([
      refresh(tokens.refresh_token ?? ""),
      refresh(tokens.refresh_token ?? ""),
    ]);
    expect([first.status, second.status]).toEqual([200, 200]);
    // Both got the one answer, so whichever the client keeps is the grant's current token.
    expect(second.body.refresh_token).toBe(first.body.refresh_token);
    expect(second.body.access_token).toBe(first.body.access_token);
    expect(await works(first.body.access_token)).toBe(true);
    const next = await refresh(second.body.refresh_token ?? "");
    expect(next.status, JSON.stringify(next.body)).toBe(200);
    expect(await works(next.body.access_token)).toBe(true);
  });

  it("with an old refresh token again does not kill the current one", async () => {
    const { tokens, refresh } = await connected("replayed");
    const old = tokens.refresh_token ?? "";
    const current = await refresh(old);
    expect(current.status).toBe(200);

    // A retry soon after (a lost answer) gets the same answer again.
    const retried = await refresh(old);
    expect(retried.status).toBe(200);
    expect(retried.body.refresh_token).toBe(current.body.refresh_token);

    // Later, the old token is refused and never reaches the provider.
    vi.useFakeTimers({ toFake: ["Date"] });
    vi.setSystemTime(Date.now() + REPLAY_WINDOW_MS + 1000);
    const replayed = await refresh(old);
    expect(replayed.status).toBe(400);
    expect(replayed.body.error).toBe("invalid_grant");
    vi.useRealTimers();

    const next = await refresh(current.body.refresh_token ?? "");
    expect(next.status, JSON.stringify(next.body)).toBe(200);
    expect(await works(next.body.access_token)).toBe(true);
  });

  it("again under another client's name gets nothing", async () => {
    const { tokens, refresh } = await connected("stolen");
    const old = tokens.refresh_token ?? "";
    expect((await refresh(old)).status).toBe(200);
    const other = await exports.default.fetch("http://localhost/oauth/token", {
      method: "POST",
      headers: { "Content-Type": "application/x-www-form-urlencoded" },
      body: new URLSearchParams({ grant_type: "refresh_token", refresh_token: old, client_id: "someone-else" }),
    });
    expect(other.ok).toBe(false);
    expect(JSON.stringify(await other.json())).not.toContain("access_token");
  });

  it("again with the media type spelled in capitals still does not kill the current one", async () => {
    // Media types are case-insensitive (RFC 9110 §8.3.1) and the provider takes this spelling.
    const { tokens, refresh, visitor } = await connected("capitals");
    const old = tokens.refresh_token ?? "";
    const current = await refresh(old);
    expect(current.status).toBe(200);

    const again = await refresh(old, visitor, "Application/X-WWW-Form-Urlencoded");
    expect(again.status, JSON.stringify(again.body)).toBe(200);
    expect(again.body.refresh_token).toBe(current.body.refresh_token);
    const next = await refresh(current.body.refresh_token ?? "");
    expect(next.status, JSON.stringify(next.body)).toBe(200);
  });

  it("again after the person revoked the client is refused, not answered with dead tokens", async () => {
    const { tokens, refresh, visitor } = await connected("revoked");
    const old = tokens.refresh_token ?? "";
    const current = await refresh(old);
    expect(current.status).toBe(200);

    // The person clicks Revoke on /me (the grant id is the token's middle part).
    const revoked = await visitor.post("/me", { intent: "revoke", grantId: old.split(":")[1] ?? "" });
    expect(revoked.status).toBe(302);
    await expect(openSession(current.body.access_token ?? "")).rejects.toThrow(/401/);

    const retried = await refresh(old);
    expect(retried.status, JSON.stringify(retried.body)).toBe(400);
    expect(retried.body.error).toBe("invalid_grant");
    expect(retried.body.access_token).toBeUndefined();
  });

  it("again for another resource or scope is refused, not answered with the first request's tokens", async () => {
    const { tokens, refresh, visitor } = await connected("foreign-resource");
    const old = tokens.refresh_token ?? "";
    expect((await refresh(old)).status).toBe(200);
    const foreign = await refresh(old, visitor, undefined, { resource: "https://elsewhere.example/mcp" });
    expect(foreign.status, JSON.stringify(foreign.body)).toBe(400);
    expect(foreign.body.access_token).toBeUndefined();
    // So is one for less than was granted: its answer would claim scopes the request gave up.
    const narrower = await refresh(old, visitor, undefined, { scope: "ctx:read" });
    expect(narrower.status, JSON.stringify(narrower.body)).toBe(400);
    expect(narrower.body.access_token).toBeUndefined();
  });
});

describe("a token request", () => {
  it("larger than any client sends is refused without being parsed", async () => {
    const body = new URLSearchParams({ grant_type: "refresh_token", refresh_token: "a:b:c", client_id: "x" });
    body.set("padding", "p".repeat(MAX_TOKEN_BODY_BYTES));
    const response = await exports.default.fetch("http://localhost/oauth/token", {
      method: "POST",
      headers: { "Content-Type": "application/x-www-form-urlencoded" },
      body,
    });
    expect(response.status).toBe(413);
    expect(((await response.json()) as Record<string, string>).error).toBe("invalid_request");
  });

  it("of ordinary size still gets the provider's answer", async () => {
    const { tokens, refresh } = await connected("ordinary");
    const answer = await refresh(tokens.refresh_token ?? "", undefined, undefined, { padding: "p".repeat(1000) });
    expect(answer.status, JSON.stringify(answer.body)).toBe(200);
  });
});
