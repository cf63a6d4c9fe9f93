/**
 * A return path is accepted only if it stays on this site: it must start with "/", hold no
 * backslash or control character (browsers rewrite or drop them), and, once resolved as a
 * browser resolves a Location header (dot segments, percent-encoded dots, repeated slashes),
 * still be a path on our own origin that does not start with "//" (which a browser reads as
 * another host). What it returns is the resolved path, so the check and the redirect are the
 * same string. URL resolution: https://url.spec.whatwg.org/#concept-basic-url-parser
 */
export function safeReturnPath(value: string | null | undefined, fallback = "/me"): string {
  // biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what it refuses.
  if (!value?.startsWith("/") || /[\\\u0000-\u001f\u007f]/.test(value)) return fallback;
  const base = "http://ctx4.invalid";
  try {
    const url = new URL(value, base);
    const path = `${url.pathname}${url.search}${url.hash}`;
    return url.origin === base && !path.startsWith("//") ? path : fallback;
  } catch {
    return fallback;
  }
}
