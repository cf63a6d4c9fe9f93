import { type ChildProcess, execFileSync, spawn } from "node:child_process";
import { readdirSync, statSync } from "node:fs";
import { join } from "node:path";

/**
 * Memories of a chosen scale for the benchmarks, generated from a fixed seed with
 * `git fast-import`: the same bytes, commit ids included, in every run.
 */

/** A word in about one note in 97, the first note included, for searches that must find something. */
export const NEEDLE = "quokkaphant";
const NEEDLE_EVERY = 97;
const MIB = 1024 * 1024;

/**
 * `files` notes of about `noteBytes` bytes each (default 5,000; half to one and a half times
 * that), and about `megabytes` MB of history: every version of every file, uncompressed,
 * the first tree included, so a memory whose notes alone exceed it has no later history.
 */
export type MemoryScale = { files: number; megabytes: number; noteBytes?: number };

/** A fixed-seed generator (mulberry32): every run draws the same numbers. */
export function mulberry32(seed: number): () => number {
  let state = seed;
  return () => {
    state = (state + 0x6d2b79f5) | 0;
    let value = Math.imul(state ^ (state >>> 15), 1 | state);
    value = (value + Math.imul(value ^ (value >>> 7), 61 | value)) ^ value;
    return ((value ^ (value >>> 14)) >>> 0) / 4294967296;
  };
}

const WORDS = (
  "memory note project meeting decision review design test deploy budget client release roadmap question " +
  "answer summary detail context person team plan risk idea draft topic reference schema migration incident " +
  "postmortem metric latency cache index search sync invoice contract holiday travel recipe garden doctor " +
  "school birthday insurance mortgage account password reminder follow-up agenda minutes feedback"
).split(" ");

/** About `bytes` of Markdown prose, with an id or a date now and then, as notes have. */
export function prose(random: () => number, bytes: number): string {
  let text = "";
  while (text.length < bytes) {
    const words = Array.from(
      { length: 6 + Math.floor(random() * 12) },
      () => WORDS[Math.floor(random() * WORDS.length)],
    );
    if (random() < 0.2) words.push(Math.floor(random() * 2 ** 32).toString(16));
    if (random() < 0.1) words.push(`2026-${1 + Math.floor(random() * 12)}-${1 + Math.floor(random() * 28)}`);
    text += `${words.join(" ")}.\n${random() < 0.15 ? "\n" : ""}`;
  }
  return text;
}

/** Random bytes, as a photo or a PDF is to git: nothing to compress or delta. */
function binary(random: () => number, bytes: number): Buffer {
  const buffer = Buffer.alloc(bytes + 3);
  for (let index = 0; index < bytes; index += 4) buffer.writeUInt32LE(Math.floor(random() * 2 ** 32), index);
  return buffer.subarray(0, bytes);
}

/** Writes to a child's stdin, waiting when its pipe is full. */
async function write(child: ChildProcess, chunk: string | Buffer): Promise<void> {
  if (!child.stdin?.write(chunk)) await new Promise((resolve) => child.stdin?.once("drain", resolve));
}

/**
 * A bare repo at `dir` holding a memory of `scale`: the notes in the ctx layout (README,
 * `resources/*.md` and `skills/<name>/SKILL.md` with front matter, `knowledge/<area>/*.md`),
 * added 200 a commit, then until the history reaches its size, commits that append to one to
 * four notes (a note over 24 KB is rewritten), add a note now and then, and add binary
 * attachments (32 KB to 1.5 MB) until a fifth of the history is theirs, a quarter of them
 * deleted again later. Repacked afterwards (`git repack -a -d`), as GitHub keeps repos, and
 * served as GitHub serves: partial clones, fetches by object id, pushes over HTTP.
 * @returns the commits, the paths of the last tree, the bytes of its files, and of the pack
 * @throws when git fails
 */
