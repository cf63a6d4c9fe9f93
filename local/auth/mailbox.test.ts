import { request } from "node:http";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { messagesTo, startTestEmulator, type TestEmulator, testClient } from "./test-support";

let emulator: TestEmulator;
beforeAll(async () => {
  emulator = await startTestEmulator();
});
afterAll(async () => {
  await emulator.remove();
});

/** fetch cannot set Host, and the Host check is what is under test. */
function getWithHost(url: string, host: string): Promise<number> {
  return new Promise((resolve, reject) => {
    request(url, { headers: { host } }, (response) => {
      response.resume();
      resolve(response.statusCode ?? 0);
    })
      .on("error", reject)
      .end();
  });
}

describe("the mailbox", () => {
  it("shows a page of messages, newest first, with clickable magic links", async () => {
    const { client } = testClient(emulator);
    await client.auth.signInWithOtp({ email: "first@example.com" });
    await client.auth.signInWithOtp({ email: "second@example.com" });
    const page = await (await fetch(emulator.mailboxUrl)).text();
    expect(page.indexOf("second@example.com")).toBeLessThan(page.indexOf("first@example.com"));
    const [latest] = await messagesTo(emulator, "second@example.com");
    const href = (latest?.links[0] ?? "").replaceAll("&", "&#38;");
    expect(page).toContain(`<a href="${href}">`);
  });

  it("filters the JSON API by recipient, case-insensitively, and deletes on request", async () => {
    const { client } = testClient(emulator);
    await client.auth.signInWithOtp({ email: "Filter@Example.com" });
    const mine = await messagesTo(emulator, "FILTER@example.com");
    expect(mine).toHaveLength(1);
    expect(mine[0]).toMatchObject({ to: "filter@example.com", subject: "Confirm Your Signup" });
    expect(mine[0]?.html).toContain("Confirm your mail");

    const deleted = await fetch(`${emulator.mailboxUrl}/api/messages?to=filter@example.com`, { method: "DELETE" });
    expect(deleted.status).toBe(204);
    expect(await messagesTo(emulator, "filter@example.com")).toEqual([]);
    expect((await messagesTo(emulator, "first@example.com")).length).toBeGreaterThan(0);

    await fetch(`${emulator.mailboxUrl}/api/messages`, { method: "DELETE" });
    expect(await (await fetch(`${emulator.mailboxUrl}/api/messages`)).json()).toEqual([]);
  });

  it("answers loopback hosts only", async () => {
    expect(await getWithHost(emulator.mailboxUrl, "localhost")).toBe(200);
    expect(await getWithHost(emulator.mailboxUrl, "evil.example")).toBe(403);
    expect(await getWithHost(`${emulator.mailboxUrl}/api/messages`, "evil.example:80")).toBe(403);
  });
});
