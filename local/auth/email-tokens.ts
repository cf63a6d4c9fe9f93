import { randomBytes, randomInt, timingSafeEqual } from "node:crypto";
import type { PkceChallenge } from "./pkce";

export type EmailTokenType = "signup" | "magiclink";

/** What one sign-in email carries: a link token (`tokenHash`) and a 6-digit code for the same sign-in. */
export type EmailToken = {
  userId: string;
  email: string;
  type: EmailTokenType;
  tokenHash: string;
  otp: string;
  pkce: PkceChallenge | null;
  issuedAt: number;
};

/** GoTrue's default `GOTRUE_MAILER_OTP_EXP`. */
const OTP_LIFETIME_MS = 60 * 60 * 1000;

/** Links in a PKCE flow carry this prefix, which is how `/verify` tells the flows apart. */
export const PKCE_PREFIX = "pkce_";

/**
 * One pending sign-in per user, as in GoTrue: a newer email replaces the older one, and
 * using either the link or the code consumes both.
 */
export class EmailTokens {
  readonly #byUser = new Map<string, EmailToken>();

  constructor(private readonly now: () => number) {}

  issue(userId: string, email: string, type: EmailTokenType, pkce: PkceChallenge | null): EmailToken {
    const token: EmailToken = {
      userId,
      email,
      type,
      tokenHash: randomBytes(28).toString("hex"),
      otp: String(randomInt(0, 1_000_000)).padStart(6, "0"),
      pkce,
      issuedAt: this.now(),
    };
    this.#byUser.set(userId, token);
    return token;
  }

  /** The link form: `token_hash`, with or without the PKCE prefix. */
  consumeByHash(tokenHash: string, types: readonly EmailTokenType[]): EmailToken | undefined {
    const hash = tokenHash.startsWith(PKCE_PREFIX) ? tokenHash.slice(PKCE_PREFIX.length) : tokenHash;
    return this.#consume((token) => types.includes(token.type) && same(token.tokenHash, hash));
  }

  /** The typed form: the address and the 6-digit code from the email. */
  consumeByOtp(email: string, otp: string, types: readonly EmailTokenType[]): EmailToken | undefined {
    return this.#consume((token) => token.email === email && types.includes(token.type) && same(token.otp, otp));
  }

  #consume(matches: (token: EmailToken) => boolean): EmailToken | undefined {
    for (const [userId, token] of this.#byUser) {
      if (!matches(token)) continue;
      this.#byUser.delete(userId);
      return this.now() - token.issuedAt <= OTP_LIFETIME_MS ? token : undefined;
    }
    return undefined;
  }
}

function same(a: string, b: string): boolean {
  const left = Buffer.from(a);
  const right = Buffer.from(b);
  return left.length === right.length && timingSafeEqual(left, right);
}

export function linkToken(token: EmailToken): string {
  return token.pkce ? `${PKCE_PREFIX}${token.tokenHash}` : token.tokenHash;
}
