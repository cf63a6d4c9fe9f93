import { z } from "zod";
import { WRITE_TOOLS } from "./tools";

const toolCall = z.object({ method: z.literal("tools/call"), params: z.object({ name: z.string() }) });

/**
 * Whether a JSON-RPC message (or batch) calls a tool that changes the repo. Such a call from a
 * grant without `ctx:write` is answered with the MCP 2025-11-25 scope challenge ("Scope
 * Challenge Handling": 403, `error="insufficient_scope"`, every scope the call needs), so the
 * client can ask the person for more, instead of the SDK's "tool not found". Anything that is
 * not a well-formed `tools/call` is false here and left to the MCP server to answer.
 */
export function callsWriteTool(message: unknown): boolean {
  const messages = Array.isArray(message) ? message : [message];
  return messages.some((item) => {
    const call = toolCall.safeParse(item);
    return call.success && WRITE_TOOLS.has(call.data.params.name);
  });
}
