import postgres from "postgres";
import { expect, inject, it } from "vitest";
import { type QueryEvent, startQueryCounter } from "./postgres-counter";

it("relays a client's session and counts its connections and statements, plain or after asking for TLS", async () => {
  const counter = await startQueryCounter(inject("stack").databaseUrl);
  const exchanges: Promise<QueryEvent>[] = [];
  counter.onExchange((_kind, answered) => exchanges.push(answered));
  try {
    const plain = postgres(counter.url, { max: 1, onnotice: () => undefined, fetch_types: false });
    expect(await plain`select ${41}::int + 1 as answer`).toEqual([{ answer: 42 }]);
    await plain.unsafe("select 1");
    await plain.end();
    expect(counter.counts()).toEqual({ connections: 1, statements: 2 });
    const seen = await Promise.all(exchanges);
    expect(seen.map((event) => event.kind)).toEqual(["connection", "statement", "statement"]);
    expect(seen.every((event) => event.elapsed > 0)).toBe(true);

    const askingForTls = postgres(counter.url, {
      max: 1,
      ssl: "prefer",
      onnotice: () => undefined,
      fetch_types: false,
    });
    expect(await askingForTls`select 'still here' as said`).toEqual([{ said: "still here" }]);
    await askingForTls.end();
    expect(counter.counts()).toEqual({ connections: 2, statements: 3 });
  } finally {
    await counter.stop();
  }
});
