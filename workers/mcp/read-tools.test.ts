import type { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { describe, expect, it } from "vitest";
import { READ_TOOL_NAMES, WRITE_TOOL_NAMES } from "../../tests/tool-names";
import { connectedUser } from "../../tests/workerd/connected-user";
import { connectedClient } from "../../tests/workerd/sdk-client";
import { githubControl, onboardedVisitor } from "../../tests/workerd/visitor";
import { MAX_INDEX_ENTRIES } from "../workspace/instructions";
import { instructionsText } from "./format";

const SITE = "http://localhost";

const textOf = (result: Awaited<ReturnType<Client["callTool"]>>) =>
  (result.content as { type: string; text: string }[]).map((part) => part.text).join("\n");

describe("a client with read access only (official SDK client over /mcp)", () => {
  it("reads the guide for readers, searches and lists history, and changes nothing", async () => {
    const { visitor, github } = await onboardedVisitor("reader");
    const fullName = `${github.login}/ctx`;
    const before = await githubControl().branchHead(fullName);
    const { client } = await connectedClient(visitor, "Streamable HTTP", `${SITE}/mcp`, { write: false });
    const { tools } = await client.listTools();
    expect(tools.map((tool) => tool.name).sort()).toEqual(READ_TOOL_NAMES);

    const guide = textOf(await client.callTool({ name: "ctx_instructions", arguments: {} }));
    expect(guide).toContain("## Read only");
    expect(guide).toContain("`ctx_search`");
    expect(guide).toContain("`ctx_history`");
    expect(guide).toContain("allow changes on the\nconsent page");
    expect(guide).not.toContain("ctx_bash");

    const found = await client.callTool({ name: "ctx_search", arguments: { query: "Software Engineer" } });
    expect(found.isError).toBe(false);
    expect(textOf(found)).toContain(
      '1 matching line(s) in 1 file(s) for text "Software Engineer" (ignoring case):\n\nresources/context.md-2-\nresources/context.md:3: I am a software engineer',
    );
    const capped = textOf(
      await client.callTool({ name: "ctx_search", arguments: { query: "description:", maxResults: 1 } }),
    );
    expect(capped).toMatch(/\d+ more result\(s\): narrow the query or the path\. Also in: /);
    const invalid = await client.callTool({ name: "ctx_search", arguments: { query: "([", regex: true } });
    expect(invalid.isError).toBe(true);
    expect(textOf(invalid)).toContain("git grep refused the query");

    const listed = await client.callTool({ name: "ctx_history", arguments: {} });
    expect(listed.isError).toBe(false);
    const sha = before?.slice(0, 7) ?? "";
    expect(textOf(listed)).toContain(`most recent commit(s) of main, newest first:\n\n${sha} `);
    expect(textOf(listed)).toContain("  A resources/context.md");
    const shown = await client.callTool({
      name: "ctx_history",
      arguments: { commit: sha, path: "resources/context.md" },
    });
    expect(textOf(shown)).toContain("+I am a software engineer");
    const unknown = await client.callTool({ name: "ctx_history", arguments: { commit: "0000000" } });
    expect(unknown.isError).toBe(true);

    // Nothing a reader can send makes a commit, and ctx_bash is not theirs to call.
    await client.callTool({ name: "ctx_search", arguments: { query: "x", path: "../../etc" } });
    await expect(client.callTool({ name: "ctx_bash", arguments: { command: "echo no > no.md" } })).rejects.toThrow(
      /403/,
    );
    expect(await githubControl().branchHead(fullName)).toBe(before);
    await client.close();
  });

  it("a write client's guide names the read tools too, and ctx_bash", async () => {
    const { visitor } = await onboardedVisitor("writer");
    const { client } = await connectedClient(visitor, "Streamable HTTP", `${SITE}/mcp`, { write: true });
    expect((await client.listTools()).tools.map((tool) => tool.name).sort()).toEqual(WRITE_TOOL_NAMES);
    const guide = textOf(await client.callTool({ name: "ctx_instructions", arguments: {} }));
    for (const tool of ["ctx_read", "ctx_search", "ctx_history", "ctx_bash"]) expect(guide).toContain(`\`${tool}\``);
    expect(guide).not.toContain("## Read only");
    await client.close();
  });
});

describe("ctx_instructions on a large memory", () => {
  it("lists the first entries of the index and says how many more there are and how to find them", async () => {
    const { workspace } = await connectedUser("empty");
    const extra = 30;
    const count = MAX_INDEX_ENTRIES + extra;
    const setup = await workspace.bash({
      command: `mkdir -p resources && for i in $(seq -w 1 ${count}); do printf -- '---\\nname: t%s\\ndescription: topic %s\\n---\\n' $i $i > resources/t$i.md; done`,
    });
    expect(setup).toMatchObject({ ran: true, exitCode: 0 });
    const outcome = await workspace.instructions();
    expect(outcome).toMatchObject({ ready: true, moreResources: extra });
    if (!outcome.ready) return;
    expect(outcome.resources).toHaveLength(MAX_INDEX_ENTRIES);
    const { text } = instructionsText(outcome, { canWrite: false });
    expect(text).toContain(`- t${String(MAX_INDEX_ENTRIES).padStart(3, "0")} (resources/t100.md): topic 100`);
    expect(text).not.toContain("resources/t101.md");
    expect(text).toContain(`- … and ${extra} more in resources/, not listed here: find them with ctx_search`);
  });
});
