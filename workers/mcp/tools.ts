import type { McpServer } from "@modelcontextprotocol/sdk/server/mcp.js";
import type { RequestHandlerExtra } from "@modelcontextprotocol/sdk/shared/protocol.js";
import type { ServerNotification, ServerRequest } from "@modelcontextprotocol/sdk/types.js";
import { type BashInput, bashInputShape } from "../workspace/bash-input";
import {
  type MarkdownCursor,
  type MarkdownPage,
  type PathRead,
  type ReadInput,
  type ReadPurpose,
  readInputShape,
} from "../workspace/files";
import { type HistoryInput, type HistoryResult, historyInputShape } from "../workspace/history";
import { type SearchInput, type SearchResult, searchInputShape } from "../workspace/search";
import type { BashOutcome, InstructionsOutcome, ReadOutcome } from "../workspace/workspace";
import { bashResultText, historyText, instructionsText, lateOutcomeText, searchText } from "./format";
import { ONBOARDING_PROMPT } from "./guide";
import { PROGRESS_EVERY_MS, withProgress } from "./progress";
import { readResultText } from "./read-format";
import { registerMemoryResources } from "./resources";
import type { CallWatch } from "./sessions";

/** Tools that change the repo: they exist only for a grant with `ctx:write`. */
export const WRITE_TOOLS: ReadonlySet<string> = new Set(["ctx_bash"]);

/** What the tools need of the user's workspace: the Durable Object, or its core. */
export type CtxWorkspace = {
  /**
   * `signal`: the client cancelled the call; `client`: its name, for the commit's trailer
   * (see Workspace.bash).
   */
  bash(input: BashInput, signal?: AbortSignal, client?: string): Promise<BashOutcome>;
  instructions(): Promise<InstructionsOutcome>;
  search(input: SearchInput): Promise<ReadOutcome<SearchResult>>;
  history(input: HistoryInput): Promise<ReadOutcome<HistoryResult>>;
  /** ctx_read (`tool`) and resources/read (`resource`). */
  read(input: ReadInput, purpose?: ReadPurpose): Promise<ReadOutcome<PathRead>>;
  /** resources/list: Markdown files from `cursor` on (none: the first page). */
  markdown(cursor?: MarkdownCursor): Promise<ReadOutcome<MarkdownPage>>;
};

/** Every read tool's annotations: it changes nothing, and asks nothing outside the memory. */
const READ_ONLY = { readOnlyHint: true, destructiveHint: false, idempotentHint: true, openWorldHint: false };

type Extra = RequestHandlerExtra<ServerRequest, ServerNotification>;

/**
 * A tool result, with the outcomes of earlier calls whose client stopped waiting put first, so
 * the AI learns what they did before it acts again (and does nothing twice unknowingly).
 */
async function answer(calls: CallWatch | undefined, extra: Extra, result: { text: string; isError: boolean }) {
  const late = calls && extra.sessionId ? await calls.takeLate(extra.sessionId) : [];
  return { content: [{ type: "text" as const, text: [...late, result.text].join("\n\n") }], isError: result.isError };
}

/**
 * Registers ctx4-ai's tools and prompt on one MCP server (one per session). `canWrite` is
 * whether the session's grant allows changing the repo: without it only the read tools and the
 * resources exist.
 * `calls` is the session's side of a call (its stream, outcomes its client did not see); a
 * transport without sessions (in memory) has none. `client` is the session's AI client as its
 * commits name it (`Ctx4-Client` trailer, see client-trailer.ts). `progressEveryMs`: how often a
 * long ctx_bash call reports progress (see withProgress).
 */
export function registerCtxTools(
  server: McpServer,
  workspace: CtxWorkspace,
  options: { canWrite: boolean; calls?: CallWatch; client?: string; progressEveryMs?: number },
) {
  const { calls } = options;
  server.registerTool(
    "ctx_instructions",
    {
      title: "Read your memory's instructions",
      description:
        "Call this first in every conversation. Returns how the person's memory repository is organised and how to use it, their instructions (resources/instructions.md), their context (resources/context.md), and an index of topic files and skills.",
      annotations: READ_ONLY,
    },
    async (extra) =>
      answer(calls, extra, instructionsText(await workspace.instructions(), { canWrite: options.canWrite })),
  );

  server.registerTool(
    "ctx_search",
    {
      title: "Search your memory",
      description:
        "Finds text across the person's memory (git grep over every file, uncommitted changes included; binary files skipped). Literal and ignoring case by default; regex for a Perl-compatible regular expression; path keeps it to a folder or file. Returns path:line: text of each matching line with a line of context, grouped per file, and how many more results there are.",
      inputSchema: searchInputShape,
      annotations: READ_ONLY,
    },
    async (input, extra) => answer(calls, extra, searchText(input, await workspace.search(input))),
  );

  server.registerTool(
    "ctx_history",
    {
      title: "See your memory's history",
      description:
        "Recent changes to the person's memory, newest first: commit, author, date, message and the files it changed (A added, M modified, D deleted, R renamed). path keeps to one file (followed across renames) or folder; commit shows that one commit with its stat and diff.",
      inputSchema: historyInputShape,
      annotations: READ_ONLY,
    },
    async (input, extra) => answer(calls, extra, historyText(input, await workspace.history(input))),
  );

  server.registerTool(
    "ctx_read",
    {
      title: "Read a file or folder of your memory",
      description:
        'Reads one path of the person\'s memory repository (relative to its root; "" for the root). A text file gives its lines numbered, from startLine to endLine (about 2,000 lines or 100 KB at a time, with the startLine to read on); a folder lists its entries with sizes; a binary file gets a summary. Symlinks and .git are not read.',
      inputSchema: readInputShape,
      annotations: { readOnlyHint: true, destructiveHint: false, idempotentHint: true, openWorldHint: false },
    },
    async (input, extra) => answer(calls, extra, readResultText(await workspace.read(input))),
  );

  registerMemoryResources(server, workspace);

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
    async (input, extra) => {
      const { sessionId, requestId, signal } = extra;
      // The SDK sends no response to a cancelled request; its stream is closed here, at once.
      const endStream = () => sessionId && calls?.endStream(sessionId, requestId);
      signal.addEventListener("abort", endStream, { once: true });
      let outcome: BashOutcome;
      try {
        outcome = await withProgress(extra, options.progressEveryMs ?? PROGRESS_EVERY_MS, () =>
          workspace.bash(input, signal, options.client),
        );
      } finally {
        signal.removeEventListener("abort", endStream);
      }
      const unseen = signal.aborted
        ? "cancelled"
        : sessionId && calls?.abandoned(sessionId, requestId)
          ? "abandoned"
          : "";
      if (unseen && sessionId && calls) {
        // Told twice: now on the session's own stream, if the client listens, and first thing
        // in the next result of this session.
        const text = lateOutcomeText(input, outcome, unseen);
        await server
          .sendLoggingMessage({ level: "warning", logger: "ctx_bash", data: text }, sessionId)
          .catch(() => {});
        await calls.remember(sessionId, text);
        // Earlier late outcomes stay kept: this result may never reach the client either.
        const { text: result, isError } = bashResultText(outcome);
        return { content: [{ type: "text", text: result }], isError };
      }
      return answer(calls, extra, bashResultText(outcome));
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
