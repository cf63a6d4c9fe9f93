import { useState } from "react";
import { CopyButton } from "./copy-button";

type Client = { name: string; steps: string; snippet?: string };

function clientsFor(mcpUrl: string): Client[] {
  return [
    {
      name: "Claude Code",
      steps: "Run this in a terminal, then type /mcp in Claude Code and sign in.",
      snippet: `claude mcp add --transport http ctx4-ai ${mcpUrl}`,
    },
    {
      name: "Claude",
      steps:
        "In Claude (web or desktop): Settings → Connectors → Add custom connector. Name it ctx4-ai, paste the MCP URL, then Connect and sign in.",
    },
    {
      name: "Cursor",
      steps:
        "Add this to ~/.cursor/mcp.json (or .cursor/mcp.json in a project), then enable ctx4-ai in Settings → MCP.",
      snippet: JSON.stringify({ mcpServers: { "ctx4-ai": { url: mcpUrl } } }, null, 2),
    },
    {
      name: "VS Code",
      steps: "Add this to .vscode/mcp.json (or run “MCP: Add Server…”), then start the server and sign in.",
      snippet: JSON.stringify({ servers: { "ctx4-ai": { type: "http", url: mcpUrl } } }, null, 2),
    },
    {
      name: "ChatGPT",
      steps:
        "In ChatGPT: Settings → Apps & Connectors → Advanced settings → turn on Developer mode, then Create. Paste the MCP URL, choose OAuth, and sign in.",
    },
  ];
}

/** Setup instructions for the common MCP clients, one tab each. */
export function ClientSetup({ mcpUrl }: { mcpUrl: string }) {
  const clients = clientsFor(mcpUrl);
  const [selected, setSelected] = useState(0);
  const client = clients[selected] ?? clients[0];
  if (!client) return null;
  return (
    <div>
      <div role="tablist" aria-label="AI clients" className="flex flex-wrap gap-2">
        {clients.map((candidate, index) => (
          <button
            key={candidate.name}
            type="button"
            role="tab"
            id={`client-tab-${index}`}
            aria-selected={index === selected}
            aria-controls="client-panel"
            onClick={() => setSelected(index)}
            className={`rounded-md px-3 py-1.5 text-sm ${
              index === selected ? "bg-stone-900 text-white" : "ring-1 ring-stone-300 hover:bg-stone-100"
            }`}
          >
            {candidate.name}
          </button>
        ))}
      </div>
      <div
        role="tabpanel"
        id="client-panel"
        aria-labelledby={`client-tab-${selected}`}
        className="mt-3 space-y-3 rounded-lg border border-stone-200 bg-white p-4"
      >
        <p className="text-sm text-stone-700">{client.steps}</p>
        {client.snippet ? (
          <div className="flex items-start gap-2">
            <pre className="flex-1 overflow-x-auto rounded-md bg-stone-900 p-3 text-xs text-stone-100">
              <code>{client.snippet}</code>
            </pre>
            <CopyButton text={client.snippet} label="Copy" />
          </div>
        ) : null}
      </div>
    </div>
  );
}
