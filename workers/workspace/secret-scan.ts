import { lintSource } from "@secretlint/core";
import { creator as recommendedRules } from "@secretlint/secretlint-rule-preset-recommend";

/**
 * What sync.sh's gate printed of the commits a sync would push (see `gate` in sync.sh):
 * the commits, their `git log -p -U0` text between two lines holding a random mark, and
 * whether it was cut at 2 MiB.
 */
export type PendingPush = { commits: string[]; mark: string; diff: string; cut: boolean };

/** The lines one commit adds to one file: their line numbers in the new file, and their text. */
export type AddedFile = {
  commit: string;
  client: string | null;
  path: string;
  lines: { line: number; text: string }[];
};

/**
 * A likely secret in what a push adds. `rule` is secretlint's rule and message id (e.g.
 * `github/GITHUB_TOKEN`, documented at `docs`); `excerpt` is its line with every match masked;
 * `fingerprint` is {@link fingerprint} of it, what the person allows. The secret itself is in
 * none of these fields.
 */
export type SecretFinding = {
  fingerprint: string;
  rule: string;
  docs: string | null;
  path: string;
  line: number;
  excerpt: string;
  commit: string;
  /** The AI client whose commit added it (its `Ctx4-Client:` trailer), when it says. */
  client: string | null;
};

/** secretlint's recommended preset (secretlint.github.io): the provider rules, private keys, basic auth in URLs. */
const CONFIG = { rules: [{ id: "@secretlint/secretlint-rule-preset-recommend", rule: recommendedRules }] };

/**
 * An AWS secret access key assigned to its name, as secretlint's aws rule (12.0.0) reads one,
 * but ending where the key's 40 characters end. That rule wants a word boundary there, so it
 * misses every key whose last character is `/` or `+` (about 1 in 32) when a line end or a
 * space follows; and the range it reports starts at the name, so a mask over it would show
 * most of the key. These matches give the key's own range, and report what the rule missed.
 */
const AWS_SECRET_ACCESS_KEY =
  /["']?(?:AWS|aws|Aws)?_?(?:SECRET|secret|Secret)_?(?:ACCESS|access|Access)_?(?:KEY|key|Key)["']?\s*(?::|=>|=)\s*["']?([A-Za-z0-9/+=]{40})(?![A-Za-z0-9/+=])/g;
const AWS_RULE = ruleName({ ruleId: "@secretlint/secretlint-rule-aws", messageId: "AWSSecretAccessKey" });
/** AWS's own example key, which secretlint lets through too. */
const AWS_EXAMPLE_SECRET = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY";
const EXCERPT_CHARS = 120;
const SHOWN_CHARS = 4;

/**
 * Reads the diff of a {@link PendingPush} into the lines each commit adds, file by file. A
 * commit starts at a line `<mark> <sha> [client]`; a file at its `+++ b/<path>` line (git
 * C-quotes a path with special characters); a hunk at `@@ -a,b +c,d @@`, whose `b` and `d`
 * count its removed and added lines, so a line of the file's own text is never read as a header.
 */
export function addedFiles(push: PendingPush): AddedFile[] {
  const files: AddedFile[] = [];
  let commit = "";
  let client: string | null = null;
  let file: AddedFile | undefined;
  let next = 0;
  let removed = 0;
  let added = 0;
  for (const line of push.diff.split("\n")) {
    if (removed > 0 || added > 0) {
      if (line.startsWith("\\")) continue;
      if (removed > 0 && line.startsWith("-")) {
        removed -= 1;
        continue;
      }
      if (added > 0 && line.startsWith("+")) {
        file?.lines.push({ line: next, text: line.slice(1) });
        next += 1;
        added -= 1;
        continue;
      }
      removed = 0;
      added = 0;
    }
    if (line.startsWith(`${push.mark} `)) {
      const [sha = "", ...rest] = line.slice(push.mark.length + 1).split(" ");
      commit = sha;
      client = cleanClient(rest.join(" "));
      file = undefined;
    } else if (line.startsWith("+++ ")) {
      const path = diffPath(line.slice(4));
      file = path === null ? undefined : { commit, client, path, lines: [] };
      if (file) files.push(file);
    } else if (line.startsWith("@@ ")) {
      const hunk = /^@@ -\d+(?:,(\d+))? \+(\d+)(?:,(\d+))? @@/.exec(line);
      removed = hunk ? Number(hunk[1] ?? 1) : 0;
      next = Number(hunk?.[2] ?? 0);
      added = hunk ? Number(hunk[3] ?? 1) : 0;
    }
  }
  return files.filter((entry) => entry.lines.length > 0);
}

