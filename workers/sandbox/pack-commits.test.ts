import { deflateSync } from "node:zlib";
import { describe, expect, it } from "vitest";
import recorded from "./git-requests.fixture.json";
import { descendsFrom, packCommits } from "./pack-commits";
import { readPackets } from "./pkt-line";
import { buildPack, commitContent, commitId, deltaOf } from "./test-pack";

const OLD = "e7342af55ab4391f97e2ac4361efd6248baf3bff";
const NEW = "055adb40593bbbf7cf1759d8cdc083d2093fff8c";

describe("packCommits", () => {
  it("reads the commit of a pack real git pushed, with its parent", async () => {
    const push = recorded.requests[3] as (typeof recorded.requests)[number];
    const bytes = Uint8Array.from(atob(push.body), (char) => char.charCodeAt(0));
    const end = readPackets(bytes, { stopAtFlush: true })?.end ?? 0;
    const commits = await packCommits(bytes.subarray(end));
    expect(commits).toEqual(new Map([[NEW, [OLD]]]));
    expect(descendsFrom(commits ?? new Map(), NEW, OLD)).toBe("yes");
  });

  it("rebuilds commits stored as deltas, against an earlier object or a named one", async () => {
    const first = commitContent([OLD], "first");
    const firstId = await commitId(first);
    const second = commitContent([firstId], "second, stored as a delta");
    const secondId = await commitId(second);
    const third = commitContent([secondId], "third, a delta against a named base");
    const thirdId = await commitId(third);
    const pack = buildPack([
      { type: "commit", content: first },
      { type: "blob", content: new TextEncoder().encode("a note\n".repeat(100)) },
      { type: "ofs-delta", base: 0, delta: deltaOf(first, second) },
      { type: "ref-delta", base: firstId, delta: deltaOf(first, third) },
    ]);
    const commits = await packCommits(pack);
    expect(commits).toEqual(
      new Map([
        [firstId, [OLD]],
        [secondId, [firstId]],
        [thirdId, [secondId]],
      ]),
    );
    expect(descendsFrom(commits ?? new Map(), thirdId, OLD)).toBe("yes");
  });

  it("tells a commit that does not descend from the old one from one it cannot follow", async () => {
    const unrelated = commitContent([], "a new history");
    const merge = commitContent([await commitId(unrelated), NEW], "merge of two strangers");
    const commits =
      (await packCommits(
        buildPack([
          { type: "commit", content: unrelated },
          { type: "commit", content: merge },
        ]),
      )) ?? new Map();
    expect(descendsFrom(commits, await commitId(unrelated), OLD)).toBe("no");
    // A parent the pack does not hold (GitHub has it) proves nothing either way.
    expect(descendsFrom(commits, await commitId(merge), OLD)).toBe("unknown");
    expect(descendsFrom(commits, OLD, OLD)).toBe("yes");
  });

  it("reads parents as git does, and gives nothing for a commit whose header git reads otherwise", async () => {
    const late = new TextEncoder().encode(
      `tree 4b825dc642cb6eb9a060e54bf8d69288fbee4904\nauthor A <a@x> 1 +0000\ncommitter A <a@x> 1 +0000\nparent ${OLD}\n\nno parent to git\n`,
    );
    expect(await packCommits(buildPack([{ type: "commit", content: late }]))).toBeUndefined();
    const short = new TextEncoder().encode("tree 4b825dc642cb6eb9a060e54bf8d69288fbee4904\nparent abc\n\nbad id\n");
    expect(await packCommits(buildPack([{ type: "commit", content: short }]))).toBeUndefined();
    const notTree = new TextEncoder().encode(`parent ${OLD}\ntree 4b825dc642cb6eb9a060e54bf8d69288fbee4904\n\nx\n`);
    expect(await packCommits(buildPack([{ type: "commit", content: notTree }]))).toBeUndefined();
    // A byte-order mark first: git reads no tree line there, so neither may we.
    const marked = new TextEncoder().encode(
      `\uFEFFtree 4b825dc642cb6eb9a060e54bf8d69288fbee4904\nparent ${OLD}\n\nx\n`,
    );
    expect(await packCommits(buildPack([{ type: "commit", content: marked }]))).toBeUndefined();
  });

  it("stops at zlib bombs: an object inflating past its declared size, or a pack inflating past the cap", async () => {
    // One blob whose header says 10 bytes, followed by a zlib stream of 4 MB of zeros.
    const stream = deflateSync(new Uint8Array(4_000_000));
    const lying = new Uint8Array(12 + 1 + stream.length + 20);
    lying.set(new TextEncoder().encode("PACK\0\0\0\x02\0\0\0\x01"));
    lying[12] = (3 << 4) | 10;
    lying.set(stream, 13);
    expect(await packCommits(lying)).toBeUndefined();
    const many = buildPack(
      Array.from({ length: 70 }, () => ({ type: "blob" as const, content: new Uint8Array(4_000_000) })),
    );
    expect(many.length).toBeLessThan(1_000_000);
    expect(await packCommits(many)).toBeUndefined();
  });

  it("gives nothing for what is not a whole pack", async () => {
    const pack = buildPack([{ type: "commit", content: commitContent([OLD], "x") }]);
    expect(await packCommits(new TextEncoder().encode("PACK"))).toBeUndefined();
    expect(await packCommits(new TextEncoder().encode("NOPE\0\0\0\x02\0\0\0\x01"))).toBeUndefined();
    expect(await packCommits(pack.subarray(0, pack.length - 30))).toBeUndefined();
  });
});
