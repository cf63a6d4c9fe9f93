import { createServer, type Server } from "node:http";
import { afterEach, expect, it } from "vitest";
import { freePort } from "../tests/free-port";
import { firstAnswer } from "./first-answer";

let server: Server | undefined;
afterEach(() => server?.close());

it("waits through a refused connection and a 503 for the first 2xx answer", async () => {
  const port = await freePort();
  const statuses: number[] = [];
  let answered = false;
  const waiting = firstAnswer(`http://127.0.0.1:${port}/healthz`, 20).then(() => {
    answered = true;
  });

  await new Promise((resolve) => setTimeout(resolve, 100));
  expect(answered).toBe(false);
  server = createServer((_request, response) => {
    const status = statuses.length === 0 ? 503 : 200;
    statuses.push(status);
    response.writeHead(status).end();
  });
  await new Promise<void>((listening) => server?.listen(port, "127.0.0.1", listening));
  await waiting;
  expect(statuses).toEqual([503, 200]);
});
