import { z } from "zod";

/**
 * 45 s: with the sync before and after, a call ends inside the 60 s a client waits by default
 * (the SDK's DEFAULT_REQUEST_TIMEOUT_MSEC), even a client that does not reset it on progress.
 */
export const DEFAULT_TIMEOUT_SECONDS = 45;
export const MAX_TIMEOUT_SECONDS = 300;
/** Per stream: about 12k tokens of an AI's context, which is where long output stops helping. */
export const MAX_OUTPUT_BYTES = 50_000;

// An environment variable cannot hold a NUL byte, and a NUL would silently cut a C string.
const noNul = (value: string) => !value.includes("\0");

/** ctx_bash's arguments, checked wherever they arrive (MCP tool, RPC). */
export const bashInputShape = {
  command: z
    .string()
    .min(1)
    .max(100_000)
    .refine(noNul, "must not contain NUL bytes")
    .describe("A bash command, run in the root of your ctx repository clone (cat, ls, grep, sed, heredocs, git log…)."),
  comment: z
    .string()
    .max(2_000)
    .refine(noNul, "must not contain NUL bytes")
    .optional()
    .describe("Why you ran it, in a few words. Used as the commit message if the command changed files."),
  timeoutSeconds: z
    .number()
    .int()
    .min(1)
    .max(MAX_TIMEOUT_SECONDS)
    .optional()
    .describe(`Time limit in seconds (default ${DEFAULT_TIMEOUT_SECONDS}, at most ${MAX_TIMEOUT_SECONDS}).`),
};

export const bashInputSchema = z.strictObject(bashInputShape);
export type BashInput = z.input<typeof bashInputSchema>;

/** The commit message: the caller's comment, or the command's first line when there is none. */
export function commitMessage(input: { command: string; comment?: string }): string {
  const comment = input.comment?.trim();
  if (comment) return comment;
  const firstLine = input.command.trim().split("\n")[0] ?? "";
  return `ctx_bash: ${firstLine.length > 60 ? `${firstLine.slice(0, 59)}…` : firstLine}`;
}
