import { inflateSync } from "node:zlib";

/**
 * The commits a push sends, read from its packfile (https://git-scm.com/docs/pack-format):
 * commit id → parent ids. Commits stored as deltas are rebuilt when their base is in the
 * pack; one whose base GitHub already has (a thin pack) cannot be, and is left out, so a
 * caller proving ancestry from this map can only come up short, never wrong.
 * Undefined when the bytes are not a version 2 or 3 pack of SHA-1 objects, when an object
 * inflates past its declared size (or all past {@link MAX_INFLATED_BYTES}), or when a commit's
 * header is one git would read differently (see `parents`).
 */
export async function packCommits(pack: Uint8Array): Promise<Map<string, string[]> | undefined> {
  if (pack.length < 12 || new TextDecoder().decode(pack.subarray(0, 4)) !== "PACK") return undefined;
  const view = new DataView(pack.buffer, pack.byteOffset, pack.byteLength);
  const version = view.getUint32(4);
  if (version !== 2 && version !== 3) return undefined;
  const count = view.getUint32(8);

  const commits = new Map<string, string[]>();
  // What later deltas may need of earlier objects: their type, and a commit's content.
  const byOffset = new Map<number, { type: number; content?: Uint8Array }>();
  const commitContent = new Map<string, Uint8Array>();
  let offset = 12;
  let inflatedBytes = 0;
  for (let index = 0; index < count; index += 1) {
    const start = offset;
    let byte = pack[offset++] ?? 0;
    const type = (byte >> 4) & 7;
    let size = byte & 15;
    for (let shift = 4; byte & 0x80; shift += 7) {
      byte = pack[offset++] ?? 0;
      size += (byte & 0x7f) * 2 ** shift;
    }
    let base: { type: number; content?: Uint8Array } | undefined;
    if (type === OFS_DELTA) {
      byte = pack[offset++] ?? 0;
      let distance = byte & 0x7f;
      while (byte & 0x80) {
        byte = pack[offset++] ?? 0;
        distance = (distance + 1) * 128 + (byte & 0x7f);
      }
      base = byOffset.get(start - distance);
    } else if (type === REF_DELTA) {
      const baseId = hex(pack.subarray(offset, offset + 20));
      offset += 20;
      const content = commitContent.get(baseId);
      base = content ? { type: COMMIT, content } : undefined;
    }
    inflatedBytes += size;
    const inflated = inflatedBytes <= MAX_INFLATED_BYTES ? inflateAt(pack, offset, size) : undefined;
    if (!inflated || inflated.data.length !== size) return undefined;
    offset += inflated.consumed;

    let object: { type: number; content?: Uint8Array } = { type: base?.type ?? type };
    if (type === COMMIT) object = { type, content: inflated.data };
    else if (base?.type === COMMIT && base.content)
      object = { type: COMMIT, content: applyDelta(base.content, inflated.data) };
    if (object.type === COMMIT && object.content) {
      const id = await objectId("commit", object.content);
      const commitParents = parents(object.content);
      if (!commitParents) return undefined;
      commits.set(id, commitParents);
      commitContent.set(id, object.content);
    }
    byOffset.set(start, object);
  }
  return commits;
}

/**
 * Whether `to` descends from `from` (or is it), from `commits` alone: "yes" when a path of
 * parents leads from one to the other; "no" when every path ends at a first commit without
 * reaching it; "unknown" when a path leaves the map (a commit the pack does not carry).
 */
export function descendsFrom(commits: Map<string, string[]>, to: string, from: string): "yes" | "no" | "unknown" {
  const seen = new Set<string>();
  const queue = [to];
  let leftTheMap = false;
  for (let id = queue.shift(); id !== undefined; id = queue.shift()) {
    if (id === from) return "yes";
    if (seen.has(id)) continue;
    seen.add(id);
    const parents = commits.get(id);
    if (parents) queue.push(...parents);
    else leftTheMap = true;
  }
  return leftTheMap ? "unknown" : "no";
}

