import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { afterEach, expect, it } from "vitest";
import { flushEventStreamHeaders } from "./flush-event-stream";

let close: (() => void) | undefined;
afterEach(() => close?.());

/**
 * A server that answers as the Cloudflare Vite plugin does (`writeHead`, then the body as it
 * comes) through the middleware, and writes the body only once the client has the headers.
 */
async function serve(contentType: string) {
  let release = () => {};
  const released = new Promise<void>((resolve) => {
    release = resolve;
  });
  const server = createServer((request, response) =>
    flushEventStreamHeaders(request, response, () => {
      response.writeHead(200, { "content-type": contentType });
      void released.then(() => response.end("data: hello\n\n"));
    }),
  );
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  close = () => {
    server.closeAllConnections();
    server.close();
  };
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/`, release };
}

it("sends an event stream's headers before its first byte", async () => {
  const { url, release } = await serve("text/event-stream");
  // Headers held until the first byte would leave this waiting for good: the body comes only after.
  const response = await fetch(url);
  expect(response.headers.get("content-type")).toBe("text/event-stream");
  release();
  expect(await response.text()).toBe("data: hello\n\n");
});
