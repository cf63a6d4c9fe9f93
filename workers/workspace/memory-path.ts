import { z } from "zod";

/**
 * A path inside the memory as a tool takes it: relative to the clone's root, `/`-separated,
 * with no `.` or `..` step and nothing under `.git` (git's own data is not memory). A leading
 * `./` and a trailing `/` are dropped; `""` or `.` alone mean the whole memory. Any other byte
 * is allowed, since names are whatever the repo holds (spaces, UTF-8, a leading dash), except
 * NUL, which no path and no environment variable can hold. Whether it leads through a
 * symlink is for the script reading it to check.
 */
export const memoryPathSchema = z
  .string()
  .max(4096)
  .transform((path) => path.replace(/^(?:\.\/)+/, "").replace(/\/+$/, ""))
  .refine((path) => !path.includes("\0"), "must not contain NUL bytes")
  .refine((path) => !path.startsWith("/"), "must be relative to the memory's root (no leading /)")
  .refine(
    (path) =>
      path === "" || path === "." || path.split("/").every((step) => step !== "" && step !== "." && step !== ".."),
    "must not contain empty, . or .. steps",
  )
  .refine((path) => path.split("/")[0] !== ".git", "must not be inside .git")
  .transform((path) => (path === "." ? "" : path));

/**
 * A path as the AI reads it in a tool's answer: as it is when it holds only printable
 * characters, otherwise quoted as a JSON string (a newline, a tab or a control character in a
 * name must not break the answer's lines or pass for another path).
 */
export function showPath(path: string): string {
  return /[\p{Cc}\p{Cf}"\\]/u.test(path) || path.trim() !== path ? JSON.stringify(path) : path;
}

/**
 * Text from the repo (a file's line, a commit's subject or author) as it may reach the AI:
 * control characters except tab removed (terminal escapes, carriage returns, bell), and bidi
 * and other invisible format characters too (they make text read as something else: Unicode
 * TR #36), cut to `max` code points with "…".
 */
export function cleanLine(text: string, max: number): string {
  const plain = text.replace(/[\p{Cf}]|[^\P{Cc}\t]/gu, "");
  const points = Array.from(plain);
  return points.length <= max ? plain : `${points.slice(0, max - 1).join("")}…`;
}
