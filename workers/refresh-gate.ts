import { DurableObject } from "cloudflare:workers";
import { isFormEncoded } from "./oauth-resource";

/**
 * Refresh tokens, used once each, even when a client sends one twice.
 *
 * The OAuth provider rotates the refresh token on every use, and keeps the one before it valid
 * until its replacement is first used. So two refreshes with one token at once both succeed,
 * each with a new token, and one of those is dead at once (the grant keeps only the last); and
 * an old token sent again later mints a third and kills the one the client holds. Either way the
 * person has to consent again.
 *
 * In front of the provider, each refresh token gets an object of its own ({@link RefreshGate},
 * named by the token's hash) that lets one refresh with it through at a time and remembers the
 * answer, sealed with a key only that token derives:
 * - while a refresh is under way, another with the same token waits for it;
 * - for {@link REPLAY_WINDOW_MS} after it, the same token gets the same answer again (the same new
 *   refresh and access token), so concurrent refreshes and a retry after a lost answer all end
 *   with the one token the grant now holds;
 * - after that the token is refused (`invalid_grant`) and never reaches the provider, so it
 *   cannot replace the current one.
 * A replay must be the same request as the refresh that succeeded (every parameter, client
 * credentials included): the provider judged that one, and a request it never judged (another
 * client, scope or resource) is refused rather than answered with tokens. So a `private_key_jwt`
 * client, whose assertions are single-use, gets no replay: its second refresh is refused, its
 * first one holds. A replay is also refused once the grant is revoked (the person clicked Revoke
 * on /me): its tokens are dead, and the client must hear so from the refresh, not from a 401.
 */
export const REPLAY_WINDOW_MS = 10 * 60 * 1000;

/** How long a used token is remembered: the provider's refresh token lifetime (30 days). */
const REMEMBER_MS = 30 * 24 * 60 * 60 * 1000;

/** The longest one refresh may hold the gate before a waiting one goes ahead on its own. */
const HOLD_MS = 15 * 1000;

type Claim = { kind: "proceed" } | { kind: "replay"; sealed: string; at: number } | { kind: "used" };
type Rotation = { sealed: string; at: number };

/**
 * One refresh token's record: whether a refresh with it is under way, and the sealed answer of
 * the one that succeeded. It never sees a token, only what {@link refreshOnce} sealed.
 */
export class RefreshGate extends DurableObject<Env> {
  #busy: { done: Promise<void>; release: () => void } | undefined;

