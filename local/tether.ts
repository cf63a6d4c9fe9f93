import { spawn } from "node:child_process";
import { constants } from "node:os";

/**
 * `node --import tsx local/tether.ts <command> [args…]`: runs the command tied to the process
 * that started this one, for `npm run dev`'s pieces (ours, Vite, wrangler and the workerd they
 * start). Its stdin must be a pipe from that process, and it must lead a process group of its
 * own (spawned `detached`), which the command and everything the command starts share.
 *
 * A pipe closes when the process holding its other end dies, however it dies: SIGKILL too,
 * which no signal handler sees. Then the whole group gets SIGTERM, and SIGKILL once the
 * command has exited or after {@link GRACE_MS}, so nothing of it keeps running or holding a
 * port. Otherwise the command's exit is ours: its code, or 128 + its signal's number.
 */
const GRACE_MS = 3000;

const [command, ...args] = process.argv.slice(2);
if (!command) {
  process.stderr.write("usage: tether <command> [args…]\n");
  process.exit(2);
}

let orphaned = false;
const child = spawn(command, args, { stdio: ["ignore", "inherit", "inherit"] });
child.on("error", (error) => {
  process.stderr.write(`${command}: ${error.message}\n`);
  process.exit(1);
});
child.on("exit", (code, signal) => {
  if (orphaned) signalGroup("SIGKILL");
  process.exit(code ?? 128 + (signal ? constants.signals[signal] : 0));
});

// Whoever signals the group (the launcher stopping, a terminal's Ctrl-C) signals the command
// too; we wait for it to exit rather than die first.
process.on("SIGTERM", () => undefined);
process.on("SIGINT", () => undefined);

process.stdin.on("close", () => {
  orphaned = true;
  signalGroup("SIGTERM");
  setTimeout(() => signalGroup("SIGKILL"), GRACE_MS);
});
process.stdin.on("error", () => process.stdin.destroy());
process.stdin.resume();

function signalGroup(signal: NodeJS.Signals) {
  try {
    process.kill(-process.pid, signal);
  } catch {
    // Not a group leader, or the group is gone: then only we are left.
    process.exit(1);
  }
}
