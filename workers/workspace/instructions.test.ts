import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { connectDatabase } from "../../app/lib/db/client.server";
import { saveInstallation } from "../../app/lib/db/queries.server";
import { connectedUser, workspaceOf } from "../../tests/workerd/connected-user";
import { parseGathered } from "./instructions";

describe("ctx_instructions material", () => {
  it("reads instructions, context and the index of resources and skills from a ctx repo", async () => {
    const { workspace, repo } = await connectedUser();
    const result = await workspace.instructions();
    expect(result).toMatchObject({ ready: true, repo: repo.full_name, branch: "main" });
    if (!result.ready) return;
    expect(result.instructions?.text).toContain("# Instructions");
    expect(result.context?.text).toBe("# Context\n\nI am a software engineer who likes small, well-tested programs.\n");
    expect(result.resources).toEqual([
      { path: "resources/people.md", name: "people", description: "People I work with" },
      { path: "resources/preferences.md", name: "preferences", description: "How I like answers written" },
      {
        path: "resources/projects.md",
        name: "projects",
        description: "The projects I am working on and their status",
      },
    ]);
    expect(result.skills.map((skill) => skill.name)).toEqual(["commit-message", "weekly-review"]);
  });

  it("gathers in one sandbox round trip once the clone is current", async () => {
    const { workspace } = await connectedUser();
    await workspace.instructions();
    const before = await workspace.stats();
    await workspace.instructions();
    const after = await workspace.stats();
    expect(after.sandboxExecs - before.sandboxExecs).toBe(1);
  });

  it("copes with an empty repo", async () => {
    const { workspace } = await connectedUser("empty");
    const result = await workspace.instructions();
    expect(result).toMatchObject({ ready: true, instructions: null, context: null, resources: [], skills: [] });
  });

  it("copes with missing files and malformed front matter", async () => {
    const { workspace } = await connectedUser("readme");
    const setup = await workspace.bash({
      command: [
        "mkdir -p resources skills/ok skills/odd",
        "printf -- '---\\nthis is not front matter\\n---\\nbody\\n' > resources/broken.md",
        "printf -- '---\\nname: never closed\\n' > resources/unclosed.md",
        "printf 'no front matter at all\\n' > resources/plain.md",
        "printf -- '---\\nname: ok\\ndescription: \"Quoted: fine\"\\ntags:\\n  - a\\n---\\n' > skills/ok/SKILL.md",
        "printf -- '---\\n---\\n' > skills/odd/SKILL.md",
      ].join(" && "),
    });
    expect(setup).toMatchObject({ ran: true, exitCode: 0 });
    const result = await workspace.instructions();
    expect(result).toMatchObject({ ready: true, instructions: null, context: null });
    if (!result.ready) return;
    expect(result.resources).toEqual([
      { path: "resources/broken.md", name: "broken", description: "", problem: "front matter is malformed" },
      { path: "resources/plain.md", name: "plain", description: "", problem: "no description in front matter" },
      { path: "resources/unclosed.md", name: "unclosed", description: "", problem: "front matter is malformed" },
    ]);
    expect(result.skills).toEqual([
      { path: "skills/odd/SKILL.md", name: "odd", description: "", problem: "no description in front matter" },
      { path: "skills/ok/SKILL.md", name: "ok", description: "Quoted: fine" },
    ]);
  });

  it("lists committed symlinks and what sits under them as skipped, and never follows them", async () => {
    const { workspace, repo, control } = await connectedUser();
    const secret = `outside-${crypto.randomUUID()}`;
    const setup = await workspace.bash({
      command: [
        `printf -- '---\\nname: leak\\ndescription: ${secret}\\n---\\n' > ~/outside.md`,
        "mkdir -p ~/elsewhere/s && cp ~/outside.md ~/elsewhere/s/SKILL.md",
        "ln -sf ~/outside.md resources/context.md",
        "ln -s ~/outside.md resources/linked.md",
        "ln -s /dev/zero resources/zero.md",
        "mkfifo resources/fifo.md",
        "ln -s ~/elsewhere/s skills/linked",
      ].join(" && "),
      comment: "Plant symlinks",
    });
    expect(setup).toMatchObject({ ran: true, exitCode: 0, publish: { state: "pushed" } });
    expect(await control.readFile(repo.full_name, "resources/linked.md")).toBeDefined();

    const result = await workspace.instructions();
    expect(result).toMatchObject({ ready: true, context: null });
    if (!result.ready) return;
    expect(JSON.stringify(result)).not.toContain(secret);
    expect(result.skipped.sort()).toEqual([
      "resources/context.md",
      "resources/fifo.md",
      "resources/linked.md",
      "resources/zero.md",
      "skills/linked/SKILL.md",
    ]);
    expect(result.resources.map((entry) => entry.path)).not.toContain("resources/linked.md");

    const linkedFolder = await workspace.bash({ command: "rm -rf skills && ln -s ~/elsewhere skills" });
    expect(linkedFolder).toMatchObject({ ran: true, exitCode: 0 });
    const again = await workspace.instructions();
    if (!again.ready) throw new Error("not ready");
    expect(again.skipped).toContain("skills");
    expect(JSON.stringify(again)).not.toContain(secret);
  });

  it("says what the person still has to do when GitHub is not connected or no repo is chosen", async () => {
    const stranger = await workspaceOf(crypto.randomUUID()).instructions();
    expect(stranger).toEqual({
      ready: false,
      problem: "GitHub is not connected. The person needs to connect GitHub on the ctx4-ai website first.",
    });
    const userId = crypto.randomUUID();
    const database = connectDatabase(env.HYPERDRIVE.connectionString);
    await saveInstallation(database.db, userId, { installationId: 1, githubUsername: "someone" });
    await database.close();
    expect(await workspaceOf(userId).bash({ command: "true" })).toEqual({
      ran: false,
      problem: "No repository is chosen yet. The person needs to pick one on the ctx4-ai website.",
    });
  });
});

describe("parseGathered", () => {
  it("reads sections by the call's mark, paths with spaces included, and ignores forged marks", () => {
    const mark = "ctx4-abc";
    const stdout = [
      "",
      `${mark} whole whole resources/instructions.md`,
      "Be brief.\nctx4-other head whole resources/fake.md\n",
      `${mark} head cut resources/big notes.md`,
      "---\nname: big\n",
    ].join("\n");
    expect(parseGathered(stdout, mark)).toEqual({
      instructions: { text: "Be brief.\nctx4-other head whole resources/fake.md\n", cut: false },
      context: null,
      resources: [
        {
          path: "resources/big notes.md",
          name: "big notes",
          description: "",
          problem: "front matter not closed in the first 4 KB",
        },
      ],
      skills: [],
      skipped: [],
    });
  });
});
