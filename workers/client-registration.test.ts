import { describe, expect, it } from "vitest";
import { registerClient } from "../tests/workerd/oauth-client";
import { onboardedVisitor, Visitor } from "../tests/workerd/visitor";
import { MAX_BODY_BYTES, MAX_CLIENT_NAME_LENGTH } from "./client-registration";

/** `CLIENT_REGISTRATIONS` in wrangler.toml: registrations per client IP and minute. */
const REGISTRATIONS_PER_MINUTE = 10;

const metadata = (clientName: unknown) => ({
  client_name: clientName,
  redirect_uris: ["http://127.0.0.1:9999/callback"],
  token_endpoint_auth_method: "none",
});

async function register(visitor: Visitor, body: BodyInit) {
  const response = await visitor.fetch("/oauth/register", {
    method: "POST",
    headers: { "Content-Type": "application/json" },
    body,
  });
  return { response, body: (await response.json()) as Record<string, string> };
}

/** What the consent page says in its heading, as the person reads it. */
async function consentHeading(clientName: string) {
  const { visitor } = await onboardedVisitor("consenter");
  const client = await registerClient(visitor, clientName);
  const html = await (await visitor.fetch(client.authorizePath())).text();
  return { heading: html.match(/<h1[^>]*>(.*?)<\/h1>/s)?.[1] ?? "", clientId: client.clientId };
}

describe("client registration", () => {
  it("refuses a 1 MB client name, whether or not the body's size is declared", async () => {
    const huge = JSON.stringify(metadata("A".repeat(1_000_000)));
    const declared = await register(new Visitor(), huge);
    expect(declared.response.status).toBe(413);
    expect(declared.body.error).toBe("invalid_request");

    const bytes = new TextEncoder().encode(huge);
    const streamed = await register(
      new Visitor(),
      new ReadableStream({
        pull(controller) {
          controller.enqueue(bytes);
          controller.close();
        },
      }),
    );
    expect(streamed.response.status).toBe(413);
    expect(streamed.body.error_description).toContain(String(MAX_BODY_BYTES));
  });

  it("cuts a long name to what the consent page can show, and says so in the answer", async () => {
    const { response, body } = await register(new Visitor(), JSON.stringify(metadata(`Claude ${"a".repeat(5000)}`)));
    expect(response.status).toBe(201);
    expect(Array.from(body.client_name ?? "")).toHaveLength(MAX_CLIENT_NAME_LENGTH);
    expect(body.client_name).toMatch(/^Claude a+…$/);
  });

  it("shows a name without the bidi and control characters that would make it read as another", async () => {
    // Displayed, the right-to-left override (U+202E) makes "laiciffo" read "official".
    const { heading } = await consentHeading("\u200FClaude\u0000 \u2066Code\u2069\n\u202Elaiciffo\u202C\u0085");
    expect(heading).toBe("Allow <!-- -->Claude Code laiciffo<!-- --> to use your memory?");
  });

  it.each([
    ["Claude\u200B\u2060Code", "ClaudeCode"],
    ["Claude\u{E0041}\uFE0F", "Claude"],
    ["Clau\u00ADde\uFEFF", "Claude"],
  ])("removes invisible characters from %j", async (name, shown) => {
    const { body } = await register(new Visitor(), JSON.stringify(metadata(name)));
    expect(body.client_name).toBe(shown);
  });

  it.each(["\u3164\u3164", "\u2800", "\u115F\u200B"])("keeps no name that reads as blank (%j)", async (name) => {
    const { body } = await register(new Visitor(), JSON.stringify(metadata(name)));
    expect(body.client_name).toBeUndefined();
  });

  it("shows the client id when nothing of the name is left", async () => {
    const { heading, clientId } = await consentHeading("\u202E\u0007 \u2066");
    expect(heading).toContain(`Allow <!-- -->${clientId}<!-- -->`);
  });

  it("cleans a language-tagged name the same way, and leaves the rest to the provider", async () => {
    const tagged = await register(
      new Visitor(),
      JSON.stringify({ ...metadata("Claude"), "client_name#he": "ק\u202Eלוד" }),
    );
    expect(tagged.response.status).toBe(201);
    expect(tagged.body["client_name#he"]).toBe("קלוד");

    const notAString = await register(new Visitor(), JSON.stringify(metadata(42)));
    expect(notAString.response.status).toBe(400);
    expect(notAString.body.error).toBe("invalid_client_metadata");
    const notJson = await register(new Visitor(), "{client_name");
    expect(notJson.response.status).toBe(400);
    expect(notJson.body.error).toBe("invalid_request");
  });

  it("answers 429 with Retry-After past the limit from one address, while another address still registers", async () => {
    // The local limiter counts in fixed minutes, like the period in wrangler.toml: start early in one.
    const intoMinute = Date.now() % 60_000;
    if (intoMinute > 45_000) await new Promise((resolve) => setTimeout(resolve, 60_000 - intoMinute));

    const busy = new Visitor();
    for (let count = 1; count <= REGISTRATIONS_PER_MINUTE; count++) {
      expect((await register(busy, JSON.stringify(metadata(`Client ${count}`)))).response.status).toBe(201);
    }
    const refused = await register(busy, JSON.stringify(metadata("One too many")));
    expect(refused.response.status).toBe(429);
    expect(refused.response.headers.get("Retry-After")).toBe("60");
    expect(refused.body.error).toBe("temporarily_unavailable");

    // Another address of the same IPv6 /64 is the same client.
    const neighbour = new Visitor(busy.ip.replace(/::1$/, "::2"));
    expect((await register(neighbour, JSON.stringify(metadata("Next door")))).response.status).toBe(429);
    expect((await register(new Visitor(), JSON.stringify(metadata("Someone else")))).response.status).toBe(201);
  }, 60_000);
});
