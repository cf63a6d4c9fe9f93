import { describe, expect, it } from "vitest";
import { pathReadText, readResultText, shownName } from "./read-format";

const where = { ready: true as const, repo: "alice/ctx", branch: "main", notes: [] };

describe("ctx_read's text", () => {
  it("numbers lines like cat -n and says where to read on", () => {
    const text = pathReadText(
      { kind: "text", path: "a.md", bytes: 9000, startLine: 9, lines: ["nine", "ten"], nextLine: 11, cutLine: false },
      "tool",
    );
    expect(text).toBe(
      "a.md (9000 bytes), lines 9-10:\n     9\tnine\n    10\tten\n[more: the file goes on; read on with ctx_read (path a.md, startLine 11)]",
    );
  });

  it("shows names with a newline or edge spaces quoted, so every character is visible", () => {
    expect(shownName("plain name.md")).toBe("plain name.md");
    expect(shownName("new\nline.md")).toBe('"new\\nline.md"');
    expect(shownName(" lead.md")).toBe('" lead.md"');
    const listing = pathReadText(
      {
        kind: "folder",
        path: "odd",
        truncated: false,
        entries: [
          { name: "sub", type: "folder", bytes: 4096 },
          { name: "new\nline.md", type: "file", bytes: 3 },
          { name: "link.md", type: "symlink", bytes: 11 },
          { name: "fifo", type: "other", bytes: 0 },
        ],
      },
      "tool",
    );
    expect(listing).toBe(
      [
        "Folder odd (4 entries; folders end in /):",
        "sub/",
        '"new\\nline.md"  (3 bytes)',
        "link.md  (symlink, not followed)",
        "fifo  (not a regular file: FIFO, device or socket)",
      ].join("\n"),
    );
  });

  it("is an error for a refused or missing path, and names the folder to list", () => {
    const missing = readResultText({ ...where, value: { kind: "missing", path: "notes/x.md" } });
    expect(missing).toEqual({
      isError: true,
      text: "notes/x.md does not exist in the memory. List its folder with ctx_read (path notes), or look for it with ctx_search.",
    });
    const binary = readResultText({
      ...where,
      value: { kind: "binary", path: "i.png", bytes: 7, mimeType: "image/png" },
    });
    expect(binary).toEqual({
      isError: false,
      text: "i.png is a binary file (7 bytes, image/png): its contents are not shown.",
    });
    expect(readResultText({ ready: false, problem: "GitHub is not connected." })).toEqual({
      isError: true,
      text: "Nothing was read. GitHub is not connected.",
    });
  });
});
