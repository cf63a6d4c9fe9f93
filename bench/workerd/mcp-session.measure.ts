import { env, exports } from "cloudflare:workers";
import { it } from "vitest";
import { accessToken, mcpPost, PROTOCOL_VERSION } from "../../tests/workerd/mcp";
import { onboardedVisitor } from "../../tests/workerd/visitor";
import { ms, ratio, summarise } from "../stats";

const SESSIONS = 200;
const WARM_UP = 20;
const now = () => Date.now();

it("MCP session start: initialize + initialized + tools/list vs bare round trips to the object", async () => {
  const { visitor } = await onboardedVisitor("bench-mcp");
  const token = await accessToken(visitor, true);
  const workspace = env.USER_WORKSPACE.get(env.USER_WORKSPACE.idFromName(await visitor.userId()));

  // What a client waits for before it can call a tool, through the Worker's entry: the token
  // check, the forward to the user's object, the MCP session there.
  const session = async () => {
    const started = now();
    const initialized = await mcpPost(token, {
      jsonrpc: "2.0",
      id: 1,
      method: "initialize",
      params: { protocolVersion: PROTOCOL_VERSION, capabilities: {}, clientInfo: { name: "bench", version: "1" } },
    });
    await initialized.text();
    const sessionId = initialized.headers.get("Mcp-Session-Id") ?? "";
    await (await mcpPost(token, { jsonrpc: "2.0", method: "notifications/initialized" }, { sessionId })).text();
    const listed = await mcpPost(token, { jsonrpc: "2.0", id: 2, method: "tools/list" }, { sessionId });
    const tools = await listed.text();
    const elapsed = now() - started;
    if (!tools.includes("ctx_bash")) throw new Error(`tools/list answered ${listed.status}`);
    const closed = await exports.default.fetch("http://localhost/mcp", {
      method: "DELETE",
      headers: { Authorization: `Bearer ${token}`, "Mcp-Session-Id": sessionId },
    });
    await closed.text();
    return elapsed;
  };
  // The floor: as many plain RPC round trips to the same object, which do nothing there.
  const floor = async () => {
    const started = now();
    for (let trip = 0; trip < 3; trip += 1) await workspace.mcpSessionCounts();
    return now() - started;
  };

  for (let round = 0; round < WARM_UP; round += 1) {
    await session();
    await floor();
  }
  const before = await workspace.stats();
  const sessions: number[] = [];
  const floors: number[] = [];
  for (let round = 0; round < SESSIONS; round += 1) {
    sessions.push(await session());
    floors.push(await floor());
  }
  const after = await workspace.stats();

  const s = summarise(sessions);
  const f = summarise(floors);
  console.log(
    [
      `\n== MCP session start, ${SESSIONS} sessions, interleaved with the floor`,
      `initialize + initialized + tools/list:  median ${ms(s.median)}  p99 ${ms(s.p99)}  mean ${ms(s.mean)}`,
      `3 bare RPC round trips to the object:   median ${ms(f.median)}  p99 ${ms(f.p99)}  mean ${ms(f.mean)}`,
      `ratio:                                  median ${ratio(s.median, f.median)}  p99 ${ratio(s.p99, f.p99)}  mean ${ratio(s.mean, f.mean)}`,
      `object counters over the ${SESSIONS} sessions: ${after.sandboxExecs - before.sandboxExecs} sandbox execs, ${after.tokenMints - before.tokenMints} token mints, ${after.postgresQueries - before.postgresQueries} Postgres queries`,
    ].join("\n"),
  );
});
