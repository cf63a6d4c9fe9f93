import { randomBytes, randomUUID } from "node:crypto";
import { badRequest } from "./errors";

export type AmrEntry = { method: string; timestamp: number };
export type Session = { id: string; userId: string; amr: AmrEntry[]; activeRefreshToken: string };
type RefreshToken = { sessionId: string; parent: string | null; revoked: boolean };

/**
 * Sessions and their refresh-token chains, in memory. Refresh tokens rotate: each use
 * revokes the token and issues its child. Like GoTrue, presenting the parent of the active
 * token again returns the active one (the client lost the last answer); presenting any
 * older token is treated as theft and ends the session.
 */
export class SessionStore {
  readonly #sessions = new Map<string, Session>();
  readonly #refreshTokens = new Map<string, RefreshToken>();

  constructor(private readonly now: () => number) {}

  create(userId: string, method: string): Session {
    const session: Session = {
      id: randomUUID(),
      userId,
      amr: [{ method, timestamp: Math.floor(this.now() / 1000) }],
      activeRefreshToken: "",
    };
    this.#sessions.set(session.id, session);
    session.activeRefreshToken = this.#issue(session.id, null);
    return session;
  }

  get(id: string): Session | undefined {
    return this.#sessions.get(id);
  }

  /** Rotates `token`; the session it belongs to comes back with its new active token. */
  refresh(token: string): Session {
    const record = this.#refreshTokens.get(token);
    const session = record && this.#sessions.get(record.sessionId);
    if (!record || !session) {
      throw badRequest("refresh_token_not_found", "Invalid Refresh Token: Refresh Token Not Found");
    }
    if (record.revoked) {
      if (this.#refreshTokens.get(session.activeRefreshToken)?.parent === token) return session;
      this.end(session.id);
      throw badRequest("refresh_token_already_used", "Invalid Refresh Token: Already Used");
    }
    record.revoked = true;
    session.activeRefreshToken = this.#issue(session.id, token);
    return session;
  }

  /** Ends sessions as `/logout` scopes do; refresh tokens die with their session. */
  logout(session: Session, scope: "global" | "local" | "others"): void {
    if (scope === "local") {
      this.end(session.id);
      return;
    }
    for (const other of [...this.#sessions.values()]) {
      if (other.userId !== session.userId) continue;
      if (scope === "others" && other.id === session.id) continue;
      this.end(other.id);
    }
  }

  endAllOf(userId: string): void {
    for (const session of [...this.#sessions.values()]) if (session.userId === userId) this.end(session.id);
  }

  end(sessionId: string): void {
    this.#sessions.delete(sessionId);
    for (const [token, record] of this.#refreshTokens) {
      if (record.sessionId === sessionId) this.#refreshTokens.delete(token);
    }
  }

  #issue(sessionId: string, parent: string | null): string {
    const token = randomBytes(24).toString("base64url");
    this.#refreshTokens.set(token, { sessionId, parent, revoked: false });
    return token;
  }
}
