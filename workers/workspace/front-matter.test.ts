import { describe, expect, it } from "vitest";
import { readFrontMatter } from "./front-matter";

describe("readFrontMatter", () => {
  it("reads name and description, quoted or not, and ignores other keys and lists", () => {
    const text = "---\nname: projects\ndescription: 'It''s: the list'\ntags:\n  - a\n- b\n# note\n---\n# Body\n";
    expect(readFrontMatter(text)).toEqual({ name: "projects", description: "It's: the list" });
    expect(readFrontMatter('---\r\ndescription: "Say \\"hi\\""\r\n...\r\n')).toEqual({ description: 'Say "hi"' });
  });

  it("gives {} without front matter and undefined when it is malformed", () => {
    expect(readFrontMatter("# Just a heading\n")).toEqual({});
    expect(readFrontMatter("")).toEqual({});
    expect(readFrontMatter("---\nname: open\n")).toBeUndefined();
    expect(readFrontMatter("---\nnot a pair\n---\n")).toBeUndefined();
  });
});
