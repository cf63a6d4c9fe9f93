import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { InMemoryTransport } from "@modelcontextprotocol/sdk/inMemory.js";
import { McpServer } from "@modelcontextprotocol/sdk/server/mcp.js";
import { describe, expect, it } from "vitest";
import { connectedUser } from "../../tests/workerd/connected-user";
import { type CtxWorkspace, registerCtxTools } from "./tools";

/**
 * An MCP client talking to a server with our tools over the given workspace (the user's object,
 * over RPC), all in memory. An AbortSignal cannot cross RPC, so calls go without one: the
 * cancellation path is tested end to end (tests/e2e/long-calls.test.ts).
 */
async function connect(object: CtxWorkspace, canWrite: boolean) {
  const server = new McpServer({ name: "ctx4-ai", version: "test" });
  const workspace: CtxWorkspace = {
    bash: (input) => object.bash(input),
    instructions: () => object.instructions(),
    search: (input) => object.search(input),
    history: (input) => object.history(input),
    read: (input, purpose) => object.read(input, purpose),
    markdown: (cursor) => object.markdown(cursor),
  };
  registerCtxTools(server, workspace, { canWrite });
  const [clientSide, serverSide] = InMemoryTransport.createLinkedPair();
  const client = new Client({ name: "test-client", version: "1" });
  await Promise.all([server.connect(serverSide), client.connect(clientSide)]);
  return client;
}

const textOf = (result: Awaited<ReturnType<Client["callTool"]>>) =>
  (result.content as { type: string; text: string }[]).map((part) => part.text).join("\n");

describe("registerCtxTools", () => {
  it("offers only read tools, each read-only, without write access", async () => {
    const { workspace } = await connectedUser();
    const client = await connect(workspace, false);
    const { tools } = await client.listTools();
    const names = tools.map((tool) => tool.name);
    expect(names).toEqual(expect.arrayContaining(["ctx_instructions", "ctx_search", "ctx_history"]));
    expect(names).not.toContain("ctx_bash");
    for (const tool of tools)
      expect(tool.annotations, tool.name).toMatchObject({
        readOnlyHint: true,
        destructiveHint: false,
        idempotentHint: true,
        openWorldHint: false,
      });
  });

  it("offers ctx_bash (destructive) and the onboarding prompt with write access", async () => {
    const { workspace } = await connectedUser();
    const client = await connect(workspace, true);
    const { tools } = await client.listTools();
    const bash = tools.find((tool) => tool.name === "ctx_bash");
    expect(bash?.annotations).toMatchObject({ readOnlyHint: false, destructiveHint: true });
    expect(Object.keys(bash?.inputSchema.properties ?? {})).toEqual(["command", "comment", "timeoutSeconds"]);
    expect(bash?.inputSchema.required).toEqual(["command"]);

    const { prompts } = await client.listPrompts();
    expect(prompts.map((prompt) => prompt.name)).toEqual(["onboarding"]);
    const prompt = await client.getPrompt({ name: "onboarding" });
    expect(prompt.messages[0]?.content).toMatchObject({
      type: "text",
      text: expect.stringContaining("ctx_instructions"),
    });
  });

  it("answers ctx_instructions with the guide and the person's own files", async () => {
    const { workspace } = await connectedUser();
    const client = await connect(workspace, false);
    const result = await client.callTool({ name: "ctx_instructions", arguments: {} });
    expect(result.isError).toBe(false);
    const text = textOf(result);
    expect(text).toContain("# Your memory: the ctx repository");
    expect(text).toContain("I am a software engineer who likes small, well-tested programs.");
    expect(text).toContain("- projects (resources/projects.md): The projects I am working on and their status");
    expect(text).toContain("- weekly-review (skills/weekly-review/SKILL.md)");
  });

  it("runs ctx_bash, says what was committed and pushed, and flags failures", async () => {
    const { workspace, repo } = await connectedUser();
    const client = await connect(workspace, true);
    const write = await client.callTool({
      name: "ctx_bash",
      arguments: { command: "echo hi > hello.md && cat hello.md", comment: "Say hi" },
    });
    expect(write.isError, textOf(write)).toBe(false);
    const text = textOf(write);
    expect(text).toMatch(/stdout:\nhi\n/);
    expect(text).toMatch(/Committed [0-9a-f]{7}:\n {2}A hello\.md/);
    expect(text).toMatch(new RegExp(`Pushed to ${repo.full_name} \\(main at [0-9a-f]{7}\\)\\.`));

    const failing = await client.callTool({ name: "ctx_bash", arguments: { command: "ls missing-file" } });
    expect(failing.isError).toBe(true);
    expect(textOf(failing)).toContain("Exit code: 2");

    const invalid = await client.callTool({ name: "ctx_bash", arguments: { command: "" } });
    expect(invalid.isError).toBe(true);
  });
});
