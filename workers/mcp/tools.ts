import type { McpServer } from "@modelcontextprotocol/sdk/server/mcp.js";
import { type BashInput, bashInputShape } from "../workspace/bash-input";
import type { BashOutcome, InstructionsOutcome } from "../workspace/workspace";
import { bashResultText, instructionsText } from "./format";
import { ONBOARDING_PROMPT } from "./guide";

/** Tools that change the repo: they exist only for a grant with `ctx:write`. */
export const WRITE_TOOLS: ReadonlySet<string> = new Set(["ctx_bash"]);

/** What the tools need of the user's workspace: the Durable Object, or its core. */
export type CtxWorkspace = {
  bash(input: BashInput): Promise<BashOutcome>;
  instructions(): Promise<InstructionsOutcome>;
};

/**
 * Registers ctx4-ai's tools and prompt on one MCP server (one per session). `canWrite` is
 * whether the session's grant allows changing the repo: without it only the read tool exists.
 */
export function registerCtxTools(server: McpServer, workspace: CtxWorkspace, options: { canWrite: boolean }) {
  server.registerTool(
    "ctx_instructions",
    {
      title: "Read your memory's instructions",
      description:
        "Call this first in every conversation. Returns how the person's memory repository is organised and how to use it, their instructions (resources/instructions.md), their context (resources/context.md), and an index of topic files and skills.",
      annotations: { readOnlyHint: true, destructiveHint: false, idempotentHint: true, openWorldHint: false },
    },
    async () => {
      const { text, isError } = instructionsText(await workspace.instructions());
      return { content: [{ type: "text", text }], isError };
    },
  );

  if (!options.canWrite) return;

  server.registerTool(
    "ctx_bash",
    {
      title: "Run a command in your memory",
      description:
        "Runs one bash command in a clone of the person's memory repository (read with cat, ls, grep; write with heredocs, sed, mv, rm). If it changes files, they are committed (your comment is the commit message) and pushed to GitHub. Returns stdout, stderr, the exit code and what was committed and pushed.",
      inputSchema: bashInputShape,
      // It can delete or overwrite files; git history keeps every earlier version.
      annotations: { readOnlyHint: false, destructiveHint: true, idempotentHint: false, openWorldHint: true },
    },
    async (input) => {
      const { text, isError } = bashResultText(await workspace.bash(input));
      return { content: [{ type: "text", text }], isError };
    },
  );

  server.registerPrompt(
    "onboarding",
    {
      title: "Set up my memory",
      description: "Scaffolds an empty memory repository and asks you the first questions about yourself.",
    },
    () => ({ messages: [{ role: "user", content: { type: "text", text: ONBOARDING_PROMPT } }] }),
  );
}
