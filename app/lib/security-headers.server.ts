/**
 * The security headers of every answer the Worker gives (OWASP Secure Headers Project; MDN's
 * pages on each header). Pages get a Content-Security-Policy of their own, with a nonce for
 * React Router's inline scripts ({@link documentPolicy}); every other answer, redirects and
 * JSON included, gets {@link withSecurityHeaders}' policy, which allows nothing at all.
 */

/**
 * No page may be framed (`X-Frame-Options` for browsers without CSP `frame-ancestors`), no
 * answer is sniffed into another type, and a Referer goes only to our own origin. Not
 * `no-referrer`: a browser then sends `Origin: null` with same-origin form posts (Fetch
 * standard, "append a request `Origin` header"), which React Router's CSRF check on actions
 * refuses.
 */
const ALWAYS = {
  "X-Frame-Options": "DENY",
  "X-Content-Type-Options": "nosniff",
  "Referrer-Policy": "same-origin",
} as const;

const NOTHING_ALLOWED = "default-src 'none'; frame-ancestors 'none'";

/** A fresh CSP nonce for one response: 128 random bits, base64 (CSP3 `nonce-source`). */
export function createNonce(): string {
  return btoa(String.fromCharCode(...crypto.getRandomValues(new Uint8Array(16))));
}

/**
 * The Content-Security-Policy of a page whose inline scripts carry `nonce`: scripts, styles
 * (Tailwind's built CSS), fetches and everything else only from our origin, no plugins, no
 * `<base>`, no framing.
 *
 * No `form-action`: Chrome applies it to the redirects that follow a form post, and the consent
 * form's answer is a redirect to the client's own redirect URI (any loopback port, https host
 * or app scheme); installing the GitHub App is a form post that redirects to GitHub.
 *
 * `dev` (Vite's dev server only) adds what Vite's client needs: it injects the CSS as `<style>`
 * elements. (Its hot-reload WebSocket is on the page's own host, which `'self'` allows.)
 */
export function documentPolicy(nonce: string, dev: boolean): string {
  return [
    "default-src 'self'",
    `script-src 'self' 'nonce-${nonce}'`,
    dev ? "style-src 'self' 'unsafe-inline'" : "style-src 'self'",
    "object-src 'none'",
    "base-uri 'none'",
    "frame-ancestors 'none'",
  ].join("; ");
}

/**
 * `response` with every header of {@link ALWAYS}, and a Content-Security-Policy that allows
 * nothing unless it already has one (a page's, from `entry.server.tsx`). Headers the response
 * already carries are kept.
 */
export function withSecurityHeaders(response: Response): Response {
  const secured = new Response(response.body, response);
  for (const [name, value] of Object.entries(ALWAYS)) {
    if (!secured.headers.has(name)) secured.headers.set(name, value);
  }
  if (!secured.headers.has("Content-Security-Policy")) secured.headers.set("Content-Security-Policy", NOTHING_ALLOWED);
  return secured;
}
