import { z } from "zod";

/**
 * Everything a caller sends is checked here before it reaches the disk or a shell.
 * A sandbox id becomes a directory name, so it may hold no path separators and cannot be
 * `.` or `..` (the first character must be a letter or digit).
 */
export const sandboxIdSchema = z
  .string()
  .regex(
    /^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/,
    "must be 1-128 letters, digits, '.', '_' or '-', starting with a letter or digit",
  );

export const MAX_TIMEOUT_MS = 600_000;
export const MAX_OUTPUT_BYTES = 100 * 1024 * 1024;

// spawn() throws on NUL bytes, and a NUL would silently cut a C string in bash or git.
const noNul = (value: string) => !value.includes("\0");

export const execRequestSchema = z.strictObject({
  command: z.string().min(1).refine(noNul, "must not contain NUL bytes"),
  cwd: z.string().min(1).refine(noNul, "must not contain NUL bytes").optional(),
  env: z
    .record(
      z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, "must be a shell variable name"),
      z.string().refine(noNul, "must not contain NUL bytes"),
    )
    .optional(),
  timeoutMs: z.int().min(1).max(MAX_TIMEOUT_MS),
  maxOutputBytes: z.int().min(1).max(MAX_OUTPUT_BYTES),
  encoding: z.enum(["utf8", "base64"]).default("utf8"),
  /** Relay git's requests to the egress route to the caller while this runs (the answer is then a stream). */
  egress: z.boolean().default(false),
  /** No network at all for the command, not even this machine's loopback. */
  offline: z.boolean().default(false),
  /** The caller's name for this exec, by which it may stop it (`POST …/exec/<id>/cancel`). */
  execId: z.uuid().optional(),
});

export type ExecRequest = z.infer<typeof execRequestSchema>;

/** One line naming each bad field, without echoing values (env values may be secrets). */
export function describeIssues(error: z.ZodError, subject = "body"): string {
  return error.issues.map((issue) => `${issue.path.join(".") || subject}: ${issue.message}`).join("; ");
}
