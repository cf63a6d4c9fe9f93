import type { IncomingMessage } from "node:http";
import type { EmulatorContext } from "./context";
import type { Token } from "./state";

/**
 * Who is calling, from the Authorization header, as GitHub reads it: `token X` or `Bearer X`
 * carry a token or an App JWT. An unknown, expired or revoked token is `invalid`, which GitHub
 * answers with 401 "Bad credentials" wherever it appears.
 */
export type Caller =
  | { kind: "anonymous" }
  | { kind: "invalid" }
  | { kind: "jwt"; jwt: string }
  | { kind: "installation"; token: string; record: Token }
  | { kind: "user"; token: string; record: Token & { login: string } };

export function identify(ctx: EmulatorContext, request: IncomingMessage): Caller {
  const header = request.headers.authorization;
  if (!header) return { kind: "anonymous" };
  const found = /^(?:token|bearer)\s+(\S+)$/i.exec(header.trim());
  if (!found?.[1]) return { kind: "invalid" };
  return fromToken(ctx, found[1]);
}

export function fromToken(ctx: EmulatorContext, token: string): Caller {
  if (token.split(".").length === 3 && token.startsWith("eyJ")) return { kind: "jwt", jwt: token };
  const record = ctx.state.findToken(token);
  if (!record) return { kind: "invalid" };
  if (record.kind === "installation") return { kind: "installation", token, record };
  if (record.kind === "user" && record.login)
    return { kind: "user", token, record: { ...record, login: record.login } };
  return { kind: "invalid" };
}
