import { createReadStream, existsSync } from "node:fs";
import { open, readdir } from "node:fs/promises";
import { join, relative } from "node:path";
import { createInterface } from "node:readline";

/** What must never reach a sandbox: the Worker's secrets by name, and the tokens GitHub issued. */
export type Secrets = { named: Record<string, string>; wasIssued(token: string): boolean };

// GitHub's token shape, as the emulator issues them (ghs_ installation, ghu_ user, ghr_ refresh).
const TOKEN_SHAPE = /gh[sur]_[A-Za-z0-9]{36}/g;
/** Files past this size are read in part: nothing we write in a sandbox is that large. */
const MAX_FILE_BYTES = 8 * 1024 * 1024;
/**
 * Files read at once. A whole run leaves about 9,000 files (170 MB) in the sandboxes and a
 * 40 MB record: read one after another, the check spent 4 of its 5.5 s waiting on the disk.
 */
const READS_AT_ONCE = 16;

/**
 * The whole test run's check that no credential ever entered a sandbox: every exec the sandbox
 * host ran (command text, environment, output), every request git sent out of a sandbox, and
 * every file left in the sandboxes. Returns one line per leak, naming where and what (never the
 * value), or nothing.
 */
export async function findSandboxLeaks(recordFile: string, sandboxRoot: string, secrets: Secrets) {
  const leaks: string[] = [];
  const named = Object.entries(secrets.named).map(([name, value]) => ({ name, parts: secretParts(value) }));
  const look = (text: string, where: string) => {
    for (const { name, parts } of named) {
      if (parts.some((part) => text.includes(part))) leaks.push(`${name} in ${where}`);
    }
    for (const token of text.match(TOKEN_SHAPE) ?? []) {
      if (secrets.wasIssued(token)) leaks.push(`a token GitHub issued in this run (${token.slice(0, 4)}…) in ${where}`);
    }
  };
  const scanRecord = async () => {
    if (!existsSync(recordFile)) return;
    let line = 0;
    for await (const entry of createInterface({ input: createReadStream(recordFile) })) {
      line += 1;
      look(entry, `the sandbox host's record, line ${line}`);
    }
  };
  const files = await filesUnder(sandboxRoot);
  const scanFiles = async () => {
    for (let file = files.pop(); file !== undefined; file = files.pop()) {
      look(await head(file), `file ${relative(sandboxRoot, file)}`);
    }
  };
  await Promise.all([scanRecord(), ...Array.from({ length: READS_AT_ONCE }, scanFiles)]);
  return leaks;
}

/** The first MAX_FILE_BYTES of a file, as latin1 text (every byte one character). */
async function head(file: string): Promise<string> {
  const handle = await open(file);
  try {
    const { buffer, bytesRead } = await handle.read({
      buffer: Buffer.alloc(Math.min(MAX_FILE_BYTES, (await handle.stat()).size)),
    });
    return buffer.subarray(0, bytesRead).toString("latin1");
  } finally {
    await handle.close();
  }
}

/** A secret, and for a PEM key each line of its body too: a key is as leaked when one line is. */
function secretParts(value: string): string[] {
  if (!value.includes("-----BEGIN")) return [value];
  return value.split("\n").filter((line) => line.length >= 40 && !line.startsWith("-----"));
}

/** Every regular file below `dir` (symbolic links are not followed). */
async function filesUnder(dir: string): Promise<string[]> {
  if (!existsSync(dir)) return [];
  const entries = await readdir(dir, { recursive: true, withFileTypes: true });
  return entries.filter((entry) => entry.isFile()).map((entry) => join(entry.parentPath, entry.name));
}
