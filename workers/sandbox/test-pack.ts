import { deflateSync } from "node:zlib";

/**
 * Packfiles for tests, built as git builds them (https://git-scm.com/docs/pack-format): a
 * header, each object's type and size, its zlib-deflated content (or a delta against a base),
 * and a trailer (zeros: nothing here checks it).
 */
export type PackEntry =
  | { type: "commit" | "blob"; content: Uint8Array }
  | { type: "ofs-delta"; base: number; delta: Uint8Array }
  | { type: "ref-delta"; base: string; delta: Uint8Array };

const TYPE_BITS = { commit: 1, blob: 3, "ofs-delta": 6, "ref-delta": 7 } as const;

export function buildPack(entries: PackEntry[]): Uint8Array {
  const parts: Uint8Array[] = [new TextEncoder().encode("PACK"), uint32(2), uint32(entries.length)];
  const offsets: number[] = [];
  let offset = 12;
  for (const entry of entries) {
    offsets.push(offset);
    const data = "content" in entry ? entry.content : entry.delta;
    const header = [typeAndSize(TYPE_BITS[entry.type], data.length)];
    if (entry.type === "ofs-delta") header.push(ofsDistance(offset - (offsets[entry.base] ?? 0)));
    if (entry.type === "ref-delta")
      header.push(Uint8Array.from(entry.base.match(/../g) ?? [], (pair) => Number.parseInt(pair, 16)));
    const body = [...header, new Uint8Array(deflateSync(data))];
    parts.push(...body);
    offset += body.reduce((sum, part) => sum + part.length, 0);
  }
  parts.push(new Uint8Array(20));
  return joinBytes(...parts);
}

/** A commit object's content with these parents. */
export function commitContent(parents: string[], message: string): Uint8Array {
  const lines = [`tree ${"4b825dc642cb6eb9a060e54bf8d69288fbee4904"}`, ...parents.map((parent) => `parent ${parent}`)];
  lines.push(
    "author A <a@example.com> 1700000000 +0000",
    "committer A <a@example.com> 1700000000 +0000",
    "",
    message,
    "",
  );
  return new TextEncoder().encode(lines.join("\n"));
}

/** The object id git gives a commit with this content. */
export async function commitId(content: Uint8Array): Promise<string> {
  const whole = joinBytes(`commit ${content.length}\0`, content);
  const digest = new Uint8Array(await crypto.subtle.digest("SHA-1", whole));
  return Array.from(digest, (byte) => byte.toString(16).padStart(2, "0")).join("");
}

/** A delta that rebuilds `target` from `base`: copy the common first bytes, insert the rest. */
export function deltaOf(base: Uint8Array, target: Uint8Array): Uint8Array {
  let common = 0;
  while (common < Math.min(base.length, target.length, 0xffff) && base[common] === target[common]) common += 1;
  const parts: number[] = [...varint(base.length), ...varint(target.length)];
  if (common > 0) parts.push(0x80 | 0x10 | 0x20, common & 0xff, common >> 8);
  for (let at = common; at < target.length; at += 127) {
    const piece = target.subarray(at, at + 127);
    parts.push(piece.length, ...piece);
  }
  return Uint8Array.from(parts);
}

function typeAndSize(type: number, size: number): Uint8Array {
  const bytes = [(type << 4) | (size & 15)];
  let rest = Math.floor(size / 16);
  while (rest > 0) {
    bytes[bytes.length - 1] = (bytes.at(-1) ?? 0) | 0x80;
    bytes.push(rest & 0x7f);
    rest = Math.floor(rest / 128);
  }
  return Uint8Array.from(bytes);
}

function ofsDistance(distance: number): Uint8Array {
  const bytes = [distance & 0x7f];
  let rest = Math.floor(distance / 128);
  while (rest > 0) {
    rest -= 1;
    bytes.unshift(0x80 | (rest & 0x7f));
    rest = Math.floor(rest / 128);
  }
  return Uint8Array.from(bytes);
}

function varint(value: number): number[] {
  const bytes: number[] = [];
  let rest = value;
  do {
    const byte = rest & 0x7f;
    rest = Math.floor(rest / 128);
    bytes.push(rest > 0 ? byte | 0x80 : byte);
  } while (rest > 0);
  return bytes;
}

function uint32(value: number): Uint8Array {
  const bytes = new Uint8Array(4);
  new DataView(bytes.buffer).setUint32(0, value);
  return bytes;
}

/** The bytes of `parts` one after the other, text as UTF-8. */
export function joinBytes(...parts: (Uint8Array | string)[]): Uint8Array<ArrayBuffer> {
  const bytes = parts.map((part) => (typeof part === "string" ? new TextEncoder().encode(part) : part));
  const joined = new Uint8Array(bytes.reduce((sum, part) => sum + part.length, 0));
  let offset = 0;
  for (const part of bytes) {
    joined.set(part, offset);
    offset += part.length;
  }
  return joined;
}
