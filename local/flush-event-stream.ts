import type { IncomingMessage, OutgoingHttpHeader, OutgoingHttpHeaders, ServerResponse } from "node:http";
import type { Plugin } from "vite";

type Next = (error?: unknown) => void;

/**
 * Connect middleware: an answer whose Content-Type is `text/event-stream` sends its status and
 * headers the moment they are set. Node holds them until the first byte of the body, and the
 * Cloudflare Vite plugin writes a Worker's response with `writeHead` then the body, so under
 * `vite dev` an SSE stream's headers waited for its first event (or keep-alive, 15 s later),
 * and a client timed out on them. `wrangler dev` (`npm run preview`) and production send them
 * at once.
 */
export function flushEventStreamHeaders(_request: IncomingMessage, response: ServerResponse, next: Next): void {
  const writeHead = response.writeHead.bind(response);
  response.writeHead = ((
    status: number,
    ...rest: [string | OutgoingHttpHeaders | OutgoingHttpHeader[] | undefined, OutgoingHttpHeaders?]
  ) => {
    const written = writeHead(status, ...(rest as [string, OutgoingHttpHeaders]));
    const headers = rest.find((arg) => typeof arg === "object");
    if (isEventStream(headers) || isEventStream(response.getHeaders())) response.flushHeaders();
    return written;
  }) as ServerResponse["writeHead"];
  next();
}

function isEventStream(headers: OutgoingHttpHeaders | OutgoingHttpHeader[] | undefined): boolean {
  if (!headers) return false;
  const entries: [string, unknown][] = Array.isArray(headers)
    ? []
    : Object.entries(headers).filter(([name]) => name.toLowerCase() === "content-type");
  return entries.some(([, value]) => String(value).toLowerCase().startsWith("text/event-stream"));
}

/** {@link flushEventStreamHeaders} in the Vite dev server, before the Cloudflare plugin answers. */
export function flushEventStreamHeadersPlugin(): Plugin {
  return {
    name: "ctx4-flush-event-stream-headers",
    apply: "serve",
    configureServer(server) {
      server.middlewares.use(flushEventStreamHeaders);
    },
  };
}
