import type { EmulatorControl } from "../local/github/control-client";

/** The shape of a seeded memory: how many files and about how many bytes in its last commit. */
export type MemoryScale = { files: number; bytes: number };

/** A word in about one file in 97 of the memory, for searches that must find something. */
export const NEEDLE = "quokkaphant";
const NEEDLE_EVERY = 97;

/** The emulator's control API takes bodies up to 1 MiB; each commit stays under it with room for JSON. */
const BATCH_BYTES = 800_000;

const WORDS = (
  "memory note project meeting decision review design test deploy budget client release " +
  "roadmap question answer summary detail context person team plan risk idea draft topic " +
  "reference schema migration incident postmortem metric latency cache index search sync"
).split(" ");

/**
 * A memory of realistic scale in the ctx layout (README, `resources/*.md` with front matter,
 * `knowledge/<area>/<topic>.md`, `skills/<name>/SKILL.md`), committed into `fullName` through
 * the GitHub emulator's control API as the web editor commits: the files in batches of under
 * 1 MiB (one commit each), then three commits that edit a few files, so there is a little
 * history. Contents are generated from a fixed seed, so every run seeds the same text.
 * @returns the paths written and the bytes of the last tree's files
 */
export async function seedLargeMemory(github: EmulatorControl, fullName: string, scale: MemoryScale) {
  const random = mulberry32(15);
  const meanBytes = Math.round(scale.bytes / scale.files);
  const files = new Map<string, string>();
  files.set("README.md", "# ctx\n\nThis repository is the memory of an AI assistant, kept by ctx4-ai.\n");
  const resources = Math.round(scale.files * 0.04);
  const skills = Math.round(scale.files * 0.02);
  for (let index = 0; files.size < scale.files; index += 1) {
    const size = Math.round(meanBytes * (0.5 + random()));
    const needle = index % NEEDLE_EVERY === 0;
    if (index < resources) {
      const name = `topic-${index}`;
      files.set(`resources/${name}.md`, markdown(random, size, needle, { name, description: `Notes on ${name}` }));
    } else if (index < resources + skills) {
      const name = `skill-${index}`;
      files.set(`skills/${name}/SKILL.md`, markdown(random, size, needle, { name, description: `How to ${name}` }));
    } else {
      files.set(`knowledge/area-${index % 50}/note-${index}.md`, markdown(random, size, needle));
    }
  }

  const author = { name: "Bench Person", email: "bench@example.com" };
  let batch: Record<string, string> = {};
  let batchBytes = 0;
  let commits = 0;
  const flush = async () => {
    commits += 1;
    await github.commitFromWeb(fullName, { message: `Add notes, part ${commits}`, author, files: batch });
    batch = {};
    batchBytes = 0;
  };
  for (const [path, content] of files) {
    if (batchBytes + content.length > BATCH_BYTES) await flush();
    batch[path] = content;
    batchBytes += content.length;
  }
  await flush();
  const paths = [...files.keys()];
  for (let edit = 0; edit < 3; edit += 1) {
    const path = paths[Math.floor(random() * paths.length)] ?? "README.md";
    const content = `${files.get(path) ?? ""}\nEdited again (${edit + 1}).\n`;
    files.set(path, content);
    await github.commitFromWeb(fullName, { message: `Edit ${path}`, author, files: { [path]: content } });
  }
  let bytes = 0;
  for (const content of files.values()) bytes += content.length;
  return { paths, bytes, commits: commits + 3 };
}

/** About `size` bytes of Markdown: an optional front matter, a heading, paragraphs of words. */
function markdown(
  random: () => number,
  size: number,
  needle: boolean,
  frontMatter?: { name: string; description: string },
): string {
  const parts: string[] = [];
  if (frontMatter) parts.push(`---\nname: ${frontMatter.name}\ndescription: ${frontMatter.description}\n---\n`);
  parts.push(`# ${pick(random)} ${pick(random)}\n`);
  if (needle) parts.push(`The ${NEEDLE} came up again in this note.\n`);
  let length = parts.join("\n").length;
  while (length < size) {
    const sentence = Array.from({ length: 8 + Math.floor(random() * 10) }, () => pick(random)).join(" ");
    const line = `${sentence[0]?.toUpperCase()}${sentence.slice(1)}.\n`;
    parts.push(line);
    length += line.length + 1;
  }
  return parts.join("\n");
}

const pick = (random: () => number) => WORDS[Math.floor(random() * WORDS.length)] ?? "note";

/** A small seeded generator (mulberry32): the same numbers in every run. */
function mulberry32(seed: number): () => number {
  let state = seed;
  return () => {
    state = (state + 0x6d2b79f5) | 0;
    let value = Math.imul(state ^ (state >>> 15), 1 | state);
    value = (value + Math.imul(value ^ (value >>> 7), 61 | value)) ^ value;
    return ((value ^ (value >>> 14)) >>> 0) / 4294967296;
  };
}
