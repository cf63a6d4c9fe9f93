/**
 * What an MCP client may do, as granted on the consent page. `ctx:read` alone exposes only
 * read-only tools (ctx_instructions, ctx_read, ctx_search, ctx_history, the Markdown files as
 * resources), and its text promises what they do; `ctx:write` adds the tools that change the repo.
 */
export const SCOPES = {
  "ctx:read": "Read your ctx repository: open and search its files and see its history of changes. Nothing is changed.",
  "ctx:write": "Run commands in your ctx repository and commit and push changes as ctx4-ai[bot].",
} as const;

export type Scope = keyof typeof SCOPES;

export const ALL_SCOPES = Object.keys(SCOPES) as Scope[];

/**
 * What the Worker stores with each grant and gets back with every validated token: the user,
 * and the client's name as the consent page showed it (cleaned; absent on older grants), which
 * the client's commits carry (`Ctx4-Client` trailer).
 */
export type GrantProps = { userId: string; clientName?: string };
