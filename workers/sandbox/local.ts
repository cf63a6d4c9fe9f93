import { z } from "zod";
import { type ExecRequest, type ExecResult, type SandboxBackend, SandboxUnavailableError } from "./backend";

/**
 * The header the local sandbox host checks its secret in. It is `LOCAL_SECRET_HEADER` of
 * local/secret-header.ts, written out here because Worker code never imports local/.
 */
const LOCAL_SECRET_HEADER = "x-ctx4-local-secret";

export type LocalSandboxSettings = { hostUrl: string; secret: string };

const execResponseSchema = z.object({
  exitCode: z.number().int().nullable(),
  timedOut: z.boolean(),
  stdout: z.string(),
  stderr: z.string(),
  stdoutTruncated: z.boolean(),
  stderrTruncated: z.boolean(),
  stdoutBytes: z.number().int().nonnegative(),
  stderrBytes: z.number().int().nonnegative(),
});
const errorResponseSchema = z.object({ error: z.string() });

/**
 * The local sandbox host (local/sandbox-host, development and tests only): one directory per
 * sandbox on the developer's machine, real bash and git, no isolation beyond folders.
 */
export function localSandbox(settings: LocalSandboxSettings, sandboxId: string): SandboxBackend {
  const sandboxUrl = `${settings.hostUrl.replace(/\/+$/, "")}/sandboxes/${encodeURIComponent(sandboxId)}`;
  const headers = { [LOCAL_SECRET_HEADER]: settings.secret };

  return {
    async exec(request: ExecRequest): Promise<ExecResult> {
      const response = await call(`${sandboxUrl}/exec`, {
        method: "POST",
        headers: { ...headers, "content-type": "application/json" },
        body: JSON.stringify({ ...request, encoding: "utf8" }),
      });
      return execResponseSchema.parse(await response.json());
    },
    async destroy(): Promise<void> {
      await call(sandboxUrl, { method: "DELETE", headers });
    },
  };
}

async function call(url: string, init: RequestInit): Promise<Response> {
  let response: Response;
  try {
    response = await fetch(url, init);
  } catch (error) {
    throw new SandboxUnavailableError(`The local sandbox host did not answer: ${String(error)}`);
  }
  if (response.ok) return response;
  const body = errorResponseSchema.safeParse(await response.json().catch(() => undefined));
  throw new SandboxUnavailableError(
    `The local sandbox host answered ${response.status}${body.success ? `: ${body.data.error}` : ""}`,
  );
}