/**
 * Scans what each file gains with secretlint's recommended rules, offline. Lines added next to
 * each other are scanned together (a private key spans lines); separate hunks of a file are
 * kept apart by an empty line. A match found twice (a merge repeats its parents' lines) is one
 * finding.
 */
export async function findSecrets(files: AddedFile[]): Promise<SecretFinding[]> {
  const findings = new Map<string, SecretFinding>();
  for (const file of files) {
    const numbers: number[] = [];
    const texts: string[] = [];
    for (const { line, text } of file.lines) {
      const previous = numbers.at(-1);
      if (previous !== undefined && line !== previous + 1) {
        numbers.push(previous);
        texts.push("");
      }
      numbers.push(line);
      texts.push(text);
    }
    const content = texts.join("\n");
    const result = await lintSource({
      source: { filePath: file.path, content, contentType: "text" },
      options: { config: CONFIG, maskSecrets: true, noPhysicFilePath: true },
    });
    const starts = lineStarts(texts);
    const awsKeys = [...content.matchAll(AWS_SECRET_ACCESS_KEY)].map((found) => {
      const key = found[1] ?? "";
      const to = (found.index ?? 0) + found[0].length;
      return { key, at: found.index ?? 0, from: to - key.length, to };
    });
    const matches = result.messages.map((message) => {
      let [from, to] = message.range;
      const rule = ruleName(message);
      if (rule === AWS_RULE) {
        const key = awsKeys.find((candidate) => candidate.at === from);
        const lineEnd = content.indexOf("\n", from);
        [from, to] = key ? [key.from, key.to] : [from, lineEnd < 0 ? content.length : lineEnd];
      }
      return { rule, docs: message.docsUrl ?? null, from, to, index: lineIndex(starts, from) };
    });
    for (const { key, from, to } of awsKeys) {
      if (key === AWS_EXAMPLE_SECRET || matches.some((match) => match.rule === AWS_RULE && match.from === from))
        continue;
      matches.push({ rule: AWS_RULE, docs: null, from, to, index: lineIndex(starts, from) });
    }
    for (const { rule, docs, from, to, index } of matches) {
      const print = await fingerprint(rule, file.path, content.slice(from, to));
      if (findings.has(print)) continue;
      const start = starts[index] ?? 0;
      const onLine = matches
        .filter((match) => match.index === index)
        .map((match) => [match.from - start, match.to - start]);
      findings.set(print, {
        fingerprint: print,
        rule,
        docs,
        path: file.path,
        line: numbers[index] ?? 0,
        excerpt: excerpt(texts[index] ?? "", from - start, onLine),
        commit: file.commit,
        client: file.client,
      });
    }
  }
  return [...findings.values()];
}

/** A finding's rule as we name it: secretlint's rule without its package prefix, then its message id. */
function ruleName(message: { ruleId: string; messageId?: string }): string {
  return `${message.ruleId.replace(/^@secretlint\/secretlint-rule-/, "")}/${message.messageId ?? "secret"}`;
}

/**
 * What identifies a finding the person allowed, without the secret: the SHA-256 (hex) of the
 * rule, the path and the SHA-256 of the matched text. The same text added again to the same
 * file under the same rule is the same finding; anywhere else it is a new one.
 */
