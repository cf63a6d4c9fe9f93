import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { PUBLISHABLE_KEY, signInByMagicLink, startTestEmulator, type TestEmulator, testClient } from "./test-support";

const SECRET_KEY = "sb_secret_local_test_key_0123456789";

let emulator: TestEmulator;
beforeAll(async () => {
  emulator = await startTestEmulator({ secretKey: SECRET_KEY });
});
afterAll(async () => {
  await emulator.remove();
});

/** supabase-js on the secret key, as the app's server calls the admin API. */
const admin = () => testClient(emulator, SECRET_KEY).client.auth.admin;

async function deleteAs(key: string, bearer: string | undefined, userId: string) {
  const response = await fetch(`${emulator.url}/auth/v1/admin/users/${userId}`, {
    method: "DELETE",
    headers: { apikey: key, ...(bearer ? { authorization: `Bearer ${bearer}` } : {}) },
  });
  return { status: response.status, body: (await response.json()) as Record<string, unknown> };
}

describe("the admin API: deleting a user", () => {
  it("deletes the user with supabase-js: their session ends and the email signs up anew", async () => {
    const { client } = testClient(emulator);
    const session = await signInByMagicLink(emulator, client, "leaving@example.com");
    const userId = session?.user.id ?? "";

    expect(await admin().deleteUser(userId)).toMatchObject({ error: null });

    const user = await fetch(`${emulator.url}/auth/v1/user`, {
      headers: { apikey: PUBLISHABLE_KEY, authorization: `Bearer ${session?.access_token}` },
    });
    expect(user.status).toBe(403);
    const refreshed = await client.auth.refreshSession({ refresh_token: session?.refresh_token ?? "" });
    expect(refreshed.error).toMatchObject({ status: 400, code: "refresh_token_not_found" });
    const again = await signInByMagicLink(emulator, testClient(emulator).client, "leaving@example.com");
    expect(again?.user.id).not.toBe(userId);
  });

  it("answers a user it does not know 404 user_not_found, and a non-UUID id 400", async () => {
    const { error } = await admin().deleteUser(crypto.randomUUID());
    expect(error).toMatchObject({ status: 404, code: "user_not_found" });
    expect(await deleteAs(SECRET_KEY, undefined, "not-a-uuid")).toMatchObject({ status: 400 });
  });

  it("is for the secret key only: not the publishable key, nor a user's own token", async () => {
    const { client } = testClient(emulator);
    const session = await signInByMagicLink(emulator, client, "stays@example.com");
    const userId = session?.user.id ?? "";

    expect(await deleteAs(PUBLISHABLE_KEY, undefined, userId)).toMatchObject({ status: 401 });
    expect(await deleteAs(PUBLISHABLE_KEY, PUBLISHABLE_KEY, userId)).toMatchObject({ status: 403 });
    expect(await deleteAs(PUBLISHABLE_KEY, session?.access_token, userId)).toMatchObject({ status: 403 });
    expect(await deleteAs(SECRET_KEY, session?.access_token, userId)).toMatchObject({ status: 403 });
    expect(await deleteAs("sb_secret_guessed_0123456789", "sb_secret_guessed_0123456789", userId)).toMatchObject({
      status: 401,
    });
    expect((await client.auth.getUser()).error).toBeNull();
  });

  it("has no admin API without a secret key", async () => {
    const bare = await startTestEmulator();
    try {
      const response = await fetch(`${bare.url}/auth/v1/admin/users/${crypto.randomUUID()}`, {
        method: "DELETE",
        headers: { apikey: PUBLISHABLE_KEY, authorization: `Bearer ${PUBLISHABLE_KEY}` },
      });
      expect(response.status).toBe(403);
    } finally {
      await bare.remove();
    }
  });
});
