import { type McpServer, ResourceTemplate } from "@modelcontextprotocol/sdk/server/mcp.js";
import { ErrorCode, ListResourcesRequestSchema, McpError, type Resource } from "@modelcontextprotocol/sdk/types.js";
import { type MarkdownCursor, markdownCursorSchema, memoryPath } from "../workspace/files";
import { pathReadText } from "./read-format";
import type { CtxWorkspace } from "./tools";

/**
 * The memory's files as MCP resources (MCP 2025-11-25, "Resources"): `ctx://memory/<path>`,
 * each segment of the repo-relative path percent-encoded (`encodeURIComponent`). A scheme of our
 * own, since the files have no URL a client could fetch (the repo is private); one segment per
 * folder, so URIs read as paths; and every byte of a name that is not a plain URI character is
 * encoded, so names with spaces, newlines, `%`, `#` or `?` round-trip exactly.
 */
export const MEMORY_URI_PREFIX = "ctx://memory/";

/** The resource URI of a repo-relative path. */
export function memoryUri(path: string): string {
  return MEMORY_URI_PREFIX + path.split("/").map(encodeURIComponent).join("/");
}

/** `-32002`: MCP 2025-11-25's error for a resource that does not exist ("Resources", "Error Handling"). */
export const RESOURCE_NOT_FOUND = -32002;

/**
 * The repo-relative path a memory URI names.
 * @throws McpError (invalid params) for another scheme, a malformed percent-encoding, or a path
 *   ctx_read refuses (outside the clone, under .git).
 */
export function pathOfUri(uri: string): string {
  if (!uri.startsWith(MEMORY_URI_PREFIX)) throw new McpError(ErrorCode.InvalidParams, `Not a memory URI: ${uri}`);
  let path: string;
  try {
    path = uri.slice(MEMORY_URI_PREFIX.length).split("/").map(decodeURIComponent).join("/");
  } catch {
    throw new McpError(ErrorCode.InvalidParams, `Malformed percent-encoding in ${uri}`);
  }
  const named = memoryPath(path);
  if ("reason" in named) throw new McpError(ErrorCode.InvalidParams, `Refused: ${named.reason}.`);
  return named.path;
}

/** resources/list cursors: a MarkdownCursor as base64url JSON, opaque to clients as the spec asks. */
const encodeCursor = (cursor: MarkdownCursor) =>
  btoa(String.fromCharCode(...new TextEncoder().encode(JSON.stringify(cursor))))
    .replaceAll("+", "-")
    .replaceAll("/", "_");

/** @throws McpError (invalid params, as MCP 2025-11-25 "Pagination" asks) for anything but our cursor. */
function decodeCursor(cursor: string): MarkdownCursor {
  try {
    const bytes = Uint8Array.from(atob(cursor.replaceAll("-", "+").replaceAll("_", "/")), (char) => char.charCodeAt(0));
    return markdownCursorSchema.parse(JSON.parse(new TextDecoder("utf-8", { fatal: true }).decode(bytes)));
  } catch {
    throw new McpError(ErrorCode.InvalidParams, "Invalid cursor");
  }
}

/**
 * Offers the memory as resources on `server`: `resources/list` pages through its Markdown files
 * (about 100 a page, each read only for its size and front matter), `resources/read` reads any
 * path of it through the template `ctx://memory/{+path}`, with ctx_read's refusals (symlinks,
 * .git, FIFOs, outside the clone). Reads never commit. Declares `resources.listChanged`: the
 * user's object notifies every session when the memory moves (McpSessions.resourceListChanged).
 */
export function registerMemoryResources(server: McpServer, workspace: CtxWorkspace) {
  server.registerResource(
    "memory",
    new ResourceTemplate(`${MEMORY_URI_PREFIX}{+path}`, { list: undefined }),
    {
      title: "A file or folder of your memory",
      description:
        "Any path of the memory repository, each segment percent-encoded. A Markdown file gives its text, a folder a listing, a binary file a summary.",
    },
    async (uri) => {
      const path = pathOfUri(uri.href);
      const outcome = await workspace.read({ path }, "resource");
      if (!outcome.ready) throw new McpError(ErrorCode.InternalError, outcome.problem);
      const read = outcome.value;
      if (read.kind === "missing") throw new McpError(RESOURCE_NOT_FOUND, `Resource not found: ${uri.href}`);
      if (read.kind === "refused") throw new McpError(ErrorCode.InvalidParams, pathReadText(read, "resource"));
      const mimeType = read.kind === "text" ? mimeTypeOf(read.path) : "text/plain";
      return { contents: [{ uri: uri.href, mimeType, text: pathReadText(read, "resource") }] };
    },
  );
  // The SDK's own list handler neither takes a cursor nor gives one: paginate here instead.
  server.server.setRequestHandler(ListResourcesRequestSchema, async (request) => {
    const cursor = request.params?.cursor;
    const outcome = await workspace.markdown(cursor === undefined ? undefined : decodeCursor(cursor));
    if (!outcome.ready) throw new McpError(ErrorCode.InternalError, outcome.problem);
    const { files, next } = outcome.value;
    const resources: Resource[] = files.map((file) => ({
      uri: memoryUri(file.path),
      name: file.path,
      ...(file.name ? { title: file.name } : {}),
      ...(file.description ? { description: file.description } : {}),
      mimeType: "text/markdown",
      size: file.bytes,
    }));
    return { resources, ...(next ? { nextCursor: encodeCursor(next) } : {}) };
  });
}

const mimeTypeOf = (path: string) => (/\.(md|markdown)$/i.test(path) ? "text/markdown" : "text/plain");
