import { env } from "cloudflare:test";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import { InMemoryTransport } from "@modelcontextprotocol/sdk/inMemory.js";
import { McpServer } from "@modelcontextprotocol/sdk/server/mcp.js";
import { type Resource, ResourceListChangedNotificationSchema } from "@modelcontextprotocol/sdk/types.js";
import { describe, expect, it, vi } from "vitest";
import { holdClock, pastFreshness } from "../../tests/workerd/clock";
import { connectedUser } from "../../tests/workerd/connected-user";
import { connectedClient, workerFetch } from "../../tests/workerd/sdk-client";
import { githubControl, onboardedVisitor, type Visitor } from "../../tests/workerd/visitor";
import { MEMORY_URI_PREFIX, memoryUri, pathOfUri, RESOURCE_NOT_FOUND } from "./resources";
import { type CtxWorkspace, registerCtxTools } from "./tools";

/** A file name shaped as a GitHub token. */
const TOKEN_NAME = `ghp_${"a1B2".repeat(9)}.md`;

/** An SDK client of a read-only session over the user's object (RPC), all in memory. */
async function readOnlyClient(object: CtxWorkspace) {
  const server = new McpServer({ name: "ctx4-ai", version: "test" });
  const workspace: CtxWorkspace = {
    bash: (input) => object.bash(input),
    instructions: () => object.instructions(),
    read: (input, purpose) => object.read(input, purpose),
    markdown: (cursor) => object.markdown(cursor),
    search: (input) => object.search(input),
    history: (input) => object.history(input),
  };
  registerCtxTools(server, workspace, { canWrite: false });
  const [clientSide, serverSide] = InMemoryTransport.createLinkedPair();
  const client = new Client({ name: "test-client", version: "1" });
  await Promise.all([server.connect(serverSide), client.connect(clientSide)]);
  return client;
}

const textOf = (result: Awaited<ReturnType<Client["callTool"]>>) =>
  (result.content as { type: string; text: string }[]).map((part) => part.text).join("\n");

describe("memory URIs", () => {
  it("round-trip any name, newlines, spaces, % and # included, and refuse what ctx_read refuses", () => {
    for (const path of ["resources/projects.md", "odd/new\nline.md", "a b/100% #1?.md", "café/ü.md", "-rf.md"]) {
      const uri = memoryUri(path);
      expect(uri.startsWith(MEMORY_URI_PREFIX)).toBe(true);
      expect(new URL(uri).href).toBe(uri);
      expect(pathOfUri(uri)).toBe(path);
    }
    expect(memoryUri("odd/new\nline.md")).toBe("ctx://memory/odd/new%0Aline.md");
    for (const uri of ["ctx://memory/%2E%2E/x", "ctx://memory/.git/config", "ctx://memory/%ZZ", "https://x/y"])
      expect(() => pathOfUri(uri), uri).toThrow();
  });
});

