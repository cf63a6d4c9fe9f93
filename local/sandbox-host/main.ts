import { resolve } from "node:path";
import { startSandboxHost } from "./server";

/**
 * `npx tsx local/sandbox-host/main.ts`: the sandbox host on its own. Settings come from the
 * environment: SANDBOX_HOST_PORT (4020), SANDBOX_HOST_ROOT (.data/sandboxes) and
 * LOCAL_STACK_SECRET (required: the local stack's generated secret).
 */
async function main() {
  const localSecret = process.env.LOCAL_STACK_SECRET;
  if (!localSecret) {
    throw new Error(
      "LOCAL_STACK_SECRET is not set: the sandbox host runs commands and answers only callers that know it.",
    );
  }
  const port = Number(process.env.SANDBOX_HOST_PORT || 4020);
  if (!Number.isInteger(port) || port < 0 || port > 65_535) {
    throw new Error(`SANDBOX_HOST_PORT must be a port number, not "${process.env.SANDBOX_HOST_PORT}".`);
  }
  const rootDir = resolve(process.env.SANDBOX_HOST_ROOT || ".data/sandboxes");
  const host = await startSandboxHost({ port, rootDir, localSecret });
  process.stdout.write(`ready ${host.url}\n`);

  const stop = () => {
    host.stop().then(
      () => process.exit(0),
      () => process.exit(1),
    );
  };
  process.once("SIGINT", stop);
  process.once("SIGTERM", stop);
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : error);
  process.exit(1);
});
