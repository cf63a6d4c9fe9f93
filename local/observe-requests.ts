import type { IncomingMessage, Server, ServerResponse } from "node:http";

/**
 * Sees each request a server receives: its method, its path (the query left out), and when it
 * was answered.
 * @param finished resolves with the milliseconds from the request's arrival to its response's end
 */
export type RequestListener = (method: string, path: string, finished: Promise<number>) => void;

/**
 * Calls `listener` for each request `server` receives, until the returned function is called:
 * how the benchmarks count and time what the Worker asks of the services it talks to.
 */
export function observeRequests(server: Server, listener: RequestListener): () => void {
  const observe = (request: IncomingMessage, response: ServerResponse) => {
    const started = performance.now();
    const finished = new Promise<number>((resolve) =>
      response.once("close", () => resolve(performance.now() - started)),
    );
    listener(request.method ?? "GET", (request.url ?? "/").split("?")[0] ?? "/", finished);
  };
  server.on("request", observe);
  return () => server.off("request", observe);
}