export async function generateMemory(
  dir: string,
  scale: MemoryScale,
): Promise<{ commits: number; paths: string[]; treeBytes: number; packBytes: number }> {
  execFileSync("git", ["init", "-q", "--bare", "-b", "main", dir]);
  for (const key of ["uploadpack.allowFilter", "uploadpack.allowAnySHA1InWant", "http.receivepack"])
    execFileSync("git", ["-C", dir, "config", key, "true"]);
  const importer = spawn("git", ["-C", dir, "fast-import", "--quiet"], { stdio: ["pipe", "inherit", "inherit"] });
  const done = new Promise<number | null>((resolve) => importer.on("close", resolve));
  const random = mulberry32(17);
  const noteBytes = scale.noteBytes ?? 5_000;
  const budget = scale.megabytes * 1e6;
  let written = 0;
  let binaryWritten = 0;
  let commits = 0;
  let time = 1_700_000_000;
  const tree = new Map<string, number>();
  const notes = new Map<string, string>();
  const attachments: string[] = [];
  const commit = async (message: string, changes: { path: string; content?: string | Buffer }[]) => {
    commits += 1;
    time += 600;
    let body = `commit refs/heads/main\nauthor Person <person@example.com> ${time} +0000\ncommitter Person <person@example.com> ${time} +0000\ndata ${Buffer.byteLength(message)}\n${message}\n`;
    await write(importer, body);
    for (const { path, content } of changes) {
      if (content === undefined) {
        tree.delete(path);
        body = `D ${path}\n`;
      } else {
        const bytes = Buffer.byteLength(content);
        written += bytes;
        tree.set(path, bytes);
        body = `M 100644 inline ${path}\ndata ${bytes}\n`;
      }
      await write(importer, body);
      if (content !== undefined) await write(importer, content);
      await write(importer, "\n");
    }
  };
  const newNote = (index: number): { path: string; content: string } => {
    const size = Math.round(noteBytes * (0.5 + random()));
    const path =
      index % 25 === 0
        ? `resources/topic-${index}.md`
        : index % 50 === 1
          ? `skills/skill-${index}/SKILL.md`
          : `knowledge/area-${index % 40}/note-${index}.md`;
    const frontMatter = path.startsWith("knowledge/") ? "" : `---\nname: n${index}\ndescription: About ${index}\n---\n`;
    const needle = index % NEEDLE_EVERY === 1 ? `The ${NEEDLE} came up again.\n\n` : "";
    const content = `${frontMatter}# Note ${index}\n\n${needle}${prose(random, size)}`;
    notes.set(path, content);
    return { path, content };
  };

  const first = [{ path: "README.md", content: "# ctx\n\nThe memory of an AI assistant, kept by ctx4-ai.\n" }];
  for (let index = 1; index < scale.files; index += 1) first.push(newNote(index));
  for (let start = 0; start < first.length; start += 200)
    await commit(`Add notes, part ${start / 200 + 1}`, first.slice(start, start + 200));

  const paths = [...notes.keys()];
  for (let next = scale.files; written < budget; ) {
    if (binaryWritten < (written * 0.2) / 0.8 || binaryWritten === 0) {
      const bytes = 32 * 1024 + Math.floor(random() * 1.5 * MIB);
      const path = `attachments/file-${attachments.length}.bin`;
      attachments.push(path);
      binaryWritten += bytes;
      await commit(`Attach ${path}`, [{ path, content: binary(random, bytes) }]);
      // A quarter are deleted again: old versions a blobless clone leaves on the server.
      if (attachments.length % 4 === 0) await commit(`Remove ${path}`, [{ path }]);
      continue;
    }
    const changes: { path: string; content: string }[] = [];
    for (let count = 1 + Math.floor(random() * 4); count > 0; count -= 1) {
      const path = paths[Math.floor(random() * paths.length)] ?? "README.md";
      const old = notes.get(path) ?? "";
      const content =
        old.length > 24_000
          ? `# Rewritten\n\n${prose(random, 4000)}`
          : `${old}\n${prose(random, 200 + random() * 800)}`;
      notes.set(path, content);
      changes.push({ path, content });
    }
    if (random() < 0.1) {
      const added = newNote(next);
      next += 1;
      paths.push(added.path);
      changes.push(added);
    }
    await commit(`Edit ${changes.length} notes`, changes);
  }
  importer.stdin?.end();
  if ((await done) !== 0) throw new Error("git fast-import failed");
  execFileSync("git", ["-C", dir, "repack", "-a", "-d", "-q"]);
  let treeBytes = 0;
  for (const bytes of tree.values()) treeBytes += bytes;
  const packs = join(dir, "objects", "pack");
  let packBytes = 0;
  for (const name of readdirSync(packs)) if (name.endsWith(".pack")) packBytes += statSync(join(packs, name)).size;
  return { commits, paths: [...tree.keys()], treeBytes, packBytes };
}

/**
 * Pushes the memory at `dir` (its `main`) to `remoteUrl` as a person would bring an existing
 * memory to GitHub, with `token` sent as HTTP Basic credentials in git's config from the
 * environment: never in a URL or on a command line.
 * @throws when the push fails
 */
export async function pushMemory(dir: string, remoteUrl: string, token: string): Promise<void> {
  const basic = Buffer.from(`x-access-token:${token}`).toString("base64");
  const child = spawn("git", ["-C", dir, "push", "-q", remoteUrl, "main:main"], {
    env: {
      ...process.env,
      GIT_TERMINAL_PROMPT: "0",
      GIT_CONFIG_COUNT: "1",
      GIT_CONFIG_KEY_0: "http.extraHeader",
      GIT_CONFIG_VALUE_0: `Authorization: Basic ${basic}`,
    },
    stdio: ["ignore", "ignore", "pipe"],
  });
  const errors: Buffer[] = [];
  child.stderr.on("data", (chunk: Buffer) => errors.push(chunk));
  const code = await new Promise<number | null>((resolve) => child.on("close", resolve));
  if (code !== 0) throw new Error(`git push failed: ${Buffer.concat(errors).toString().slice(0, 500)}`);
}
