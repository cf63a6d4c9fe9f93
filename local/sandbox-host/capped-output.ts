import type { Readable } from "node:stream";

export type CappedOutput = { bytes: Buffer; truncated: boolean; totalBytes: number };

/**
 * Keeps the first `maxBytes` of a stream and counts the rest. Reading goes on past the cap
 * so the writer never blocks on a full pipe, while memory stays bounded by the cap.
 */
export class CappedCollector {
  private readonly chunks: Buffer[] = [];
  private kept = 0;
  private total = 0;

  constructor(
    stream: Readable,
    private readonly maxBytes: number,
  ) {
    stream.on("data", (chunk: Buffer) => this.add(chunk));
  }

  private add(chunk: Buffer) {
    this.total += chunk.length;
    const room = this.maxBytes - this.kept;
    if (room <= 0) return;
    const part = chunk.length <= room ? chunk : chunk.subarray(0, room);
    this.chunks.push(part);
    this.kept += part.length;
  }

  result(): CappedOutput {
    return { bytes: Buffer.concat(this.chunks, this.kept), truncated: this.total > this.kept, totalBytes: this.total };
  }
}
