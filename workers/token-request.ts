import { readText, withBody } from "./client-registration";

/**
 * Token requests (`POST /oauth/token`) are a few hundred bytes: a code or refresh token, a PKCE
 * verifier, client credentials; a client assertion (RFC 7523) is the largest part, a few KiB.
 * The provider parses a token request's whole body, whatever its size, and our resource names
 * (`./oauth-resource.ts`) and refresh gate (`./refresh-gate.ts`) each read a copy of it, so an
 * unbounded body would be held several times over by a request anyone can send.
 */
export const MAX_TOKEN_BODY_BYTES = 64 * 1024;

/**
 * A token request with its body read once, or 413 `invalid_request` when the body is longer
 * than {@link MAX_TOKEN_BODY_BYTES} (read to the end, nothing past the limit kept). Any other
 * method goes on as it is, for the provider to answer.
 */
export async function boundTokenRequest(request: Request): Promise<Request | Response> {
  if (request.method !== "POST") return request;
  const text = await readText(request, MAX_TOKEN_BODY_BYTES);
  if (text === undefined) {
    return Response.json(
      {
        error: "invalid_request",
        error_description: `The token request must be at most ${MAX_TOKEN_BODY_BYTES} bytes.`,
      },
      // Readable by a browser client like the provider's own answers (bearer tokens, no cookies).
      { status: 413, headers: { "Cache-Control": "no-store", "Access-Control-Allow-Origin": "*" } },
    );
  }
  return withBody(request, text);
}
