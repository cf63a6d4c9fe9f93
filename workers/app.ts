import { createRequestHandler, RouterContextProvider } from "react-router";
import { connectDatabase } from "../app/lib/db/client.server";
import { workerContext } from "../app/lib/worker-context";

export { Sandbox } from "@cloudflare/sandbox";
export { UserWorkspace } from "./user-workspace";

const handleWebRequest = createRequestHandler(() => import("virtual:react-router/server-build"), import.meta.env.MODE);

export default {
  async fetch(request, env, ctx) {
    const database = connectDatabase(env.HYPERDRIVE.connectionString);
    try {
      const context = new RouterContextProvider();
      context.set(workerContext, { env, ctx, db: database.db });
      return await handleWebRequest(request, context);
    } finally {
      ctx.waitUntil(database.close());
    }
  },
} satisfies ExportedHandler<Env>;
