import { describe, expect, it } from "vitest";
import { connectedUser } from "../../tests/workerd/connected-user";
import { bashResultText } from "../mcp/format";
import { MAX_OUTPUT_BYTES } from "./bash-input";

const HUNDRED_MB = 100 * 1024 * 1024;

describe("ctx_bash limits", () => {
  it("keeps stdout, stderr and the exit code, and flags a failing command", async () => {
    const { workspace } = await connectedUser();
    const result = await workspace.bash({ command: "echo out; echo err >&2; exit 3" });
    expect(result).toMatchObject({
      ran: true,
      exitCode: 3,
      timedOut: false,
      stdout: { text: "out\n", truncated: false },
      stderr: { text: "err\n", truncated: false },
    });
    const text = bashResultText(result);
    expect(text.isError).toBe(true);
    expect(text.text).toContain("Exit code: 3");
  });

  it("cuts 100 MB of output on each stream and says so, keeping the exit code", async () => {
    const { workspace } = await connectedUser();
    const result = await workspace.bash({
      command: `head -c ${HUNDRED_MB} /dev/zero | tr '\\0' o; head -c ${HUNDRED_MB} /dev/zero | tr '\\0' e >&2; exit 4`,
    });
    expect(result).toMatchObject({
      ran: true,
      exitCode: 4,
      stdout: { truncated: true, totalBytes: HUNDRED_MB },
      stderr: { truncated: true, totalBytes: HUNDRED_MB },
    });
    if (!result.ran) return;
    expect(result.stdout.text).toBe("o".repeat(MAX_OUTPUT_BYTES));
    expect(result.stderr.text).toBe("e".repeat(MAX_OUTPUT_BYTES));
    expect(bashResultText(result).text).toContain(
      `[stdout truncated: showing the first ${MAX_OUTPUT_BYTES} of ${HUNDRED_MB} bytes]`,
    );
  });

  it("stops an endless loop at the time limit and reports it", async () => {
    const { workspace } = await connectedUser();
    const started = Date.now();
    const result = await workspace.bash({ command: "while :; do :; done", timeoutSeconds: 1 });
    expect(result).toMatchObject({ ran: true, timedOut: true, exitCode: null });
    expect(Date.now() - started).toBeLessThan(20_000);
    const text = bashResultText(result);
    expect(text.isError).toBe(true);
    expect(text.text).toContain("Timed out after 1 s");
  });

  it("stops endless output at the time limit, and commits what the command wrote before", async () => {
    const { workspace, repo, control } = await connectedUser();
    const result = await workspace.bash({
      command: "echo partial > partial.md; yes",
      comment: "Cut short",
      timeoutSeconds: 2,
    });
    expect(result).toMatchObject({ ran: true, timedOut: true, stdout: { truncated: true } });
    if (!result.ran) return;
    expect(result.commit?.files).toEqual(["A\tpartial.md"]);
    expect(result.publish.state).toBe("pushed");
    expect(await control.readFile(repo.full_name, "partial.md")).toBe("partial\n");
  });

  it("does not wait for background jobs: they end with the command", async () => {
    const { workspace } = await connectedUser();
    // A name of its own; the bracket keeps pgrep's own shell from matching.
    const marker = `ctx4-background-${crypto.randomUUID()}`;
    const result = await workspace.bash({ command: `(exec -a ${marker} sleep 300) & echo started` });
    expect(result).toMatchObject({ ran: true, exitCode: 0, stdout: { text: "started\n" } });
    const after = await workspace.bash({ command: `pgrep -f '[${marker[0]}]${marker.slice(1)}' || echo none` });
    expect(after).toMatchObject({ ran: true, stdout: { text: "none\n" } });
  });

  it("refuses a time limit above the maximum without running anything", async () => {
    const { workspace } = await connectedUser();
    const result = await workspace.bash({ command: "true", timeoutSeconds: 10_000 });
    expect(result).toMatchObject({ ran: false });
  });
});
