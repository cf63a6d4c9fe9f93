export type FrontMatter = { name?: string; description?: string };

/**
 * The `name` and `description` of a markdown file's front matter (`---` lines around
 * `key: value` pairs at the very top). Only those two plain keys are read; anything else in
 * the block is ignored. A file without front matter gives `{}`; a block that never closes,
 * or a line that is not `key: value`, gives `undefined`, so the caller can say it is malformed.
 */
export function readFrontMatter(text: string): FrontMatter | undefined {
  const lines = text.replace(/^\uFEFF/, "").split(/\r?\n/);
  if (lines[0]?.trim() !== "---") return {};
  const close = lines.findIndex((line, index) => index > 0 && /^(---|\.\.\.)\s*$/.test(line));
  if (close < 0) return undefined;
  const found: FrontMatter = {};
  for (const line of lines.slice(1, close)) {
    if (line.trim() === "" || line.trimStart().startsWith("#")) continue;
    // Continuation lines of YAML lists or blocks belong to keys we do not read.
    if (/^\s/.test(line) || line.startsWith("- ")) continue;
    const pair = /^([A-Za-z0-9_-]+):(?:\s+(.*))?$/.exec(line);
    if (!pair) return undefined;
    const [, key, raw = ""] = pair;
    if (key === "name" || key === "description") found[key] = unquote(raw.trim());
  }
  return found;
}

function unquote(value: string): string {
  const quoted = /^(["'])(.*)\1$/.exec(value);
  if (!quoted) return value;
  const [, quote, inner = ""] = quoted;
  return quote === "'" ? inner.replaceAll("''", "'") : inner.replaceAll('\\"', '"');
}