export async function fingerprint(rule: string, path: string, matched: string): Promise<string> {
  return sha256(`${rule}\n${path}\n${await sha256(matched)}`);
}

/** The digest sync.sh's gate compares CTX4_CLEARED with: SHA-256 (hex) of the commits, a newline after each. */
export function clearedDigest(commits: string[]): Promise<string> {
  return sha256(commits.map((sha) => `${sha}\n`).join(""));
}

async function sha256(text: string): Promise<string> {
  const digest = await crypto.subtle.digest("SHA-256", new TextEncoder().encode(text));
  return [...new Uint8Array(digest)].map((byte) => byte.toString(16).padStart(2, "0")).join("");
}

/** `line` of a `+++` header as a path: `b/<path>`, or C-quoted `"b/<path>"`; null for /dev/null. */
function diffPath(text: string): string | null {
  const path = text.startsWith('"') ? unquote(text) : text;
  return path.startsWith("b/") ? path.slice(2) : null;
}

/** git's C quoting (quote_c_style): `\n`, `\t`, `\"`, `\\` and octal bytes, read as UTF-8. */
function unquote(text: string): string {
  const bytes: number[] = [];
  const body = text.slice(1, text.endsWith('"') ? -1 : undefined);
  const named: Record<string, number> = { a: 7, b: 8, t: 9, n: 10, v: 11, f: 12, r: 13, '"': 34, "\\": 92 };
  for (let i = 0; i < body.length; i += 1) {
    const char = body[i] ?? "";
    if (char !== "\\") {
      bytes.push(...new TextEncoder().encode(char));
      continue;
    }
    const octal = /^[0-7]{3}/.exec(body.slice(i + 1));
    if (octal) {
      bytes.push(Number.parseInt(octal[0], 8));
      i += 3;
    } else {
      bytes.push(named[body[i + 1] ?? ""] ?? 92);
      i += 1;
    }
  }
  return new TextDecoder().decode(new Uint8Array(bytes));
}

/** A client name from a commit's trailer: no control or format characters, at most 100 characters. */
function cleanClient(text: string): string | null {
  const clean = text
    .replace(/[\p{Cc}\p{Cf}]/gu, "")
    .trim()
    .slice(0, 100);
  return clean || null;
}

function lineStarts(texts: string[]): number[] {
  const starts: number[] = [];
  let at = 0;
  for (const text of texts) {
    starts.push(at);
    at += text.length + 1;
  }
  return starts;
}

function lineIndex(starts: number[], offset: number): number {
  let index = 0;
  while (index + 1 < starts.length && (starts[index + 1] ?? 0) <= offset) index += 1;
  return index;
}

/**
 * The line of a match at `at`, with every match on it (`ranges`, offsets in the line; one may
 * go on past its end) masked: its first four characters shown (a PEM header line whole), the
 * rest as up to 16 `*`. Cut to 120 characters around the match.
 */
function excerpt(line: string, at: number, ranges: number[][]): string {
  let text = "";
  let done = 0;
  for (const [from = 0, to = 0] of [...ranges].sort((a, b) => (a[0] ?? 0) - (b[0] ?? 0))) {
    if (from < done) continue;
    const end = Math.min(to, line.length);
    // A PEM header names what the key is and is no secret: shown whole, the body never.
    const shown = /^-----BEGIN [A-Z0-9 ]*-----$/.test(line.slice(from, end)) ? end - from : SHOWN_CHARS;
    text += line.slice(done, from) + line.slice(from, Math.min(end, from + shown));
    text += "*".repeat(Math.min(Math.max(end - from - shown, 0), 16));
    done = end;
  }
  text = `${text}${line.slice(done)}`.replace(/[\p{Cc}\p{Cf}]/gu, " ");
  const start = Math.max(0, Math.min(at - 40, text.length - EXCERPT_CHARS));
  return `${start > 0 ? "…" : ""}${text.slice(start, start + EXCERPT_CHARS)}${text.length > start + EXCERPT_CHARS ? "…" : ""}`;
}
