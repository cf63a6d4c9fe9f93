import { randomUUID } from "node:crypto";
import { AuthError, badRequest } from "./errors";
import { type PkceChallenge, verifierMatches } from "./pkce";

type AuthCode = { userId: string; pkce: PkceChallenge; method: string; issuedAt: number };

/** GoTrue's default `GOTRUE_EXTERNAL_FLOW_STATE_EXPIRY_DURATION`. */
const AUTH_CODE_LIFETIME_MS = 5 * 60 * 1000;

/** Codes `/verify` hands the browser in a PKCE flow, redeemed once at `/token?grant_type=pkce`. */
export class AuthCodes {
  readonly #codes = new Map<string, AuthCode>();

  constructor(private readonly now: () => number) {}

  issue(userId: string, pkce: PkceChallenge, method: string): string {
    const code = randomUUID();
    this.#codes.set(code, { userId, pkce, method, issuedAt: this.now() });
    return code;
  }

  /** A wrong verifier leaves the code usable, as in GoTrue; only success consumes it. */
  redeem(code: string, verifier: string): { userId: string; method: string } {
    const found = this.#codes.get(code);
    if (!found) throw new AuthError(404, "flow_state_not_found", "invalid flow state, no valid flow state found");
    if (this.now() - found.issuedAt > AUTH_CODE_LIFETIME_MS) {
      this.#codes.delete(code);
      throw new AuthError(422, "flow_state_expired", "invalid flow state, flow state has expired");
    }
    if (!verifierMatches(found.pkce, verifier)) {
      throw badRequest("bad_code_verifier", "code challenge does not match previously saved code verifier");
    }
    this.#codes.delete(code);
    return { userId: found.userId, method: found.method };
  }
}
