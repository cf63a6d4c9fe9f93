import type { OAuthHelpers } from "@cloudflare/workers-oauth-provider";
import { createContext } from "react-router";
import type { Database } from "./db/client.server";

/**
 * What the Worker hands every web request: its bindings (with the OAuth provider's helpers,
 * which the provider adds for the requests it passes on), its execution context, a database.
 */
export type WorkerContext = {
  env: Env & { OAUTH_PROVIDER: OAuthHelpers };
  ctx: ExecutionContext;
  db: Database;
};

export const workerContext = createContext<WorkerContext>();