describe("the memory as MCP resources", () => {
  it("lists every Markdown file a page at a time, with front matter, size and a cursor", async () => {
    const { workspace, repo, control } = await connectedUser();
    const setup = await workspace.bash({
      command: [
        "mkdir -p many odd",
        "for i in $(seq -w 1 230); do printf -- '---\\nname: note %s\\ndescription: about %s\\n---\\nbody\\n' $i $i > many/$i.md; done",
        "printf 'x\\n' > $'odd/new\\nline.md'",
        "printf 'y\\n' > 'odd/two words.md'",
        "ln -s /etc/passwd odd/link.md",
        "printf 'not markdown\\n' > odd/notes.txt",
        // Front matter as editors write it, and files that only look like it.
        "printf -- '---\\r\\nname: crlf\\r\\n---\\r\\nbody\\r\\n' > odd/crlf.md",
        "printf -- '\\xEF\\xBB\\xBF---\\nname: bom\\n---' > odd/bom.md",
        "printf -- '---\\nname: never closed\\n' > odd/open.md",
        "{ printf -- '---\\nname: too far\\n'; head -c 5000 /dev/zero | tr '\\0' x; printf '\\n---\\n'; } > odd/far.md",
        "head -c 1000000 /dev/zero | tr '\\0' x > odd/one-line.md",
        `printf 'z\\n' > odd/${TOKEN_NAME}`,
      ].join(" && "),
      comment: "Many notes",
    });
    expect(setup).toMatchObject({ ran: true, exitCode: 0, publish: { state: "pushed" } });
    const head = await control.branchHead(repo.full_name);
    const client = await readOnlyClient(workspace);
    await expect(client.listResources({ cursor: "not-ours" })).rejects.toMatchObject({ code: -32602 });

    const pages: Resource[][] = [];
    let cursor: string | undefined;
    const before = await workspace.stats();
    do {
      const page = await client.listResources(cursor === undefined ? {} : { cursor });
      pages.push(page.resources);
      cursor = page.nextCursor;
    } while (cursor !== undefined);
    const after = await workspace.stats();
    // One sandbox round trip per page, and no page larger than 100.
    expect(after.sandboxExecs - before.sandboxExecs).toBe(pages.length);
    expect(pages.map((page) => page.length)).toEqual([100, 100, expect.any(Number)]);
    const all = pages.flat();
    const names = all.map((resource) => resource.name);
    expect(new Set(names).size).toBe(names.length);
    expect(names).toContain("odd/new\nline.md");
    expect(names).toContain("odd/two words.md");
    expect(names).toContain("resources/projects.md");
    expect(names).not.toContain("odd/link.md");
    expect(names).not.toContain("odd/notes.txt");
    // Listed redacted, its URI would name no file: it is left out.
    expect(names.filter((name) => name.includes("ghp_") || name.includes("redacted"))).toEqual([]);
    expect(names.filter((name) => name.startsWith("many/"))).toHaveLength(230);
    expect(all.find((resource) => resource.name === "many/007.md")).toEqual({
      uri: "ctx://memory/many/007.md",
      name: "many/007.md",
      title: "note 007",
      description: "about 007",
      mimeType: "text/markdown",
      size: 51,
    });

    const titles = Object.fromEntries(
      all.filter((resource) => resource.name.startsWith("odd/")).map((resource) => [resource.name, resource.title]),
    );
    expect(titles).toMatchObject({ "odd/crlf.md": "crlf", "odd/bom.md": "bom" });
    for (const plain of ["odd/open.md", "odd/far.md", "odd/one-line.md"]) expect(titles[plain], plain).toBeUndefined();
    expect(all.find((resource) => resource.name === "odd/one-line.md")?.size).toBe(1_000_000);

    const newline = all.find((resource) => resource.name === "odd/new\nline.md");
    const read = await client.readResource({ uri: newline?.uri ?? "" });
    expect(read.contents).toEqual([{ uri: "ctx://memory/odd/new%0Aline.md", mimeType: "text/markdown", text: "x\n" }]);
    expect(await control.branchHead(repo.full_name)).toBe(head);

    // Files that come before the cursor between two pages shift every position: the next page
    // is still the one after the cursor's path, nothing twice and nothing left out.
    const first = await client.listResources();
    const added = await workspace.bash({ command: "echo '# A' > a.md && echo '# B' > b.md", comment: "Two more" });
    expect(added).toMatchObject({ ran: true, exitCode: 0 });
    const rest: Resource[] = [];
    cursor = first.nextCursor;
    while (cursor !== undefined) {
      const page = await client.listResources({ cursor });
      rest.push(...page.resources);
      cursor = page.nextCursor;
    }
    expect([...first.resources, ...rest].map((resource) => resource.name)).toEqual(names);
  });

  it("reads any path through the template, with ctx_read's refusals, for a read-only grant that changes nothing", async () => {
    const { workspace, repo, control } = await connectedUser();
    const setup = await workspace.bash({ command: "ln -s /etc/passwd resources/link.md", comment: "Link" });
    expect(setup).toMatchObject({ ran: true, exitCode: 0 });
    const head = await control.branchHead(repo.full_name);
    const commits = (await control.commits(repo.full_name)).length;
    const client = await readOnlyClient(workspace);

    const { resourceTemplates } = await client.listResourceTemplates();
    expect(resourceTemplates).toEqual([expect.objectContaining({ uriTemplate: "ctx://memory/{+path}" })]);
    const context = await client.readResource({ uri: "ctx://memory/resources/context.md" });
    expect(context.contents[0]).toMatchObject({
      mimeType: "text/markdown",
      text: "# Context\n\nI am a software engineer who likes small, well-tested programs.\n",
    });
    const folder = await client.readResource({ uri: "ctx://memory/resources" });
    expect(folder.contents[0]).toMatchObject({ text: expect.stringContaining("projects.md  (") });
    await expect(client.readResource({ uri: "ctx://memory/resources/link.md" })).rejects.toThrow(/symlink/);
    await expect(client.readResource({ uri: "ctx://memory/.git/config" })).rejects.toThrow(/\.git/);
    await expect(client.readResource({ uri: "ctx://memory/nothing.md" })).rejects.toMatchObject({
      code: RESOURCE_NOT_FOUND,
    });

    const read = await client.callTool({ name: "ctx_read", arguments: { path: "resources/context.md", startLine: 3 } });
    expect(read.isError).toBe(false);
    expect(textOf(read)).toBe(
      "resources/context.md (75 bytes), lines 3-3:\n     3\tI am a software engineer who likes small, well-tested programs.\n[end of file]",
    );
    const refused = await client.callTool({ name: "ctx_read", arguments: { path: "../../etc/passwd" } });
    expect(refused.isError).toBe(true);
    expect(textOf(refused)).toContain("Refused");
    await expect(client.callTool({ name: "ctx_bash", arguments: { command: "echo x > y.md" } })).resolves.toMatchObject(
      {
        isError: true,
      },
    );
    expect(await control.branchHead(repo.full_name)).toBe(head);
    expect(await control.commits(repo.full_name)).toHaveLength(commits);
  });
});

