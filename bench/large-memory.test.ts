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
import { NEEDLE, seedLargeMemory } from "./large-memory";

let stack: TestStack;
beforeAll(async () => {
  stack = await startTestStack();
});
afterAll(async () => {
  await stack?.stop();
});

it("seeds a memory of the asked scale in the ctx layout, with a little history, that git clones as is", async () => {
  const github = emulatorControl(stack.emulator.url, stack.localSecret);
  await github.createAccount({ login: "seeded", type: "User" });
  const repo = await github.createRepo("seeded", "ctx", "empty");
  const memory = await seedLargeMemory(github, repo.full_name, { files: 400, bytes: 4_000_000 });

  const installation = await github.createInstallation("seeded", {
    repository_selection: "selected",
    repositories: ["ctx"],
  });
  const token = await installationToken(stack.app, installation.id);
  const dir = tempDir("large-memory-");
  try {
    expect((await git(["clone", "-q", cloneUrl(stack.emulator.url, repo.full_name, token), dir])).code).toBe(0);
    const files = (await git(["ls-files"], dir)).stdout.split("\n").filter(Boolean);
    expect(files.sort()).toEqual([...memory.paths].sort());
    expect(files).toHaveLength(400);

    const resources = files.filter((path) => /^resources\/[^/]+\.md$/.test(path));
    const skills = files.filter((path) => /^skills\/[^/]+\/SKILL\.md$/.test(path));
    const knowledge = files.filter((path) => /^knowledge\/.+\.md$/.test(path));
    expect(resources.length).toBeGreaterThan(0);
    expect(skills.length).toBeGreaterThan(0);
    expect(knowledge.length).toBeGreaterThan(300);
    expect(files.filter((path) => !["README.md", ...resources, ...skills, ...knowledge].includes(path))).toEqual([]);
    for (const path of [...resources, ...skills]) {
      expect(readFileSync(join(dir, path), "utf8")).toMatch(/^---\nname: [^\n]+\ndescription: [^\n]+\n---\n/);
    }

    const bytes = files.reduce((sum, path) => sum + readFileSync(join(dir, path)).length, 0);
    expect(bytes).toBe(memory.bytes);
    expect(Math.abs(bytes - 4_000_000) / 4_000_000).toBeLessThan(0.1);

    const found = (await git(["grep", "-l", "-F", "-e", NEEDLE], dir)).stdout.split("\n").filter(Boolean);
    expect(found.length).toBeGreaterThan(0);
    expect((await git(["rev-list", "--count", "HEAD"], dir)).stdout.trim()).toBe(String(memory.commits));
    expect(memory.commits).toBeGreaterThan(4);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
