import { createReadStream, existsSync } from "node:fs";
import { lstat, readdir, readFile } from "node:fs/promises";
import { join, relative } from "node:path";
import { createInterface } from "node:readline";

/** What must never reach a sandbox: the Worker's secrets by name, and the tokens GitHub issued. */
export type Secrets = { named: Record<string, string>; wasIssued(token: string): boolean };

// GitHub's token shape, as the emulator issues them (ghs_ installation, ghu_ user, ghr_ refresh).
const TOKEN_SHAPE = /gh[sur]_[A-Za-z0-9]{36}/g;
/** Files past this size are read in part: nothing we write in a sandbox is that large. */
const MAX_FILE_BYTES = 8 * 1024 * 1024;

/**
 * The whole test run's check that no credential ever entered a sandbox: every exec the sandbox
 * host ran (command text, environment, output), every request git sent out of a sandbox, and
 * every file left in the sandboxes. Returns one line per leak, naming where and what (never the
 * value), or nothing.
 */
export async function findSandboxLeaks(recordFile: string, sandboxRoot: string, secrets: Secrets) {
  const leaks: string[] = [];
  const look = (text: string, where: string) => {
    for (const [name, value] of Object.entries(secrets.named)) {
      if (secretParts(value).some((part) => text.includes(part))) leaks.push(`${name} in ${where}`);
    }
    for (const token of text.match(TOKEN_SHAPE) ?? []) {
      if (secrets.wasIssued(token)) leaks.push(`a token GitHub issued in this run (${token.slice(0, 4)}…) in ${where}`);
    }
  };
  if (existsSync(recordFile)) {
    let line = 0;
    for await (const entry of createInterface({ input: createReadStream(recordFile) })) {
      line += 1;
      look(entry, `the sandbox host's record, line ${line}`);
    }
  }
  for (const file of await filesUnder(sandboxRoot)) {
    const bytes = await readFile(file);
    look(bytes.subarray(0, MAX_FILE_BYTES).toString("latin1"), `file ${relative(sandboxRoot, file)}`);
  }
  return leaks;
}

/** A secret, and for a PEM key each line of its body too: a key is as leaked when one line is. */
function secretParts(value: string): string[] {
  if (!value.includes("-----BEGIN")) return [value];
  return value.split("\n").filter((line) => line.length >= 40 && !line.startsWith("-----"));
}

async function filesUnder(dir: string): Promise<string[]> {
  if (!existsSync(dir)) return [];
  const files: string[] = [];
  for (const entry of await readdir(dir)) {
    const path = join(dir, entry);
    const info = await lstat(path);
    if (info.isDirectory()) files.push(...(await filesUnder(path)));
    else if (info.isFile()) files.push(path);
  }
  return files;
}
