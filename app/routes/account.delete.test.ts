import { runInDurableObject } from "cloudflare:test";
import { env, exports } from "cloudflare:workers";
import { getOAuthApi } from "@cloudflare/workers-oauth-provider";
import { eq, getTableColumns, getTableName, is } from "drizzle-orm";
import { PgColumn, PgTable } from "drizzle-orm/pg-core";
import { describe, expect, inject, it } from "vitest";
import { LOCAL_SECRET_HEADER } from "../../local/secret-header";
import { execInSandbox, storedUserToken, workspaceOf } from "../../tests/workerd/connected-user";
import { accessToken, mcpPost, openSession, PROTOCOL_VERSION } from "../../tests/workerd/mcp";
import { consent, exchangeCode, registerClient } from "../../tests/workerd/oauth-client";
import { configOf, location, onboardedVisitor, Visitor } from "../../tests/workerd/visitor";
import { openSandbox } from "../../workers/sandbox/open-sandbox";
import { deleteAccount, revokeAllGrants } from "../lib/account.server";
import { connectDatabase } from "../lib/db/client.server";
import { allowSecretFinding, listSecretFindings, replaceSecretFindings } from "../lib/db/queries.server";
import * as schema from "../lib/db/schema";

/** Rows of the user's in every table that has a `user_id`, by table. */
async function rowsOfUser(userId: string): Promise<Record<string, number>> {
  const database = connectDatabase(env.HYPERDRIVE.connectionString);
  try {
    const counts: Record<string, number> = {};
    for (const table of Object.values(schema)) {
      if (!is(table, PgTable)) continue;
      const columns: Record<string, unknown> = getTableColumns(table);
      const userColumn = columns.userId;
      if (!is(userColumn, PgColumn)) continue;
      counts[getTableName(table)] = (await database.db.select().from(table).where(eq(userColumn, userId))).length;
    }
    return counts;
  } finally {
    await database.close();
  }
}

const NO_ROWS = { user_github_configs: 0, secret_findings: 0, allowed_secret_findings: 0 };
const CONFIG_ONLY = { ...NO_ROWS, user_github_configs: 1 };

/** Two refused findings of the user's, one of them allowed: a row in each findings table. */
async function refusedAndAllowedFindings(userId: string) {
  const database = connectDatabase(env.HYPERDRIVE.connectionString);
  const finding = {
    rule: "github/GITHUB_TOKEN",
    line: 1,
    excerpt: "ghp_****",
    commitSha: "0".repeat(40),
    clientName: null,
  };
  try {
    await replaceSecretFindings(database.db, userId, [
      { ...finding, fingerprint: "a".repeat(64), path: "a.md" },
      { ...finding, fingerprint: "b".repeat(64), path: "b.md" },
    ]);
    const [first] = await listSecretFindings(database.db, userId);
    await allowSecretFinding(database.db, userId, first?.id ?? "");
  } finally {
    await database.close();
  }
}

/** Every entry of the OAuth provider's KV namespace whose key or value names the user. */
async function kvEntriesNaming(userId: string): Promise<string[]> {
  const found: string[] = [];
  let cursor: string | undefined;
  do {
    const page = await env.OAUTH_KV.list(cursor ? { cursor } : {});
    for (const { name } of page.keys) {
      if (name.includes(userId) || (await env.OAUTH_KV.get(name))?.includes(userId)) found.push(name);
    }
    cursor = page.list_complete ? undefined : page.cursor;
  } while (cursor);
  return found;
}

/** The keys in the user's Durable Object's storage. */
const objectKeys = (userId: string) =>
  runInDurableObject(workspaceOf(userId), async (_instance, state) => [...(await state.storage.list()).keys()]);

/** The user ids the auth emulator knows. */
async function authUserIds(): Promise<string[]> {
  const { authUrl, localSecret } = inject("stack");
  const response = await fetch(`${authUrl}/_local/users`, { headers: { [LOCAL_SECRET_HEADER]: localSecret } });
  return ((await response.json()) as { id: string }[]).map((user) => user.id);
}

/** What the sandbox holds now (a fresh, empty one once it was destroyed), leaving none behind. */
async function sandboxListing(userId: string): Promise<string> {
  try {
    return await execInSandbox(userId, "ls -A");
  } finally {
    await openSandbox(env, userId, async () => new Response(null, { status: 403 })).destroy();
  }
}

/** A person with everything an account can hold: config, a clone in the sandbox, a client with tokens. */
async function fullAccount(name: string) {
  const onboarded = await onboardedVisitor(name);
  const userId = await onboarded.visitor.userId();
  expect(await workspaceOf(userId).bash({ command: "echo note > note.md" })).toMatchObject({ ran: true });
  const client = await registerClient(onboarded.visitor, "Claude");
  const sentTo = await consent(onboarded.visitor, client, { allow: true, write: true });
  const tokens = await exchangeCode(onboarded.visitor, client, sentTo.searchParams.get("code") ?? "");
  return { ...onboarded, userId, client, tokens: tokens.body };
}

