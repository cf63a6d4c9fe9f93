import { runInDurableObject } from "cloudflare:test";
import type { JSONRPCMessage } from "@modelcontextprotocol/sdk/types.js";
import { describe, expect, it, vi } from "vitest";
import { workspaceOf } from "../../tests/workerd/connected-user";
import { EVENT_RETENTION_MS, SessionEventStore } from "./event-store";

const note = (n: number): JSONRPCMessage => ({ jsonrpc: "2.0", method: "notifications/message", params: { n } });

/** What a resume from `lastEventId` sends: [event id, message] in order, and the stream it resumes. */
async function replay(store: SessionEventStore, lastEventId: string) {
  const sent: [string, JSONRPCMessage][] = [];
  const stream = await store.replayEventsAfter(lastEventId, {
    send: async (id, message) => {
      sent.push([id, message]);
    },
  });
  return { stream, sent };
}

describe("SessionEventStore", () => {
  it("replays only the later events of the cursor's own stream, in order, and never a priming event", async () => {
    await runInDurableObject(workspaceOf(crypto.randomUUID()), async (_instance, state) => {
      const store = new SessionEventStore(state.storage, "session-a");
      const cursor = await store.prime("_GET_stream");
      const first = await store.storeEvent("_GET_stream", note(1));
      await store.storeEvent("post-1", note(99));
      await store.prime("_GET_stream");
      const second = await store.storeEvent("_GET_stream", note(2));

      expect(await replay(store, cursor)).toEqual({
        stream: "_GET_stream",
        sent: [
          [first, note(1)],
          [second, note(2)],
        ],
      });
      expect((await replay(store, first)).sent).toEqual([[second, note(2)]]);
      expect(await store.streamOf(second)).toBe("_GET_stream");
    });
  });

  it("keeps ids unique across a restart, and keeps sessions apart", async () => {
    await runInDurableObject(workspaceOf(crypto.randomUUID()), async (_instance, state) => {
      const before = await new SessionEventStore(state.storage, "session-a").storeEvent("s", note(1));
      // The object was evicted: a new store for the session continues after the newest id.
      const after = await new SessionEventStore(state.storage, "session-a").storeEvent("s", note(2));
      expect(after > before).toBe(true);

      const other = new SessionEventStore(state.storage, "session-b");
      expect(await other.streamOf(after)).toBeUndefined();
      await expect(replay(other, after)).rejects.toThrow("Unknown Last-Event-ID");
      expect(await other.streamOf("../../mcp-session:x")).toBeUndefined();
    });
  });

  it("forgets events after the retention time, and all of a session when it ends", async () => {
    await runInDurableObject(workspaceOf(crypto.randomUUID()), async (_instance, state) => {
      const store = new SessionEventStore(state.storage, "session-a");
      const old = await store.storeEvent("s", note(0));
      vi.useFakeTimers({ toFake: ["Date"] });
      try {
        vi.setSystemTime(Date.now() + EVENT_RETENTION_MS + 1_000);
        // Old events are swept every few stores.
        for (let n = 1; n <= 40; n += 1) await store.storeEvent("s", note(n));
      } finally {
        vi.useRealTimers();
      }
      expect(await store.streamOf(old)).toBeUndefined();

      await store.clear();
      expect((await state.storage.list({ prefix: "mcp-event:session-a:" })).size).toBe(0);
    });
  });
});
