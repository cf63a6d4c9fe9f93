import { readFileSync } from "node:fs";
import { createServer } from "node:net";

/** The lowest port freePort draws, unless the ephemeral range starts within 1,000 of it. */
const LOWEST = 10_000;
/** Every port this process handed out: never twice, even to draws made at once. */
const handedOut = new Set<number>();

/**
 * A port nothing listens on right now, on any address, for a server another process starts
 * (often seconds later: Vite, workerd). Drawn at random below the range the kernel hands out
 * for `listen(0)` and for outgoing connections' local ports (ip_local_port_range, ip(7)): a
 * port from there could be taken by any connection of the test run before its server binds
 * it (a CI run failed so, Vite saying "Port 32941 is already in use"). Below that range only
 * an explicit bind takes a port.
 * @throws when 100 draws found none free
 */
export async function freePort(): Promise<number> {
  const end = ephemeralRangeStart();
  const low = Math.max(1_024, Math.min(LOWEST, end - 1_000));
  for (let draw = 0; draw < 100; draw++) {
    const port = low + Math.floor(Math.random() * (end - low));
    if (handedOut.has(port)) continue;
    handedOut.add(port);
    if (await isFree(port)) return port;
  }
  throw new Error(`no free port found between ${low} and ${end}`);
}

/** The first port of the kernel's ephemeral range; Linux's default (32768) where it cannot be read. */
function ephemeralRangeStart(): number {
  try {
    const start = Number(readFileSync("/proc/sys/net/ipv4/ip_local_port_range", "utf8").trim().split(/\s+/)[0]);
    return Number.isInteger(start) && start > 2_024 ? start : 32_768;
  } catch {
    return 32_768;
  }
}

/** Whether `port` can be listened on, on every address (IPv6 and IPv4), right now. */
function isFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once("error", () => resolve(false));
    server.listen(port, () => server.close(() => resolve(true)));
  });
}