/** The provider's helpers, as the Worker hands them to routes (only its KV is used here). */
const oauthProvider = () => {
  const unused = { fetch: () => new Response(null, { status: 404 }) };
  return getOAuthApi(
    {
      apiRoute: "/mcp",
      apiHandler: unused,
      defaultHandler: unused,
      authorizeEndpoint: "/authorize",
      tokenEndpoint: "/oauth/token",
      resourceMetadata: { resource: env.APP_ORIGIN },
    },
    env,
  );
};

const refresh = (visitor: Visitor, clientId: string, refreshToken: string) =>
  visitor.fetch("/oauth/token", {
    method: "POST",
    headers: { "Content-Type": "application/x-www-form-urlencoded" },
    body: new URLSearchParams({ grant_type: "refresh_token", refresh_token: refreshToken, client_id: clientId }),
  });

/** Whether GitHub still accepts a user token: `GET /user` with it. */
const githubAccepts = async (token: string) =>
  (await fetch(new URL("/user", env.GITHUB_API_URL), { headers: { Authorization: `Bearer ${token}` } })).ok;

/**
 * An event stream a client holds open, read to its end: "ended" when the server ends it
 * within 5 s of asking, else "still open".
 */
function readToEnd(response: Response): () => Promise<"ended" | "still open"> {
  expect(response.status).toBe(200);
  expect(response.headers.get("Content-Type")).toContain("text/event-stream");
  const reader = (response.body as ReadableStream<Uint8Array>).getReader();
  const drained = (async () => {
    while (!(await reader.read()).done) {
      // What the stream sends before it ends does not matter here.
    }
    return "ended" as const;
  })().catch(() => "ended" as const);
  return async () => {
    let timer: ReturnType<typeof setTimeout> | undefined;
    const open = new Promise<"still open">((resolve) => {
      timer = setTimeout(() => resolve("still open"), 5000);
    });
    const result = await Promise.race([drained, open]);
    clearTimeout(timer);
    if (result === "still open") await reader.cancel();
    return result;
  };
}

