/**
 * The MCP tools each grant is offered, sorted by name, for tests to compare `tools/list` with:
 * every grant gets the read tools; a grant with `ctx:write` also gets ctx_bash.
 */
export const READ_TOOL_NAMES = ["ctx_history", "ctx_instructions", "ctx_read", "ctx_search"];
export const WRITE_TOOL_NAMES = ["ctx_bash", ...READ_TOOL_NAMES];
