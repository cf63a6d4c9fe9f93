/**
 * A return path is accepted only if it stays on this site: it must start with a single "/"
 * and, once a browser has resolved it, still point at our own origin. "//evil.example",
 * "/\evil.example" (browsers read "\" as "/") and absolute URLs are refused.
 */
export function safeReturnPath(value: string | null | undefined, fallback = "/me"): string {
  if (!value?.startsWith("/") || value.startsWith("//") || value.includes("\\")) return fallback;
  const base = "http://ctx4.invalid";
  try {
    const url = new URL(value, base);
    return url.origin === base ? `${url.pathname}${url.search}${url.hash}` : fallback;
  } catch {
    return fallback;
  }
}
