/**
 * Git's pkt-line framing (https://git-scm.com/docs/protocol-common#_pkt_line_format): four hex
 * digits giving the length, header included, then the payload; `0000` is a flush packet, and
 * protocol v2 adds `0001` (delimiter) and `0002` (response end).
 */

/** One packet: its payload, or the special packet it is. */
export type Packet = Uint8Array | "flush" | "delim" | "end";

const SPECIAL: Record<number, Packet> = { 0: "flush", 1: "delim", 2: "end" };

/**
 * The packets at the start of `bytes`, and where the first byte after the last whole packet is.
 * Stops before a packet that is cut off (`end` < `bytes.length`), or at `stopAtFlush`'s first
 * flush. Undefined when the bytes are not pkt-lines.
 */
export function readPackets(
  bytes: Uint8Array,
  options: { stopAtFlush?: boolean } = {},
): { packets: Packet[]; end: number } | undefined {
  const decoder = new TextDecoder();
  const packets: Packet[] = [];
  let offset = 0;
  while (offset + 4 <= bytes.length) {
    const header = decoder.decode(bytes.subarray(offset, offset + 4));
    if (!/^[0-9a-f]{4}$/.test(header)) return undefined;
    const length = Number.parseInt(header, 16);
    const special = SPECIAL[length];
    if (special) {
      packets.push(special);
      offset += 4;
      if (special === "flush" && options.stopAtFlush) break;
      continue;
    }
    if (length < 4) return undefined;
    if (offset + length > bytes.length) break;
    packets.push(bytes.subarray(offset + 4, offset + length));
    offset += length;
  }
  return { packets, end: offset };
}

/** A packet's payload as text, without its trailing newline. */
export function packetText(packet: Uint8Array): string {
  return new TextDecoder().decode(packet).replace(/\n$/, "");
}
