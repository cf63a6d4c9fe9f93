import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { z } from "zod";
import { createAuthHandler } from "./api";
import { AuthCodes } from "./auth-codes";
import type { AuthContext } from "./context";
import { EmailTokens } from "./email-tokens";
import { loadOrCreateSigningKey } from "./keys";
import { Mailbox } from "./mailbox";
import { createMailboxHandler } from "./mailbox-server";
import { createRedirectPolicy } from "./redirects";
import { SessionStore } from "./sessions";
import { UserStore } from "./users";

const port = z.number().int().min(0).max(65_535);

export const authEmulatorOptionsSchema = z.object({
  /** 0 picks a free port. */
  port,
  mailboxPort: port,
  /** Keeps the signing key and the users between runs. */
  dataDir: z.string().min(1),
  /** The local stack's secret, required by the emulator's own `/_local/` API. */
  localSecret: z.string().min(16),
  /** The key every `/auth/v1` request must carry in its `apikey` header. */
  publishableKey: z.string().min(1),
  /** The secret key (`sb_secret_…`) of the admin API; without it every admin request is refused. */
  secretKey: z.string().min(16).optional(),
  /** GoTrue's SITE_URL: redirects to its host are allowed, and it is the fallback target. */
  siteUrl: z.url({ protocol: /^https?$/ }),
  /** GoTrue's URI_ALLOW_LIST: further redirect targets, as globs. */
  redirectUrls: z.array(z.string().min(1)).default([]),
  accessTokenTtlSeconds: z.number().int().positive().default(3600),
});

export type AuthEmulatorOptions = z.input<typeof authEmulatorOptionsSchema>;
export type RunningAuthEmulator = { url: string; mailboxUrl: string; stop(): Promise<void> };

/** Starts the Supabase Auth (GoTrue) emulator and its mailbox, both on 127.0.0.1. */
export async function startAuthEmulator(options: AuthEmulatorOptions): Promise<RunningAuthEmulator> {
  const config = authEmulatorOptionsSchema.parse(options);
  const now = () => Date.now();
  const key = loadOrCreateSigningKey(config.dataDir);
  const users = new UserStore(config.dataDir, now);
  const mailbox = new Mailbox(now);

  const mailboxServer = createServer(createMailboxHandler(mailbox));
  const mailboxPort = await listen(mailboxServer, config.mailboxPort);
  const authServer = createServer();
  let authPort: number;
  try {
    authPort = await listen(authServer, config.port);
  } catch (error) {
    await close(mailboxServer);
    throw error;
  }

  // The base URL needs the bound port, so the handler is attached once it is known.
  const context: AuthContext = {
    baseUrl: `http://127.0.0.1:${authPort}`,
    publishableKey: config.publishableKey,
    secretKey: config.secretKey,
    localSecret: config.localSecret,
    accessTokenTtlSeconds: config.accessTokenTtlSeconds,
    key,
    redirects: createRedirectPolicy(config.siteUrl, config.redirectUrls),
    users,
    sessions: new SessionStore(now),
    emailTokens: new EmailTokens(now),
    authCodes: new AuthCodes(now),
    mailbox,
    now,
  };
  authServer.on("request", createAuthHandler(context));

  return {
    url: context.baseUrl,
    mailboxUrl: `http://127.0.0.1:${mailboxPort}`,
    async stop() {
      await Promise.all([close(authServer), close(mailboxServer)]);
    },
  };
}

function listen(server: Server, port: number): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, "127.0.0.1", () => {
      server.off("error", reject);
      resolve((server.address() as AddressInfo).port);
    });
  });
}

function close(server: Server): Promise<void> {
  return new Promise((resolve) => {
    server.close(() => resolve());
    server.closeAllConnections();
  });
}
