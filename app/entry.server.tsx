import { isbot } from "isbot";
import { renderToReadableStream } from "react-dom/server";
import type { ActionFunctionArgs, AppLoadContext, EntryContext, LoaderFunctionArgs } from "react-router";
import { ServerRouter } from "react-router";
import { logProblem } from "./lib/log.server";
import { createNonce, documentPolicy } from "./lib/security-headers.server";

export default async function handleRequest(
  request: Request,
  responseStatusCode: number,
  responseHeaders: Headers,
  routerContext: EntryContext,
  _loadContext: AppLoadContext,
) {
  let status = responseStatusCode;
  // React's and React Router's inline scripts carry it (ServerRouter hands it to <Scripts> and
  // <ScrollRestoration>); the page's policy allows no other inline script.
  const nonce = createNonce();
  const body = await renderToReadableStream(<ServerRouter context={routerContext} url={request.url} nonce={nonce} />, {
    nonce,
    signal: request.signal,
    onError(error: unknown) {
      status = 500;
      logProblem("render", error);
    },
  });

  // Crawlers and SSG get the whole document at once; browsers get it streamed.
  if (isbot(request.headers.get("user-agent") ?? "") || routerContext.isSpaMode) {
    await body.allReady;
  }

  responseHeaders.set("Content-Type", "text/html; charset=utf-8");
  // Replaces a route's own policy (the consent page's `frame-ancestors 'none'`, which this keeps).
  responseHeaders.set("Content-Security-Policy", documentPolicy(nonce, import.meta.env.DEV));
  return new Response(body, { headers: responseHeaders, status });
}

/**
 * Errors of loaders and actions (React Router logs each with `console.error` unless this is
 * exported): one `problem` line with the error's class, never its message or stack, which can
 * hold what the person typed. A request the browser gave up on is not a problem.
 */
export function handleError(error: unknown, { request }: LoaderFunctionArgs | ActionFunctionArgs) {
  if (!request.signal.aborted) logProblem("loader_or_action", error);
}
