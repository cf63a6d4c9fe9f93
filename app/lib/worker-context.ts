import { createContext } from "react-router";
import type { Database } from "./db/client.server";

/** What the Worker hands every request: its bindings, its execution context and a database. */
export type WorkerContext = {
  env: Env;
  ctx: ExecutionContext;
  db: Database;
};

export const workerContext = createContext<WorkerContext>();
