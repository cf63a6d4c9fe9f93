import { timingSafeEqual } from "node:crypto";
import type { IncomingMessage } from "node:http";
import { LOCAL_SECRET_HEADER } from "./secret-header";

/**
 * The local stack runs commands and mints credentials, so only this machine's own tools may
 * call its private routes. Two checks:
 * - the Host header must name a loopback address, which defeats DNS rebinding (a page on
 *   evil.example resolving to 127.0.0.1 still sends `Host: evil.example`);
 * - the request must carry the stack's generated secret in LOCAL_SECRET_HEADER, which a
 *   cross-site page cannot know or set without a CORS preflight we never answer.
 */

const LOOPBACK_HOSTNAMES = new Set(["127.0.0.1", "localhost", "[::1]"]);

export function isLoopbackHost(host: string | undefined): boolean {
  if (!host) return false;
  try {
    return LOOPBACK_HOSTNAMES.has(new URL(`http://${host}`).hostname);
  } catch {
    return false;
  }
}

export type GuardVerdict = { ok: true } | { ok: false; status: 401 | 403; message: string };

export function checkLocalRequest(request: IncomingMessage, secret: string): GuardVerdict {
  if (!isLoopbackHost(request.headers.host)) {
    return { ok: false, status: 403, message: "Only loopback hosts may call the local stack." };
  }
  const given = request.headers[LOCAL_SECRET_HEADER];
  if (typeof given !== "string" || !sameSecret(given, secret)) {
    return { ok: false, status: 401, message: `Missing or wrong ${LOCAL_SECRET_HEADER} header.` };
  }
  return { ok: true };
}

function sameSecret(given: string, expected: string): boolean {
  const a = Buffer.from(given);
  const b = Buffer.from(expected);
  return a.length === b.length && timingSafeEqual(a, b);
}
