import { cleanClientName } from "../../app/lib/oauth/client-name";

/**
 * The git trailer naming who asked ctx4-ai for a commit: `Ctx4-Client: <name>` as the last
 * paragraph of the message, where `git interpret-trailers --parse` finds it
 * (https://git-scm.com/docs/git-interpret-trailers). An AI client's commits carry its registered
 * name as the consent page showed it; the person's own actions from the web pages carry
 * {@link WEB_CLIENT}.
 */
export const CLIENT_TRAILER = "Ctx4-Client";

/** The trailer's value on commits the person made on ctx4-ai's web pages (revert, bring in). */
export const WEB_CLIENT = "web";

/**
 * The name an AI client's commits carry: its registered `client_name` (RFC 7591 §2) cleaned as
 * the consent page cleans it (one line, no control or invisible characters, at most 100 code
 * points), else its client id cleaned the same way. A client that calls itself "web" cannot
 * pass for the person: its id is added. Undefined when there is neither (no trailer then).
 */
export function clientTrailerName(name: string | undefined, clientId: string): string | undefined {
  const id = cleanClientName(clientId);
  const cleaned = cleanClientName(name ?? "") || id;
  if (!cleaned) return undefined;
  return cleaned.toLowerCase() === WEB_CLIENT ? `${cleaned} (${id || "unknown id"})` : cleaned;
}

/** The trailer line for `client`. `client` must be one line already ({@link clientTrailerName}). */
export function clientTrailer(client: string): string {
  return `${CLIENT_TRAILER}: ${client}`;
}

/**
 * `message` with the trailer for `client` as its last paragraph; `message` as it is when no
 * client is known. The blank line keeps the trailer apart from whatever the message's own last
 * lines are, so only ours is parsed as the trailer block.
 */
export function withClientTrailer(message: string, client: string | undefined): string {
  return client ? `${message.trimEnd()}\n\n${clientTrailer(client)}` : message;
}