  /** Waits for a refresh under way, then: go ahead (and hold the gate), the answer to replay, or used. */
  async claim(): Promise<Claim> {
    for (;;) {
      while (this.#busy) await this.#busy.done;
      const rotation = await this.ctx.storage.get<Rotation>("rotation");
      if (rotation) {
        return Date.now() - rotation.at < REPLAY_WINDOW_MS
          ? { kind: "replay", sealed: rotation.sealed, at: rotation.at }
          : { kind: "used" };
      }
      if (this.#busy) continue;
      let release = () => {};
      const done = new Promise<void>((resolve) => {
        release = resolve;
      });
      const timer = setTimeout(() => this.#release(), HOLD_MS);
      this.#busy = {
        done,
        release: () => {
          clearTimeout(timer);
          release();
        },
      };
      return { kind: "proceed" };
    }
  }

  /** The refresh that held the gate finished: with its sealed answer if it succeeded. */
  async settle(sealed: string | null): Promise<void> {
    if (sealed !== null) {
      await this.ctx.storage.put("rotation", { sealed, at: Date.now() } satisfies Rotation);
      await this.ctx.storage.setAlarm(Date.now() + REMEMBER_MS);
    }
    this.#release();
  }

  override async alarm(): Promise<void> {
    await this.ctx.storage.deleteAll();
  }

  #release() {
    const busy = this.#busy;
    this.#busy = undefined;
    busy?.release();
  }
}

/** What is sealed: the provider's token answer and the request it answered. */
type Sealed = { tokens: Record<string, unknown> & { expires_in?: number }; credentials: string };

/**
 * Sends a refresh-token request (`POST /oauth/token`, `grant_type=refresh_token`) through its
 * token's {@link RefreshGate} to `provider`; every other request goes straight to `provider`.
 *
 * @param granted whether an access token the provider issued is still valid (not revoked)
 * @returns the provider's answer; a remembered answer (same tokens, `expires_in` reduced by the
 *   time since); or 400 `invalid_grant` (RFC 6749 §5.2) for a token already used
 */
export async function refreshOnce(
  request: Request,
  gates: DurableObjectNamespace<RefreshGate>,
  provider: (request: Request) => Promise<Response>,
  granted: (accessToken: string) => Promise<boolean>,
): Promise<Response> {
  if (request.method !== "POST" || !isFormEncoded(request)) return provider(request);
  const form = new URLSearchParams(new TextDecoder().decode(await request.clone().arrayBuffer()));
  const token = form.get("refresh_token");
  if (form.get("grant_type") !== "refresh_token" || !token) return provider(request);

  const gate = gates.get(gates.idFromName(await hex(await digest(`ctx4-ai refresh gate\n${token}`))));
  const key = await sealingKey(token);
  // The request as sent, every parameter and the client authentication (RFC 6749 §2.3): a
  // replay must be the request the provider judged. A client assertion (RFC 7523) is
  // single-use, so a replay that carries one never matches.
  const credentials = JSON.stringify([
    [...form].sort(([a, x], [b, y]) => (a === b ? x.localeCompare(y) : a.localeCompare(b))),
    request.headers.get("Authorization"),
  ]);
  const claim = await gate.claim();
  if (claim.kind === "replay") {
    const sealed = await open(claim.sealed, key);
    if (sealed.credentials !== credentials) return used();
    const access = sealed.tokens.access_token;
    if (typeof access !== "string" || !(await granted(access)))
      return used("This connection was revoked or has ended. Connect again.");
    const elapsed = Math.floor((Date.now() - claim.at) / 1000);
    const tokens =
      typeof sealed.tokens.expires_in === "number"
        ? { ...sealed.tokens, expires_in: Math.max(0, sealed.tokens.expires_in - elapsed) }
        : sealed.tokens;
    const headers = new Headers({ "Cache-Control": "no-store", Pragma: "no-cache" });
    // Readable by a browser client like the provider's own answers (bearer tokens, no cookies).
    const origin = request.headers.get("Origin");
    if (origin) headers.set("Access-Control-Allow-Origin", origin);
    return Response.json(tokens, { headers });
  }
  if (claim.kind === "used") return used();

  let sealed: string | null = null;
  try {
    const response = await provider(request);
    if (!response.ok) return response;
    const tokens = (await response.json()) as Sealed["tokens"];
    sealed = await seal({ tokens, credentials }, key);
    const headers = new Headers(response.headers);
    headers.delete("Content-Length");
    return Response.json(tokens, { headers });
  } finally {
    await gate.settle(sealed);
  }
}

function used(
  description = "This refresh token was already used. Use the one that replaced it, or connect again.",
): Response {
  return Response.json(
    { error: "invalid_grant", error_description: description },
    { status: 400, headers: { "Cache-Control": "no-store" } },
  );
}

const encoder = new TextEncoder();

async function digest(text: string): Promise<ArrayBuffer> {
  return crypto.subtle.digest("SHA-256", encoder.encode(text));
}

async function hex(buffer: ArrayBuffer): Promise<string> {
  return [...new Uint8Array(buffer)].map((byte) => byte.toString(16).padStart(2, "0")).join("");
}

/** AES-GCM key from the refresh token (HKDF, RFC 5869): only its holder can open the answer. */
async function sealingKey(token: string): Promise<CryptoKey> {
  const material = await crypto.subtle.importKey("raw", encoder.encode(token), "HKDF", false, ["deriveKey"]);
  return crypto.subtle.deriveKey(
    { name: "HKDF", hash: "SHA-256", salt: new Uint8Array(32), info: encoder.encode("ctx4-ai refresh answer") },
    material,
    { name: "AES-GCM", length: 256 },
    false,
    ["encrypt", "decrypt"],
  );
}

async function seal(value: Sealed, key: CryptoKey): Promise<string> {
  const iv = crypto.getRandomValues(new Uint8Array(12));
  const data = await crypto.subtle.encrypt({ name: "AES-GCM", iv }, key, encoder.encode(JSON.stringify(value)));
  const joined = new Uint8Array(iv.length + data.byteLength);
  joined.set(iv);
  joined.set(new Uint8Array(data), iv.length);
  return btoa(String.fromCharCode(...joined));
}

async function open(sealed: string, key: CryptoKey): Promise<Sealed> {
  const bytes = Uint8Array.from(atob(sealed), (char) => char.charCodeAt(0));
  const data = await crypto.subtle.decrypt({ name: "AES-GCM", iv: bytes.slice(0, 12) }, key, bytes.slice(12));
  return JSON.parse(new TextDecoder().decode(data)) as Sealed;
}
