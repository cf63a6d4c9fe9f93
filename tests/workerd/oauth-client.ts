import { location, type Visitor } from "./visitor";

/**
 * A bare OAuth 2.1 public client, as an MCP client registers and authorizes itself: dynamic
 * registration, PKCE S256, the consent page in the person's browser, the code exchange.
 */
export async function registerClient(visitor: Visitor, name = "Test Client") {
  const response = await visitor.fetch("/oauth/register", {
    method: "POST",
    headers: { "Content-Type": "application/json" },
    body: JSON.stringify({
      client_name: name,
      redirect_uris: ["http://127.0.0.1:9999/callback"],
      token_endpoint_auth_method: "none",
      grant_types: ["authorization_code", "refresh_token"],
      response_types: ["code"],
    }),
  });
  if (response.status !== 201) throw new Error(`registration answered ${response.status}: ${await response.text()}`);
  const { client_id: clientId } = (await response.json()) as { client_id: string };
  const verifier = base64url(crypto.getRandomValues(new Uint8Array(32)));
  const challenge = base64url(
    new Uint8Array(await crypto.subtle.digest("SHA-256", new TextEncoder().encode(verifier))),
  );
  const redirectUri = "http://127.0.0.1:9999/callback";
  const authorizePath = (scope = "ctx:read ctx:write") =>
    `/authorize?${new URLSearchParams({
      response_type: "code",
      client_id: clientId,
      redirect_uri: redirectUri,
      code_challenge: challenge,
      code_challenge_method: "S256",
      state: "client-state",
      scope,
      resource: new URL("/", visitor.site).origin,
    })}`;
  return { clientId, verifier, redirectUri, authorizePath };
}

export type RegisteredClient = Awaited<ReturnType<typeof registerClient>>;

/** Opens the consent page, answers it, and returns where the browser was sent. */
export async function consent(visitor: Visitor, client: RegisteredClient, answer: { allow: boolean; write?: boolean }) {
  const page = await visitor.fetch(client.authorizePath());
  const html = await page.text();
  const handle = html.match(/name="handle" value="([^"]+)"/)?.[1];
  if (!handle) throw new Error(`no consent form (${page.status}): ${html.slice(0, 300)}`);
  const fields: Record<string, string> = { handle, decision: answer.allow ? "approve" : "deny" };
  if (answer.write) fields.write = "on";
  const decided = await visitor.post(client.authorizePath(), fields);
  return new URL(location(decided) ?? "", "http://invalid");
}

export async function exchangeCode(visitor: Visitor, client: RegisteredClient, code: string) {
  const response = await visitor.fetch("/oauth/token", {
    method: "POST",
    headers: { "Content-Type": "application/x-www-form-urlencoded" },
    body: new URLSearchParams({
      grant_type: "authorization_code",
      code,
      redirect_uri: client.redirectUri,
      client_id: client.clientId,
      code_verifier: client.verifier,
    }),
  });
  return { status: response.status, body: (await response.json()) as Record<string, string> };
}

function base64url(bytes: Uint8Array): string {
  return btoa(String.fromCharCode(...bytes))
    .replaceAll("+", "-")
    .replaceAll("/", "_")
    .replaceAll("=", "");
}
