/**
 * For a stack's process of its own, started by a global set-up with an IPC channel: on the
 * message "stop", or once vitest is gone without a word (killed, Ctrl-C), runs `stop` once
 * and exits, 0 or, when `stop` throws (a credential reached a sandbox), 1 with why on stderr.
 */
export function stopWhenAsked(stop: () => Promise<void>) {
  let stopping = false;
  const stopOnce = async () => {
    if (stopping) return;
    stopping = true;
    try {
      await stop();
      process.exit(0);
    } catch (error) {
      process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n`);
      process.exit(1);
    }
  };
  process.on("message", (message) => {
    if (message === "stop") void stopOnce();
  });
  process.on("disconnect", () => void stopOnce());
}