const COMMIT = 1;
const OFS_DELTA = 6;
const REF_DELTA = 7;

/**
 * All objects of a pack, inflated, may add up to this much: a push of a memory is far smaller,
 * and a pack of tiny zlib bombs must not make the object inflate gigabytes.
 */
const MAX_INFLATED_BYTES = 256 * 1024 * 1024;

/**
 * The zlib stream at `offset`, inflated, and how many bytes of the pack it took; undefined
 * when it is not one, or would inflate past the `size` its header declared.
 */
function inflateAt(pack: Uint8Array, offset: number, size: number): { data: Uint8Array; consumed: number } | undefined {
  try {
    // `info` gives the engine too, whose bytesWritten is the input it consumed (Node's zlib docs).
    const result = inflateSync(pack.subarray(offset), {
      info: true,
      maxOutputLength: Math.max(size, 1),
    }) as unknown as {
      buffer: Uint8Array;
      engine: { bytesWritten: number };
    };
    return { data: result.buffer, consumed: result.engine.bytesWritten };
  } catch {
    return undefined;
  }
}

/** Rebuilds an object from its base and a delta: copy and insert instructions (pack-format, "Deltified representation"). */
function applyDelta(base: Uint8Array, delta: Uint8Array): Uint8Array {
  let offset = 0;
  const varint = () => {
    let value = 0;
    for (let shift = 0; ; shift += 7) {
      const byte = delta[offset++] ?? 0;
      value += (byte & 0x7f) * 2 ** shift;
      if (!(byte & 0x80)) return value;
    }
  };
  varint();
  const result = new Uint8Array(varint());
  let written = 0;
  while (offset < delta.length) {
    const instruction = delta[offset++] ?? 0;
    if (instruction & 0x80) {
      let from = 0;
      let length = 0;
      for (let bit = 0; bit < 4; bit += 1)
        if (instruction & (1 << bit)) from += (delta[offset++] ?? 0) * 2 ** (8 * bit);
      for (let bit = 0; bit < 3; bit += 1)
        if (instruction & (1 << (4 + bit))) length += (delta[offset++] ?? 0) * 2 ** (8 * bit);
      const copied = base.subarray(from, from + (length || 0x10000));
      result.set(copied, written);
      written += copied.length;
    } else if (instruction > 0) {
      result.set(delta.subarray(offset, offset + instruction), written);
      offset += instruction;
      written += instruction;
    }
  }
  return result;
}

/**
 * A commit's parents as git reads them: the `parent` lines right after the first line,
 * `tree <id>` (git's commit.c, and GitHub's fsck). Undefined for a header git would read
 * otherwise than a careless reader: a `parent` line anywhere else, or a malformed id.
 */
function parents(content: Uint8Array): string[] | undefined {
  // ignoreBOM keeps a leading byte-order mark, which git does not skip either.
  const text = new TextDecoder("utf-8", { ignoreBOM: true }).decode(content);
  const end = text.indexOf("\n\n");
  const lines = (end < 0 ? text : text.slice(0, end)).split("\n");
  if (!/^tree [0-9a-f]{40}$/.test(lines[0] ?? "")) return undefined;
  const found: string[] = [];
  let index = 1;
  for (; lines[index]?.startsWith("parent "); index += 1) {
    const id = lines[index]?.slice("parent ".length) ?? "";
    if (!/^[0-9a-f]{40}$/.test(id)) return undefined;
    found.push(id);
  }
  if (lines.slice(index).some((line) => line.startsWith("parent "))) return undefined;
  return found;
}

async function objectId(type: string, content: Uint8Array): Promise<string> {
  const header = new TextEncoder().encode(`${type} ${content.length}\0`);
  const whole = new Uint8Array(header.length + content.length);
  whole.set(header);
  whole.set(content, header.length);
  return hex(new Uint8Array(await crypto.subtle.digest("SHA-1", whole)));
}

function hex(bytes: Uint8Array): string {
  return Array.from(bytes, (byte) => byte.toString(16).padStart(2, "0")).join("");
}
