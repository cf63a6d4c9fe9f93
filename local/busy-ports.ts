import { createServer } from "node:net";

/** A port the local stack wants: its number, what listens there, and the variable that moves it. */
export type WantedPort = { port: number; name: string; variable: string };

/**
 * Why the local stack cannot start, if one of `wanted` is taken (EADDRINUSE), in words that
 * say which piece and how to move it; undefined when all are free. Asked before anything
 * starts, so a stack left running by a launcher killed hard is named instead of a bare
 * EADDRINUSE from one of its pieces.
 */
export async function busyPortProblem(wanted: WantedPort[]): Promise<string | undefined> {
  for (const { port, name, variable } of wanted) {
    if (await isFree(port)) continue;
    return `Port ${port}, for ${name}, is in use (an earlier npm run dev that was killed may still hold it): stop what holds it, or set ${variable} to another port.`;
  }
  return undefined;
}

function isFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once("error", () => resolve(false));
    server.listen(port, "127.0.0.1", () => server.close(() => resolve(true)));
  });
}