/**
 * A Streamable HTTP SDK client of `visitor`'s, through consent, whose standalone GET stream (where
 * notifications outside a request arrive) is open when this resolves. Counts list_changed.
 */
async function listeningClient(visitor: Visitor, write: boolean) {
  const url = "http://localhost/mcp";
  const { client: first, oauth } = await connectedClient(visitor, "Streamable HTTP", url, { write });
  await first.close();
  let getOpened: () => void = () => {};
  const opened = new Promise<void>((resolve) => {
    getOpened = resolve;
  });
  const fetchSpy = async (input: string | URL, init?: RequestInit) => {
    const response = await workerFetch(input, init);
    if (init?.method === "GET" && response.ok) getOpened();
    return response;
  };
  const client = new Client({ name: "listener", version: "1" });
  const heard = { count: 0 };
  client.setNotificationHandler(ResourceListChangedNotificationSchema, () => {
    heard.count += 1;
  });
  await client.connect(new StreamableHTTPClientTransport(new URL(url), { authProvider: oauth, fetch: fetchSpy }));
  await opened;
  return { client, heard };
}

describe("notifications/resources/list_changed", () => {
  it("reaches every session of the user when the memory changes, by a command or on GitHub, and no one else's", async () => {
    holdClock();
    const { visitor, github } = await onboardedVisitor("listening");
    const writer = await listeningClient(visitor, true);
    const reader = await listeningClient(visitor, false);
    // A legacy SSE session hears it on its one stream.
    const { client: legacy } = await connectedClient(visitor, "SSE", "http://localhost/sse", { write: false });
    const legacyHeard = { count: 0 };
    legacy.setNotificationHandler(ResourceListChangedNotificationSchema, () => {
      legacyHeard.count += 1;
    });
    const stranger = await listeningClient((await onboardedVisitor("stranger")).visitor, true);
    const { resources } = await reader.client.listResources();
    expect(resources.map((resource) => resource.name)).toContain("resources/projects.md");
    expect(await reader.client.getServerCapabilities()?.resources).toEqual({ listChanged: true });

    const read = await writer.client.callTool({ name: "ctx_read", arguments: { path: "resources" } });
    expect(read.isError, textOf(read)).toBe(false);
    expect(reader.heard.count).toBe(0);

    const written = await writer.client.callTool({
      name: "ctx_bash",
      arguments: { command: "echo '# Trips' > resources/trips.md", comment: "Add trips" },
    });
    expect(written.isError, textOf(written)).toBe(false);
    await vi.waitFor(() => expect(reader.heard.count).toBe(1), { timeout: 5_000 });
    await vi.waitFor(() => expect(writer.heard.count).toBe(1), { timeout: 5_000 });
    // The server writes it once on the SSE stream; the SDK's SSE client here reports it twice.
    await vi.waitFor(() => expect(legacyHeard.count).toBeGreaterThan(0), { timeout: 5_000 });

    // Made elsewhere: seen by the next read once the clone may be stale, and told to everyone.
    await githubControl().commitFromWeb(`${github.login}/ctx`, {
      message: "Edit on the web",
      author: { name: "Web Person", email: "web@example.com" },
      files: { "resources/web.md": "# Web\n" },
    });
    pastFreshness();
    const seen = await reader.client.readResource({ uri: "ctx://memory/resources/web.md" });
    expect(seen.contents[0]).toMatchObject({ text: "# Web\n" });
    await vi.waitFor(() => expect(writer.heard.count).toBe(2), { timeout: 5_000 });
    expect(reader.heard.count).toBe(2);

    // Nothing moved: a read tells no one.
    await reader.client.callTool({ name: "ctx_read", arguments: { path: "resources/web.md" } });
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect([writer.heard.count, reader.heard.count, stranger.heard.count]).toEqual([2, 2, 0]);

    // Disconnecting (or picking another repo) takes the listed files away.
    await env.USER_WORKSPACE.get(env.USER_WORKSPACE.idFromName(await visitor.userId())).reset();
    await vi.waitFor(() => expect([writer.heard.count, reader.heard.count]).toEqual([3, 3]), { timeout: 5_000 });
    expect(stranger.heard.count).toBe(0);
    await Promise.all([writer.client.close(), reader.client.close(), stranger.client.close(), legacy.close()]);
  });
});
