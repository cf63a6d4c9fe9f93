import { isbot } from "isbot";
import { renderToReadableStream } from "react-dom/server";
import type { AppLoadContext, EntryContext } from "react-router";
import { ServerRouter } from "react-router";
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
      console.error(error);
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
