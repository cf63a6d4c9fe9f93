import { z } from "zod";
import type { execRequestSchema } from "../local/sandbox-host/validation";
import { LOCAL_SECRET_HEADER } from "../local/secret-header";

const execResultSchema = z.object({
  exitCode: z.number().int().nullable(),
  timedOut: z.boolean(),
  stdout: z.string(),
  stderr: z.string(),
  stdoutBytes: z.number().int().nonnegative(),
});

/**
 * One exec sent straight to the local sandbox host (`POST /sandboxes/{id}/exec`, see
 * local/sandbox-host/README.md), with nothing of the Worker in between: the floor the
 * benchmarks set a tool call against.
 * @throws when the host refuses the request or the command does not exit 0
 */
export async function execOnHost(
  host: { url: string; localSecret: string },
  sandboxId: string,
  request: z.input<typeof execRequestSchema>,
) {
  const response = await fetch(`${host.url}/sandboxes/${encodeURIComponent(sandboxId)}/exec`, {
    method: "POST",
    headers: { [LOCAL_SECRET_HEADER]: host.localSecret, "Content-Type": "application/json" },
    body: JSON.stringify(request),
  });
  if (!response.ok) throw new Error(`the sandbox host answered ${response.status}: ${await response.text()}`);
  const result = execResultSchema.parse(await response.json());
  if (result.exitCode !== 0) throw new Error(`exec exited ${result.exitCode}: ${result.stderr.slice(0, 500)}`);
  return result;
}
