import { sql } from "drizzle-orm";
import { workerContext } from "../lib/worker-context";
import type { Route } from "./+types/healthz";

export async function loader({ context }: Route.LoaderArgs) {
  const headers = { "Cache-Control": "no-store" };
  try {
    await context.get(workerContext).db.execute(sql`select 1`);
    return Response.json({ ok: true }, { headers });
  } catch {
    return Response.json({ ok: false, database: "unreachable" }, { status: 503, headers });
  }
}
