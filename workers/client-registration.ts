import { z } from "zod";
import { clientAddressKey } from "../app/lib/client-address";
import { cleanClientName } from "../app/lib/oauth/client-name";

/**
 * Dynamic client registration (`POST /oauth/register`, RFC 7591) answered by the OAuth
 * provider, with our limits applied first:
 *
 * 1. At most `CLIENT_REGISTRATIONS`' limit per client address ({@link clientAddressKey}: an IPv4
 *    address or an IPv6 /64) and minute: 429 `temporarily_unavailable` (RFC 6749 §4.1.2.1) with
 *    `Retry-After`. A person's client registers once when it connects, so this only stops
 *    floods of clients.
 * 2. A body of at most {@link MAX_BODY_BYTES}: 413 `invalid_request`, and nothing of it kept.
 * 3. Client names (`client_name` and its language-tagged `client_name#…`, RFC 7591 §2.2)
 *    {@link cleanClientName cleaned}: the consent page shows the name to someone deciding whom to
 *    trust, so it must read as what it is. RFC 7591 §2 lets the server replace requested values,
 *    and the registration response (§3.2.1) tells the client what was stored; a client registering
 *    on its own (as MCP clients do) then still registers, where a refusal would leave its user
 *    unable to connect at all.
 *
 * Not in the provider's `clientRegistrationCallback`: that runs after the provider has parsed a
 * body of up to 1 MiB, can only refuse, with no `Retry-After`, and cannot change what is stored.
 *
 * @returns the request for the provider (with the cleaned body), or our refusal
 */
export async function screenClientRegistration(request: Request, limiter: RateLimit): Promise<Request | Response> {
  const { success } = await limiter.limit({ key: clientAddressKey(request.headers.get("CF-Connecting-IP")) });
  if (!success) {
    return refusal(
      429,
      "temporarily_unavailable",
      "Too many client registrations from this address; try again later.",
      {
        "Retry-After": String(LIMIT_PERIOD_SECONDS),
      },
    );
  }
  const text = await readText(request, MAX_BODY_BYTES);
  if (text === undefined) {
    return refusal(413, "invalid_request", `The registration request must be at most ${MAX_BODY_BYTES} bytes.`);
  }
  const body = clientMetadata.safeParse(parseJson(text));
  // Anything else wrong with the request is the provider's to answer, with its own error.
  if (!body.success) return withBody(request, text);
  const cleaned = Object.entries(body.data).flatMap(([key, value]) => {
    if (!isClientNameKey(key) || typeof value !== "string") return [[key, value]];
    const name = cleanClientName(value);
    return name ? [[key, name]] : [];
  });
  return withBody(request, JSON.stringify(Object.fromEntries(cleaned)));
}

/**
 * The period of the `CLIENT_REGISTRATIONS` rate limit in wrangler.toml, in seconds: the longest
 * a refused client waits before its window starts over.
 */
const LIMIT_PERIOD_SECONDS = 60;

/**
 * Registration bodies are a few hundred bytes (a name, a few redirect URIs, grant types); 16 KiB
 * leaves room for an inline JWKS of a few keys, far below the provider's own 1 MiB.
 */
export const MAX_BODY_BYTES = 16 * 1024;

const clientMetadata = z.record(z.string(), z.unknown());

const isClientNameKey = (key: string) => key === "client_name" || key.startsWith("client_name#");

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

/**
 * The body as text, or `undefined` when it is longer than `maxBytes`. A longer body is still
 * read to the end, without keeping what is past `maxBytes` (see `workers/app.ts` on unread bodies).
 */
export async function readText(request: Request, maxBytes: number): Promise<string | undefined> {
  const reader = request.body?.getReader();
  if (!reader) return "";
  const decoder = new TextDecoder();
  let text = "";
  let size = 0;
  for (let read = await reader.read(); !read.done; read = await reader.read()) {
    size += read.value.byteLength;
    if (size <= maxBytes) text += decoder.decode(read.value, { stream: true });
  }
  return size > maxBytes ? undefined : text + decoder.decode();
}

/** `request` with `body` instead of the body it had, which was read. */
export function withBody(request: Request, body: string): Request {
  const headers = new Headers(request.headers);
  headers.delete("Content-Length");
  return new Request(request, { headers, body });
}

/**
 * An OAuth error answer (RFC 6749 §5.2, as RFC 7591 §3.2.2 uses it). Readable by a client in a
 * browser too, as the provider's own answers are (CORS).
 */
function refusal(status: number, error: string, description: string, headers: Record<string, string> = {}) {
  return Response.json(
    { error, error_description: description },
    {
      status,
      headers: {
        "Cache-Control": "no-store",
        "Access-Control-Allow-Origin": "*",
        "Access-Control-Expose-Headers": "Retry-After",
        ...headers,
      },
    },
  );
}

export { MAX_CLIENT_NAME_LENGTH } from "../app/lib/oauth/client-name";
