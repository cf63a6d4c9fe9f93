/**
 * The secret scan's false-positive rate on ordinary notes: every Markdown file tracked in this
 * repo, the emulator's `ctx` template, generated notes of the kinds people keep (meetings,
 * plans, how-tos with placeholders, public keys, hashes, UUIDs, base64 images), and any folder
 * given on the command line (all its `*.md`, e.g. node_modules for thousands of READMEs). Each
 * file is scanned whole, as if a push added all of it, with the rules the Worker uses.
 *   npx tsx bench/secret-false-positives.ts [folder…]
 * Prints files and lines scanned, files flagged and findings per rule, and each flagged file
 * (path, line, rule, masked line) to judge by hand: a real secret there is no false positive.
 */
import { execFileSync } from "node:child_process";
import { readdirSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { seedFiles } from "../local/github/seed";
import { type AddedFile, findSecrets } from "../workers/workspace/secret-scan";
import { mulberry32 } from "./memory";

const GENERATED_NOTES = 1000;
const MAX_FILE_BYTES = 1_000_000;

function repoMarkdown(): [string, string][] {
  const paths = execFileSync("git", ["ls-files", "-z", "*.md"], { encoding: "utf8" }).split("\0").filter(Boolean);
  return paths.map((path) => [`repo:${path}`, readFileSync(path, "utf8")]);
}

function folderMarkdown(root: string): [string, string][] {
  const found: [string, string][] = [];
  const walk = (folder: string) => {
    for (const entry of readdirSync(folder, { withFileTypes: true })) {
      const path = join(folder, entry.name);
      if (entry.isDirectory()) walk(path);
      else if (entry.isFile() && /\.md$/i.test(entry.name) && statSync(path).size <= MAX_FILE_BYTES)
        found.push([path, readFileSync(path, "utf8")]);
    }
  };
  walk(root);
  return found;
}

function generatedNotes(): [string, string][] {
  const random = mulberry32(16);
  const pick = <T>(items: T[]): T => items[Math.floor(random() * items.length)] as T;
  const hex = (length: number) => Array.from({ length }, () => Math.floor(random() * 16).toString(16)).join("");
  const base64 = (bytes: number) =>
    Buffer.from(Array.from({ length: bytes }, () => Math.floor(random() * 256))).toString("base64");
  const uuid = () => `${hex(8)}-${hex(4)}-4${hex(3)}-a${hex(3)}-${hex(12)}`;
  const people = ["Sam", "Priya", "Jonas", "Mei", "Ana", "Tom"];
  const lines: (() => string)[] = [
    () => `- ${pick(people)} will review the password policy (12 characters, no rotation) by Friday.`,
    () => `- Token budget for the assistant: ${Math.floor(random() * 400)}k tokens a day; long contexts cost more.`,
    () => `- Ticket ${uuid()} is about the login flow.`,
    () => `- Fixed in ${hex(40)}; see also ${hex(7)}.`,
    () => "- The API key lives in the password manager, never in notes: `export OPENAI_API_KEY=<from 1Password>`.",
    () => "- Set `GITHUB_TOKEN=$" + "{{ secrets.GITHUB_TOKEN }}` in the workflow.",
    () => `- Build integrity: sha384-${base64(48)}`,
    () => `- Colour #${hex(6)} for the header, #${hex(6)} for links.`,
    () =>
      `- Meeting on ${2026}-${1 + Math.floor(random() * 12)}-${1 + Math.floor(random() * 28)} with ${pick(people)}.`,
    () => `- My SSH public key: ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAI${base64(32)} me@laptop`,
    () => `- Docs: https://example.com/guide?page=${Math.floor(random() * 99)}&lang=en#setup`,
    () => "- DATABASE_URL=postgres://localhost:5432/app (local only, no password).",
    () => `- Checksum ${hex(64)} for the release tarball.`,
    () => "- secret: see the vault; password: ask Sam.",
    () => `- Call +49 30 ${Math.floor(random() * 9_000_000 + 1_000_000)} for the venue.`,
    () => `- Session id in the logs: ${base64(24)}`,
  ];
  const notes: [string, string][] = [];
  for (let index = 0; index < GENERATED_NOTES; index += 1) {
    const body = Array.from({ length: 4 + Math.floor(random() * 12) }, () => pick(lines)());
    if (index % 10 === 0)
      body.push("", `![diagram](data:image/png;base64,${base64(2000 + Math.floor(random() * 6000))})`);
    if (index % 25 === 0)
      body.push(
        "",
        "```",
        "-----BEGIN CERTIFICATE-----",
        ...(base64(900).match(/.{1,64}/g) ?? []),
        "-----END CERTIFICATE-----",
        "```",
      );
    notes.push([`generated:note-${index}.md`, `# Note ${index}\n\n${body.join("\n")}\n`]);
  }
  return notes;
}

const samples: [string, string][] = [
  ...repoMarkdown(),
  ...Object.entries(seedFiles("ctx", "ctx") ?? {}).map(([path, text]): [string, string] => [
    `ctx-template:${path}`,
    text,
  ]),
  ...generatedNotes(),
  ...process.argv.slice(2).flatMap(folderMarkdown),
];

let lines = 0;
const flagged: string[] = [];
const flaggedFiles = new Set<string>();
const perRule = new Map<string, number>();
for (const [path, text] of samples) {
  const fileLines = text.split("\n");
  lines += fileLines.length;
  const file: AddedFile = {
    commit: "",
    client: null,
    path,
    lines: fileLines.map((line, index) => ({ line: index + 1, text: line })),
  };
  const findings = await findSecrets([file]);
  for (const finding of findings) {
    perRule.set(finding.rule, (perRule.get(finding.rule) ?? 0) + 1);
    flagged.push(`${finding.path}:${finding.line} ${finding.rule}: ${finding.excerpt}`);
    flaggedFiles.add(finding.path);
  }
}
console.log(`${samples.length} files, ${lines} lines scanned`);
console.log(
  `${flagged.length} finding(s) in ${flaggedFiles.size} file(s): ${((100 * flaggedFiles.size) / samples.length).toFixed(2)}% of files`,
);
for (const [rule, count] of perRule) console.log(`  ${rule}: ${count}`);
for (const line of flagged) console.log(line);
