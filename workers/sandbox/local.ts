import { z } from "zod";
import { logProblem } from "../../app/lib/log.server";
import { type ExecRequest, type ExecResult, type SandboxBackend, SandboxUnavailableError } from "./backend";

/**
 * The header the local sandbox host checks its secret in. It is `LOCAL_SECRET_HEADER` of
 * local/secret-header.ts, written out here because Worker code never imports local/.
 */
const LOCAL_SECRET_HEADER = "x-ctx4-local-secret";

export type LocalSandboxSettings = {
  hostUrl: string;
  secret: string;
  /**
   * How requests reach the host: the runtime's `fetch` by default. Node's needs
   * `duplex: "half"` to send a streamed body (the egress answers); workerd's has no such option.
   */
  fetcher?: typeof fetch;
};

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
const streamLineSchema = z.union([
  z.object({ result: execResponseSchema }),
  z.object({
    egress: z.object({
      id: z.uuid(),
      method: z.string(),
      url: z.string(),
      headers: z.record(z.string(), z.string()),
      body: z.base64(),
    }),
  }),
]);

/** Where git's requests from the sandbox go: the egress route of the sandbox's owner. */
export type GitEgressHandler = (request: Request) => Promise<Response>;

/**
 * The local sandbox host (local/sandbox-host, development and tests only): one directory per
 * sandbox on the developer's machine, real bash and git, no isolation beyond folders. While an
 * exec runs, the host relays the HTTP requests git makes in the sandbox (through its
 * `http_proxy`) on the exec's response stream; each goes to `gitEgress`, as the container
 * runtime hands them to the Worker in production, and the answer is posted back.
 */
export function localSandbox(
  settings: LocalSandboxSettings,
  sandboxId: string,
  gitEgress: GitEgressHandler,
): SandboxBackend {
  const sandboxUrl = `${settings.hostUrl.replace(/\/+$/, "")}/sandboxes/${encodeURIComponent(sandboxId)}`;
  const headers = { [LOCAL_SECRET_HEADER]: settings.secret };
  const call = (url: string, init: RequestInit) => callHost(settings.fetcher ?? fetch, url, init);

  const relay = async (egress: Extract<z.infer<typeof streamLineSchema>, { egress: unknown }>["egress"]) => {
    const body =
      egress.method === "POST" ? Uint8Array.from(atob(egress.body), (char) => char.charCodeAt(0)) : undefined;
    let answer: Response;
    try {
      answer = await gitEgress(new Request(egress.url, { method: egress.method, headers: egress.headers, body }));
    } catch (error) {
      answer = new Response(`ctx4-ai: the git route failed: ${error instanceof Error ? error.message : error}\n`, {
        status: 502,
      });
    }
    const answerHeaders: Record<string, string> = { ...headers, "x-ctx4-egress-status": String(answer.status) };
    const contentType = answer.headers.get("content-type");
    if (contentType) answerHeaders["content-type"] = contentType;
    await call(`${sandboxUrl}/egress/${egress.id}`, { method: "POST", headers: answerHeaders, body: answer.body });
  };

  return {
    async exec({ signal, ...request }: ExecRequest): Promise<ExecResult> {
      const execId = crypto.randomUUID();
      // Stopping goes through the host, which kills the command's group and then answers the
      // exec as usual: its answer comes only once the command's processes are gone.
      let cancelRequested = false;
      const cancel = () => {
        cancelRequested = true;
        call(`${sandboxUrl}/exec/${execId}/cancel`, { method: "POST", headers }).catch((error) =>
          logProblem("sandbox_cancel", error),
        );
      };
      signal?.addEventListener("abort", cancel, { once: true });
      try {
        if (signal?.aborted) cancel();
        const response = await call(`${sandboxUrl}/exec`, {
          method: "POST",
          headers: { ...headers, "content-type": "application/json" },
          body: JSON.stringify({ ...request, execId, encoding: "utf8", egress: true }),
        });
        const relayed: Promise<void>[] = [];
        let result: z.infer<typeof execResponseSchema> | undefined;
        for await (const line of jsonLines(response)) {
          const parsed = streamLineSchema.parse(line);
          if ("result" in parsed) result = parsed.result;
          // A relay that fails leaves git's request unanswered; the host answers it 502 when the exec ends.
          else relayed.push(relay(parsed.egress).catch((error) => logProblem("git_egress_relay", error)));
        }
        await Promise.all(relayed);
        if (!result) throw new SandboxUnavailableError("The local sandbox host stopped before the command's result.");
        return { ...result, cancelled: cancelRequested && result.exitCode === null && !result.timedOut };
      } finally {
        signal?.removeEventListener("abort", cancel);
      }
    },
    async destroy(): Promise<void> {
      await call(sandboxUrl, { method: "DELETE", headers });
    },
  };
}

/** The JSON values of a response of newline-separated JSON, as they arrive. */
async function* jsonLines(response: Response): AsyncGenerator<unknown> {
  if (!response.body) return;
  const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
  let buffered = "";
  for (let read = await reader.read(); !read.done; read = await reader.read()) {
    buffered += read.value;
    let newline = buffered.indexOf("\n");
    while (newline >= 0) {
      const line = buffered.slice(0, newline);
      buffered = buffered.slice(newline + 1);
      if (line) yield JSON.parse(line);
      newline = buffered.indexOf("\n");
    }
  }
  if (buffered) yield JSON.parse(buffered);
}

async function callHost(fetcher: typeof fetch, url: string, init: RequestInit): Promise<Response> {
  let response: Response;
  try {
    response = await fetcher(url, init);
  } catch (error) {
    throw new SandboxUnavailableError(`The local sandbox host did not answer: ${String(error)}`);
  }
  if (response.ok) return response;
  const body = errorResponseSchema.safeParse(await response.json().catch(() => undefined));
  throw new SandboxUnavailableError(
    `The local sandbox host answered ${response.status}${body.success ? `: ${body.data.error}` : ""}`,
  );
}
