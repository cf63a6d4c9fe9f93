import { CLIENT_TRAILER } from "../../workers/workspace/client-trailer";

/**
 * Git trailers ("Key: value" lines in a commit message's last paragraph, as
 * https://git-scm.com/docs/git-interpret-trailers describes them) and the `Ctx4-Client`
 * trailer our bot writes to name the AI client that made a change. Messages are hostile
 * input: values are returned as plain text, never markup, trimmed and bounded. The trailer
 * itself is written by workers/workspace/client-trailer.ts.
 */

const MAX_VALUE_LENGTH = 200;
const TRAILER_LINE = /^([A-Za-z0-9][A-Za-z0-9-]*)[ \t]*:[ \t]*(.*)$/;

/**
 * The trailers of `message`: its last paragraph, when it is not the only one and every line
 * is a trailer (or a continuation line, which starts with whitespace and extends the one
 * above). Keys keep their case; look them up case-insensitively (git treats them so). Values
 * lose control characters and are cut at 200 characters.
 */
export function parseTrailers(message: string): { key: string; value: string }[] {
  const paragraphs = message
    .replace(/\r\n/g, "\n")
    .trimEnd()
    .split(/\n[ \t]*\n/);
  if (paragraphs.length < 2) return [];
  const trailers: { key: string; value: string }[] = [];
  for (const line of (paragraphs.at(-1) ?? "").split("\n")) {
    const last = trailers.at(-1);
    if (/^[ \t]/.test(line) && last) {
      last.value = `${last.value} ${line.trim()}`;
      continue;
    }
    const found = TRAILER_LINE.exec(line);
    if (!found) return [];
    trailers.push({ key: found[1] ?? "", value: found[2] ?? "" });
  }
  return trailers.map(({ key, value }) => ({ key, value: clean(value) }));
}

/** The AI client a bot commit names in its `Ctx4-Client` trailer (the last one, if several), or null. */
export function clientOf(message: string): string | null {
  const found = parseTrailers(message).findLast(
    (trailer) => trailer.key.toLowerCase() === CLIENT_TRAILER.toLowerCase(),
  );
  return found?.value ? found.value : null;
}

/** The message without its subject and without its trailer block: what the committer wrote beyond one line. */
export function bodyOf(message: string): string {
  const paragraphs = message
    .replace(/\r\n/g, "\n")
    .trimEnd()
    .split(/\n[ \t]*\n/);
  const rest = parseTrailers(message).length > 0 ? paragraphs.slice(0, -1) : paragraphs;
  return rest.join("\n\n").split("\n").slice(1).join("\n").trim();
}

/** The message's first line, its subject. */
export function subjectOf(message: string): string {
  return clean(message.split("\n", 1)[0] ?? "");
}

function clean(text: string): string {
  return text
    .replace(/\p{Cc}/gu, " ")
    .trim()
    .slice(0, MAX_VALUE_LENGTH);
}
