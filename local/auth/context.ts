import type { AuthCodes } from "./auth-codes";
import type { EmailTokens } from "./email-tokens";
import type { SigningKey } from "./keys";
import type { Mailbox } from "./mailbox";
import type { RedirectPolicy } from "./redirects";
import type { SessionStore } from "./sessions";
import type { UserStore } from "./users";

/** Everything a route handler may touch; one per running emulator. */
export type AuthContext = {
  /** Where this emulator answers, e.g. `http://127.0.0.1:54321`: links and `iss` are built from it. */
  baseUrl: string;
  publishableKey: string;
  /** The server-side key (`sb_secret_…`) that makes a request an admin one; without it there is no admin API. */
  secretKey: string | undefined;
  localSecret: string;
  accessTokenTtlSeconds: number;
  key: SigningKey;
  redirects: RedirectPolicy;
  users: UserStore;
  sessions: SessionStore;
  emailTokens: EmailTokens;
  authCodes: AuthCodes;
  mailbox: Mailbox;
  now: () => number;
};