describe("deleting one's account", () => {
  it("says what goes and what stays on GitHub, with the page to uninstall the App", async () => {
    const { visitor, github, installation } = await fullAccount("reader");
    const response = await visitor.fetch("/account/delete");
    expect(response.status).toBe(200);
    expect(response.headers.get("Cache-Control")).toBe("private, no-store");
    const page = await response.text();
    for (const text of [
      "What ctx4-ai removes",
      "GitHub revokes the token it gave ctx4-ai to act as you there.",
      `${github.login}/ctx`,
      "Claude",
      "sandbox",
      visitor.email ?? "",
      "What stays on GitHub",
      `${env.GITHUB_WEB_URL}/settings/installations/${installation.id}`,
      "Delete my account",
    ]) {
      expect(page).toContain(text);
    }
    expect(await (await visitor.fetch("/me")).text()).toContain('href="/account/delete"');
  });

  it("removes the config, grants and tokens, the object's storage, the sandbox and the sign-in account", async () => {
    const { visitor, github, installation, userId, client, tokens } = await fullAccount("leaver");
    await refusedAndAllowedFindings(userId);
    expect(await rowsOfUser(userId)).toEqual({
      user_github_configs: 1,
      secret_findings: 1,
      allowed_secret_findings: 1,
    });
    expect(await kvEntriesNaming(userId)).not.toEqual([]);
    expect(await objectKeys(userId)).toContain("github-user-token");
    expect(await execInSandbox(userId, "ls -A")).not.toBe("");

    const deleted = await visitor.post("/account/delete", { email: visitor.email ?? "" });
    expect(location(deleted)).toBe("/");

    expect(await rowsOfUser(userId)).toEqual(NO_ROWS);
    expect(await kvEntriesNaming(userId)).toEqual([]);
    expect(await objectKeys(userId)).toEqual([]);
    expect(await sandboxListing(userId)).toBe("");
    expect(await authUserIds()).not.toContain(userId);

    // The AI client's tokens are dead, access and refresh alike.
    expect((await mcpPost(tokens.access_token ?? "", { jsonrpc: "2.0", id: 1, method: "ping" })).status).toBe(401);
    expect((await refresh(visitor, client.clientId, tokens.refresh_token ?? "")).status).toBe(400);

    // Signed out, and the home page says so once, with what stays on GitHub.
    const home = await (await visitor.fetch("/")).text();
    expect(home).toContain("Your ctx4-ai account was deleted");
    expect(home).toContain(`${github.login}/ctx`);
    expect(home).toContain(`${env.GITHUB_WEB_URL}/settings/installations/${installation.id}`);
    expect(home).toContain("Sign in");
    expect(await (await visitor.fetch("/")).text()).not.toContain("was deleted");
    expect(location(await visitor.fetch("/me"))).toBe("/login?returnTo=%2Fme");
  });

  it("ends the AI clients' open streams and has GitHub revoke the person's GitHub token", async () => {
    const { visitor, userId, tokens } = await fullAccount("streamer");
    const token = tokens.access_token ?? "";
    const githubToken = (await storedUserToken(userId))?.token ?? "";
    expect(await githubAccepts(githubToken)).toBe(true);

    // A Streamable HTTP session listening on its GET stream, and a legacy SSE session.
    const sessionId = await openSession(token);
    const listening = readToEnd(
      await exports.default.fetch("http://localhost/mcp", {
        headers: {
          Authorization: `Bearer ${token}`,
          Accept: "text/event-stream",
          "Mcp-Session-Id": sessionId,
          "MCP-Protocol-Version": PROTOCOL_VERSION,
        },
      }),
    );
    const legacy = readToEnd(
      await exports.default.fetch("http://localhost/sse", {
        headers: { Authorization: `Bearer ${token}`, Accept: "text/event-stream" },
      }),
    );
    expect(await workspaceOf(userId).mcpSessionCounts()).toEqual({ streamableHttp: 1, sse: 1 });

    expect(location(await visitor.post("/account/delete", { email: visitor.email ?? "" }))).toBe("/");
    expect(await listening()).toBe("ended");
    expect(await legacy()).toBe("ended");
    expect(await githubAccepts(githubToken)).toBe(false);
  });

  it("signs the same email up afresh afterwards: a new user, onboarding from the start", async () => {
    const { visitor, userId } = await fullAccount("returner");
    await visitor.post("/account/delete", { email: visitor.email ?? "" });

    const again = new Visitor();
    await again.signIn(visitor.email ?? "");
    expect(await again.userId()).not.toBe(userId);
    expect(location(await again.fetch("/onboarding"))).toBe("/onboarding/connect-github");
  });

  it("deletes nothing without the person's own email, or from another site", async () => {
    const { visitor, userId } = await fullAccount("careful");
    const wrong = await visitor.post("/account/delete", { email: "someone-else@example.com" });
    expect(wrong.status).toBe(400);
    expect(await wrong.text()).toContain("That is not the email you signed in with");

    const forged = await visitor.fetch("/account/delete", {
      method: "POST",
      headers: { "Content-Type": "application/x-www-form-urlencoded", Origin: "https://attacker.example" },
      body: new URLSearchParams({ email: visitor.email ?? "" }),
    });
    expect(forged.status).toBeGreaterThanOrEqual(400);
    expect((await visitor.fetch("/account/delete", { method: "GET" })).status).toBe(200);

    expect(await rowsOfUser(userId)).toEqual(CONFIG_ONLY);
    expect(await kvEntriesNaming(userId)).not.toEqual([]);
    expect(await authUserIds()).toContain(userId);
  });

  it("finishes on a retry after stopping part-way, and touches no one else", async () => {
    const other = await fullAccount("bystander");
    const { visitor, userId } = await fullAccount("halfway");
    // As if the first press stopped after the grants and the object: config and sign-in remain.
    expect(await revokeAllGrants(oauthProvider(), userId)).toBe(1);
    await workspaceOf(userId).erase();
    expect(await configOf(visitor)).toBeDefined();

    expect(location(await visitor.post("/account/delete", { email: visitor.email ?? "" }))).toBe("/");
    expect(await rowsOfUser(userId)).toEqual(NO_ROWS);
    expect(await authUserIds()).not.toContain(userId);

    // Everything deleted already: running the deletion again is harmless.
    const database = connectDatabase(env.HYPERDRIVE.connectionString);
    try {
      await expect(
        deleteAccount({ ...env, OAUTH_PROVIDER: oauthProvider() }, database.db, userId),
      ).resolves.toBeUndefined();
    } finally {
      await database.close();
    }

    expect(await rowsOfUser(other.userId)).toEqual(CONFIG_ONLY);
    expect(await kvEntriesNaming(other.userId)).not.toEqual([]);
    expect(await authUserIds()).toContain(other.userId);
    const stillWorks = await mcpPost(await accessToken(other.visitor, false), {
      jsonrpc: "2.0",
      id: 1,
      method: "initialize",
      params: { protocolVersion: "2025-06-18", capabilities: {}, clientInfo: { name: "t", version: "1" } },
    });
    expect(stillWorks.status).toBe(200);
  });
});
