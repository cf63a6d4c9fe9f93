import type { RequestHandlerExtra } from "@modelcontextprotocol/sdk/shared/protocol.js";
import type { ServerNotification, ServerRequest } from "@modelcontextprotocol/sdk/types.js";
import { z } from "zod";

/**
 * How often a long tool call reports progress when `MCP_PROGRESS_SECONDS` does not say. Clients
 * time a request out after 60 s by default (the SDK's DEFAULT_REQUEST_TIMEOUT_MSEC) and may reset
 * that timer on each progress notification (`resetTimeoutOnProgress`); every 10 s keeps well
 * inside it on a slow network.
 */
export const PROGRESS_EVERY_MS = 10_000;

const progressSecondsSchema = z.coerce
  .number()
  .int()
  .min(1)
  .max(60, "past 60 s a client's default timeout ends the call first");

/**
 * The progress interval `MCP_PROGRESS_SECONDS` (wrangler.toml `[vars]`) sets, in ms: a whole
 * number of seconds from 1 to 60, or {@link PROGRESS_EVERY_MS} when it is unset or empty.
 * @throws when it is set to anything else, naming the setting: a mistake is said, not ignored
 */
export function progressEveryMs(seconds: string | undefined): number {
  if (seconds === undefined || seconds.trim() === "") return PROGRESS_EVERY_MS;
  const parsed = progressSecondsSchema.safeParse(seconds);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((issue) => issue.message).join("; ");
    throw new Error(`MCP_PROGRESS_SECONDS must be a whole number of seconds from 1 to 60 (${problems})`);
  }
  return parsed.data * 1000;
}

type Extra = RequestHandlerExtra<ServerRequest, ServerNotification>;

/**
 * Runs `work` and, when the request carries `_meta.progressToken`, sends
 * `notifications/progress` on the request's own stream every `everyMs` (see progressEveryMs)
 * (MCP 2025-11-25, "Progress": `progress` is the seconds elapsed, increasing with each one, and
 * there is no `total`, since how long a command runs is not known). Stops at the end of the
 * work or when the request is cancelled; a notification that cannot be sent is dropped.
 */
export async function withProgress<T>(extra: Extra, everyMs: number, work: () => Promise<T>): Promise<T> {
  const progressToken = extra._meta?.progressToken;
  if (progressToken === undefined) return work();
  const started = Date.now();
  const timer = setInterval(() => {
    if (extra.signal.aborted) return;
    const seconds = Math.round((Date.now() - started) / 1000);
    extra
      .sendNotification({
        method: "notifications/progress",
        params: { progressToken, progress: seconds, message: `Still running after ${seconds} s` },
      })
      .catch(() => {});
  }, everyMs);
  try {
    return await work();
  } finally {
    clearInterval(timer);
  }
}
