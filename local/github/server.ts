import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { isLoopbackHost } from "../guard";
import { observeRequests, type RequestListener } from "../observe-requests";
import { apiRoutes } from "./api";
import { EmulatorContext } from "./context";
import { controlRoutes } from "./control";
import { type EmulatorControl, emulatorControl } from "./control-client";
import type { Delivery } from "./delivery";
import { gitRoutes } from "./git-http";
import { BodyError, match, type Route, sendError } from "./http";
import { installRoutes } from "./install-pages";
import { oauthRoutes } from "./oauth";
import { type EmulatorOptions, emulatorOptionsSchema } from "./options";
import { repoApiRoutes } from "./repo-api";
import type { EmulatorState } from "./state";

export type { EmulatorOptions } from "./options";

export type RunningGitHubEmulator = {
  /** `http://127.0.0.1:<port>`: both the API base URL and the web (github.com) base URL. */
  url: string;
  port: number;
  /** The bot user our commits are authored as: login `<slug>[bot]`, and its id for the noreply email. */
  bot: { login: string; id: number; email: string };
  /** The control API, already holding the local secret. */
  control: EmulatorControl;
  /** Live state, for assertions in the same process. */
  state: EmulatorState;
  /** Webhook deliveries so far, with their outcome. */
  deliveries(): Delivery[];
  /** Resolves once every queued webhook delivery has been attempted. */
  idle(): Promise<void>;
  /**
   * Calls `listener` with each request as it arrives, until the returned function is called:
   * how the benchmarks count and time what GitHub is asked (see observeRequests).
   */
  onRequest(listener: RequestListener): () => void;
  stop(): Promise<void>;
};

/**
 * Starts the GitHub emulator on 127.0.0.1. Port 0 picks a free port. Every route, GitHub's
 * and the control API's, answers only requests whose Host names a loopback address.
 */
export async function startGitHubEmulator(options: EmulatorOptions): Promise<RunningGitHubEmulator> {
  const ctx = new EmulatorContext(emulatorOptionsSchema.parse(options));
  const routes: Route[] = [
    ...controlRoutes(ctx),
    ...apiRoutes(ctx),
    ...repoApiRoutes(ctx),
    ...oauthRoutes(ctx),
    ...installRoutes(ctx),
    ...gitRoutes(ctx),
  ];

  const server = createServer((request, response) => {
    handle(routes, request, response).catch((error: unknown) => {
      if (error instanceof BodyError) return sendError(response, error.status, error.message);
      console.error(`[github] ${request.method} ${new URL(request.url ?? "/", ctx.base).pathname}:`, error);
      if (!response.headersSent) sendError(response, 500, "Server Error");
      else response.destroy();
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(ctx.options.port, "127.0.0.1", resolve);
  });
  const { port } = server.address() as AddressInfo;
  ctx.base = `http://127.0.0.1:${port}`;

  return {
    url: ctx.base,
    port,
    bot: { login: ctx.bot.login, id: ctx.bot.id, email: `${ctx.bot.id}+${ctx.bot.login}@users.noreply.github.com` },
    control: emulatorControl(ctx.base, ctx.options.localSecret),
    state: ctx.state,
    deliveries: () => ctx.webhooks.list(),
    idle: () => ctx.webhooks.idle(),
    onRequest: (listener) => observeRequests(server, listener),
    async stop() {
      await ctx.webhooks.idle();
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
    },
  };
}

async function handle(routes: Route[], request: IncomingMessage, response: ServerResponse): Promise<void> {
  if (!isLoopbackHost(request.headers.host)) {
    return sendError(response, 403, "The GitHub emulator answers loopback hosts only.");
  }
  const path = (request.url ?? "/").split("?")[0] ?? "/";
  if (request.method === "GET" && path === "/healthz") {
    response.writeHead(200, { "content-type": "text/plain" }).end("ok\n");
    return;
  }
  const found = match(routes, request.method ?? "GET", path);
  if (!found) return sendError(response, 404, "Not Found");
  await found.route.handler(request, response, found.params);
}
