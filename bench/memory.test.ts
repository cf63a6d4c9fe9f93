import { readFileSync, rmSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, expect, it } from "vitest";
import { emulatorControl } from "../local/github/control-client";
import {
  cloneUrl,
  git,
  installationToken,
  startTestStack,
  type TestStack,
  tempDir,
} from "../local/github/test-support";
import { generateMemory, NEEDLE, pushMemory } from "./memory";

let stack: TestStack;
beforeAll(async () => {
  stack = await startTestStack();
});
afterAll(async () => {
  await stack?.stop();
});

it("generates the same memory of the asked scale in the ctx layout every time, with history, and pushes it to GitHub", async () => {
  const dir = tempDir("memory-");
  try {
    const scale = { files: 300, megabytes: 3, noteBytes: 1_000 };
    const memory = await generateMemory(join(dir, "a.git"), scale);
    const again = await generateMemory(join(dir, "b.git"), scale);
    const head = async (gitDir: string) => (await git(["--git-dir", gitDir, "rev-parse", "main"])).stdout.trim();
    expect(await head(join(dir, "b.git"))).toBe(await head(join(dir, "a.git")));
    expect(again.paths).toEqual(memory.paths);

    const github = emulatorControl(stack.emulator.url, stack.localSecret);
    await github.createAccount({ login: "seeded", type: "User" });
    const repo = await github.createRepo("seeded", "ctx", "empty");
    const installation = await github.createInstallation("seeded", { repositories: ["ctx"] });
    const token = await installationToken(stack.app, installation.id);
    const requests: string[] = [];
    const stopObserving = stack.emulator.onRequest((method, path) => requests.push(`${method} ${path}`));
    await pushMemory(join(dir, "a.git"), repo.clone_url, token);
    stopObserving();
    expect(requests).toContain("POST /seeded/ctx.git/git-receive-pack");
    expect(requests.join("\n")).not.toContain(token);

    const clone = join(dir, "clone");
    expect((await git(["clone", "-q", cloneUrl(stack.emulator.url, repo.full_name, token), clone])).code).toBe(0);
    const files = (await git(["ls-files"], clone)).stdout.split("\n").filter(Boolean);
    expect(files.sort()).toEqual([...memory.paths].sort());
    const notes = files.filter((path) => path.endsWith(".md"));
    expect(notes.length).toBeGreaterThanOrEqual(300);
    const resources = files.filter((path) => /^resources\/[^/]+\.md$/.test(path));
    const skills = files.filter((path) => /^skills\/[^/]+\/SKILL\.md$/.test(path));
    expect(resources.length).toBeGreaterThan(5);
    expect(skills.length).toBeGreaterThan(2);
    for (const path of [...resources, ...skills])
      expect(readFileSync(join(clone, path), "utf8")).toMatch(/^---\nname: [^\n]+\ndescription: [^\n]+\n---\n/);
    expect(files.some((path) => path.startsWith("attachments/"))).toBe(true);

    const bytes = files.reduce((sum, path) => sum + readFileSync(join(clone, path)).length, 0);
    expect(bytes).toBe(memory.treeBytes);
    // The notes alone are about 300 KB; the rest of the 3 MB is history: edits and attachments.
    expect((await git(["rev-list", "--count", "HEAD"], clone)).stdout.trim()).toBe(String(memory.commits));
    expect(memory.commits).toBeGreaterThan(10);
    expect(memory.packBytes).toBeGreaterThan(300_000);
    expect((await git(["grep", "-l", "-F", "-e", NEEDLE], clone)).stdout.trim()).not.toBe("");
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
