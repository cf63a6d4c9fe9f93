import { createServer, type Server } from "node:net";
import { afterEach, expect, it } from "vitest";
import { freePort } from "../tests/free-port";
import { busyPortProblem } from "./busy-ports";

let held: Server | undefined;
afterEach(() => held?.close());

it("names the piece whose port is taken and the variable that moves it", async () => {
  const [free, taken] = [await freePort(), await freePort()];
  held = createServer();
  await new Promise<void>((listening) => held?.listen(taken, "127.0.0.1", listening));
  const wanted = [
    { port: free, name: "the mailbox", variable: "MAILBOX_PORT" },
    { port: taken, name: "the GitHub emulator", variable: "GITHUB_EMULATOR_PORT" },
  ];
  expect(await busyPortProblem(wanted)).toBe(
    `Port ${taken}, for the GitHub emulator, is in use (an earlier npm run dev that was killed may still hold it): stop what holds it, or set GITHUB_EMULATOR_PORT to another port.`,
  );
  expect(await busyPortProblem(wanted.slice(0, 1))).toBeUndefined();
});
