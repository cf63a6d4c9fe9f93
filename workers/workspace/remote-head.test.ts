import { describe, expect, it } from "vitest";
import { advertisedRefs } from "./remote-head";

const pkt = (line: string) => {
  const bytes = new TextEncoder().encode(line);
  return `${(bytes.length + 4).toString(16).padStart(4, "0")}${line}`;
};
const sha = (digit: string) => digit.repeat(40);

describe("advertisedRefs", () => {
  it("reads git's smart HTTP ref advertisement", () => {
    const body = [
      pkt("# service=git-upload-pack\n"),
      "0000",
      pkt(`${sha("a")} HEAD\0multi_ack side-band-64k symref=HEAD:refs/heads/main\n`),
      pkt(`${sha("a")} refs/heads/main\n`),
      pkt(`${sha("b")} refs/heads/ctx4-ai/conflict-20260101-000000-bbbbbbb\n`),
      pkt(`${sha("c")} refs/heads/notes/été\n`),
      "0000",
    ].join("");
    const refs = advertisedRefs(new TextEncoder().encode(body));
    expect(refs?.get("refs/heads/main")).toBe(sha("a"));
    expect(refs?.get("refs/heads/notes/été")).toBe(sha("c"));
    expect(refs?.get("HEAD")).toBe(sha("a"));
  });

  it("gives an empty list for an empty repo and nothing for what is not an advertisement", () => {
    expect(advertisedRefs(new TextEncoder().encode(`${pkt("# service=git-upload-pack\n")}00000000`))?.size).toBe(0);
    expect(advertisedRefs(new TextEncoder().encode("<html>Sign in</html>"))).toBeUndefined();
    expect(advertisedRefs(new TextEncoder().encode("00ffshort"))).toBeUndefined();
  });
});
