import { type MiddlewareFunction, redirect } from "react-router";

/**
 * `search` spelled as React Router's server spells it when it renders a page: read and written
 * again by `URLSearchParams` (WHATWG URL, application/x-www-form-urlencoded serializer), so
 * `?returnTo=/onboarding` becomes `?returnTo=%2Fonboarding`. Both spellings carry the same
 * values; "" for an empty query.
 */
export function canonicalSearch(search: string): string {
  const canonical = new URLSearchParams(search).toString();
  return canonical ? `?${canonical}` : "";
}

/**
 * Sends a page load whose query is spelled otherwise to the same URL spelled as above (308).
 * React Router renders on the server with the query re-encoded (`getNormalizedPath`), and in the
 * browser with `window.location` as typed; a form without an `action` takes its URL from that,
 * so the two renders disagreed and React reported a hydration mismatch. Data requests
 * (`.data`) and other methods pass: only a document's URL is rendered in two places.
 */
export const canonicalQueryMiddleware: MiddlewareFunction<Response> = async ({ request }, next) => {
  const url = new URL(request.url);
  const isDocumentLoad = (request.method === "GET" || request.method === "HEAD") && !url.pathname.endsWith(".data");
  if (!isDocumentLoad) return next();
  const search = canonicalSearch(url.search);
  if (search === url.search) return next();
  throw redirect(`${url.pathname}${search}`, 308);
};
