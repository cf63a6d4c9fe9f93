import { exports } from "cloudflare:workers";
import { afterEach, describe, expect, it, vi } from "vitest";
import { connectedClient, REDIRECT_URL, SdkOAuthClient } from "../tests/workerd/sdk-client";
import { onboardedVisitor } from "../tests/workerd/visitor";

/**
 * Client ID Metadata Documents. The provider fetches a client's document from its https URL with
 * the runtime's `fetch`; nothing here can serve https on a public host, so the test answers that
 * one URL itself and lets every other request through. What it proves: our configuration turns
 * CIMD on (flag and option), the server advertises it, and an SDK client that uses its document
 * URL as client id gets through consent (which shows the document's name) to the tools without
 * registering. What only a deploy proves: the fetch of a real document over the internet under
 * `global_fetch_strictly_public`, and its caching.
 */
const DOCUMENT_URL = "https://client.example/oauth/client-metadata.json";
const document = {
  client_id: DOCUMENT_URL,
  client_name: "Published Client",
  redirect_uris: [REDIRECT_URL],
  grant_types: ["authorization_code", "refresh_token"],
  response_types: ["code"],
  token_endpoint_auth_method: "none",
};

afterEach(() => {
  vi.restoreAllMocks();
});

describe("a client identified by its metadata document", () => {
  it("is advertised as supported", async () => {
    const response = await exports.default.fetch("http://localhost/.well-known/oauth-authorization-server");
    expect(((await response.json()) as Record<string, unknown>).client_id_metadata_document_supported).toBe(true);
  });

  it("connects without registering, under the name its document gives", async () => {
    const fetched: string[] = [];
    const realFetch = globalThis.fetch;
    vi.spyOn(globalThis, "fetch").mockImplementation((input, init) => {
      const url = input instanceof Request ? input.url : String(input);
      if (url !== DOCUMENT_URL) return realFetch(input, init);
      fetched.push(url);
      return Promise.resolve(Response.json(document, { headers: { "Cache-Control": "no-store" } }));
    });
    const { visitor } = await onboardedVisitor("cimd");
    const oauth = new SdkOAuthClient("ignored", DOCUMENT_URL);
    const { client } = await connectedClient(
      visitor,
      "Streamable HTTP",
      "http://localhost/mcp",
      { write: false },
      oauth,
    );

    expect(oauth.clientInformation()?.client_id).toBe(DOCUMENT_URL);
    expect(fetched.length).toBeGreaterThan(0);
    expect(oauth.consentPages[0]).toContain("Published Client");
    expect(oauth.consentPages[0]).toContain("<strong>client.example</strong>");
    const { tools } = await client.listTools();
    expect(tools.map((tool) => tool.name)).toEqual(["ctx_instructions", "ctx_read"]);
    await client.close();
  });

  it("is shown under its name without the bidi and control characters that would make it read as another", async () => {
    // The same name a registered client gets cleaned of (client-registration.test.ts): displayed
    // raw, the right-to-left override (U+202E) makes "laiciffo" read "official".
    const url = "https://spoof.example/oauth/client-metadata.json";
    const spoofing = {
      ...document,
      client_id: url,
      client_name: "\u200FClaude\u0000 \u2066Code\u2069\n\u202Elaiciffo\u202C\u0085",
    };
    const realFetch = globalThis.fetch;
    vi.spyOn(globalThis, "fetch").mockImplementation((input, init) => {
      const asked = input instanceof Request ? input.url : String(input);
      if (asked !== url) return realFetch(input, init);
      return Promise.resolve(Response.json(spoofing, { headers: { "Cache-Control": "no-store" } }));
    });
    const { visitor } = await onboardedVisitor("cimd-name");
    const page = await visitor.fetch(
      `/authorize?${new URLSearchParams({
        response_type: "code",
        client_id: url,
        redirect_uri: REDIRECT_URL,
        code_challenge: "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM",
        code_challenge_method: "S256",
        state: "s",
        scope: "ctx:read",
      })}`,
    );
    const html = await page.text();
    expect(page.status, html.slice(0, 300)).toBe(200);
    expect(html.match(/<h1[^>]*>(.*?)<\/h1>/s)?.[1]).toBe(
      "Allow <!-- -->Claude Code laiciffo<!-- --> to use your memory?",
    );
  });
});
