import type { IncomingMessage, ServerResponse } from "node:http";

/** An error GoTrue would answer with: an HTTP status, a stable `error_code` and a message. */
export class AuthError extends Error {
  constructor(
    readonly status: number,
    readonly errorCode: string,
    message: string,
  ) {
    super(message);
  }
}

export const badRequest = (errorCode: string, message: string) => new AuthError(400, errorCode, message);
export const forbidden = (errorCode: string, message: string) => new AuthError(403, errorCode, message);

const API_VERSION_HEADER = "x-supabase-api-version";
const FIRST_VERSIONED_API = "2024-01-01";

/**
 * GoTrue answers in two shapes: `{ code: <status>, error_code, msg }` by default, and
 * `{ code: <error_code>, message }` when the client asks for API version 2024-01-01 or later
 * (supabase-js always does), echoing that version back so the client knows which it got.
 */
export function sendAuthError(request: IncomingMessage, response: ServerResponse, error: AuthError): void {
  const version = requestedApiVersion(request);
  const headers: Record<string, string> = { "content-type": "application/json", "x-sb-error-code": error.errorCode };
  let body: Record<string, unknown>;
  if (version && version >= FIRST_VERSIONED_API) {
    headers[API_VERSION_HEADER] = FIRST_VERSIONED_API;
    body = { code: error.errorCode, message: error.message };
  } else {
    body = { code: error.status, error_code: error.errorCode, msg: error.message };
  }
  response.writeHead(error.status, headers).end(JSON.stringify(body));
}

function requestedApiVersion(request: IncomingMessage): string | undefined {
  const value = request.headers[API_VERSION_HEADER];
  return typeof value === "string" && /^\d{4}-\d{2}-\d{2}$/.test(value) ? value : undefined;
}
