import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { findSandboxLeaks } from "./sandbox-leaks";

const issued = `ghs_${"a1B2c3D4e5F6".repeat(3)}`;
const notIssued = `ghs_${"Z9y8X7w6V5u4".repeat(3)}`;
const keyLine = "MIIEvQIBADANBgkqhkiG9w0BAQEFAASCBKcwggSjAgEAAoIBAQC7";
const secrets = {
  named: {
    PRIVATE_KEY: `-----BEGIN PRIVATE KEY-----\n${keyLine}\nshort\n-----END PRIVATE KEY-----\n`,
    SECRET: "s3cret-value-0123456789",
  },
  wasIssued: (token: string) => token === issued,
};

let dir: string;
afterEach(() => rmSync(dir, { recursive: true, force: true }));

function layout(record: string, files: Record<string, string>) {
  dir = mkdtempSync(join(tmpdir(), "ctx4-leaks-"));
  writeFileSync(join(dir, "record.jsonl"), record);
  for (const [path, text] of Object.entries(files)) {
    mkdirSync(join(dir, "sandboxes", path, ".."), { recursive: true });
    writeFileSync(join(dir, "sandboxes", path), text);
  }
  return findSandboxLeaks(join(dir, "record.jsonl"), join(dir, "sandboxes"), secrets);
}

describe("the test run's check that no credential reached a sandbox", () => {
  it("finds an issued token, a secret or one line of the key in the record or in any file, naming where", async () => {
    const leaks = await layout(
      [JSON.stringify({ exec: { env: { X: "clean" } } }), JSON.stringify({ exec: { command: `echo ${issued}` } })].join(
        "\n",
      ),
      {
        "user-1/repo/.git/config": `[http]\n\textraheader = Authorization: ${secrets.named.SECRET}\n`,
        "user-2/.bash_profile": `# ${keyLine}\n`,
      },
    );
    expect(leaks.sort()).toEqual([
      "PRIVATE_KEY in file user-2/.bash_profile",
      "SECRET in file user-1/repo/.git/config",
      "a token GitHub issued in this run (ghs_…) in the sandbox host's record, line 2",
    ]);
    expect(leaks.join("\n")).not.toContain(issued);
  });

  it("lets token-shaped text GitHub never issued, and clean sandboxes, pass", async () => {
    expect(await layout(JSON.stringify({ stdout: `token: ${notIssued}` }), { "user-1/notes.md": "hello\n" })).toEqual(
      [],
    );
  });
});
