import { AsyncLocalStorage } from "node:async_hooks";

/**
 * How an event ended: `ok`; `refused`, we said no (bad input, no access, unknown session, a 4xx);
 * `error`, something failed (a 5xx, an exception, a tool result marked as an error).
 */
export type LogOutcome = "ok" | "refused" | "error";

/**
 * One log line. `event`: `mcp` (a JSON-RPC message to /mcp or /sse, or one of their streams),
 * `web` (a state-changing request to the web app), `problem` (a failure met on the way, inside
 * one of those). `name`: the MCP method or the route's pattern (`/activity/:sha/revert`).
 * `user` is {@link userHash}'s, never the raw id; `client` the OAuth client id. `ms`: duration in
 * milliseconds (in Workers the clock moves only across I/O, so pure CPU time reads as 0).
 * `errorClass`: a short class name (`SyncError:auth`, `http_409`), never a message.
 */
export type LogLine = {
  event: "mcp" | "web" | "problem";
  requestId: string;
  name: string;
  outcome: LogOutcome;
  user?: string;
  client?: string;
  tool?: string;
  intent?: string;
  ms?: number;
  status?: number;
  errorClass?: string;
};

/** What one request's lines share, and the first failure met while serving it. */
export type RequestLog = { requestId: string; user?: string; client?: string; failure?: string };

const current = new AsyncLocalStorage<RequestLog>();

/**
 * Writes one line as a JSON object: Workers Logs indexes its fields
 * (developers.cloudflare.com/workers/observability/logs/workers-logs/, "Logging structured JSON
 * objects"). `console.error` for errors, `console.warn` for refusals, `console.log` otherwise.
 * Every string is checked: anything token-shaped becomes `[redacted]`, other characters than
 * those of names and ids become `?`, and it is cut to 100 characters; `user`, `client` and
 * `requestId` default to the current request's ({@link inRequest}).
 */
export function writeLog(line: LogLine): void {
  const request = current.getStore();
  const fields: Record<string, string | number> = {};
  const merged = { user: request?.user, client: request?.client, ...line };
  for (const [key, value] of Object.entries(merged)) {
    if (typeof value === "number") fields[key] = Number.isFinite(value) ? Math.round(value) : -1;
    else if (typeof value === "string") fields[key] = clean(value);
  }
  const write = line.outcome === "error" ? console.error : line.outcome === "refused" ? console.warn : console.log;
  write(fields);
}

/**
 * A failure that does not end the request (a sandbox not destroyed, a record not written), as a
 * `problem` line of the current request; its class is also the request's failure (see
 * {@link noteFailure}). `name` says what failed, in snake case.
 */
export function logProblem(name: string, error: unknown): void {
  noteFailure(error);
  writeLog({
    event: "problem",
    requestId: current.getStore()?.requestId ?? newRequestId(),
    name,
    outcome: "error",
    errorClass: errorClass(error),
  });
}

/** Runs `run` as part of the request `log` describes: lines written meanwhile carry its fields. */
export function inRequest<T>(log: RequestLog, run: () => T): T {
  return current.run(log, run);
}

/** The request being served, if any (its fields may be filled in as they become known). */
export function currentRequest(): RequestLog | undefined {
  return current.getStore();
}

/**
 * Records why the current request failed (the first failure counts), for its line: a tool turns
 * a failure into text for the AI, and its class is known only where it is caught.
 */
export function noteFailure(error: unknown): void {
  const request = current.getStore();
  if (request && !request.failure) request.failure = errorClass(error);
}

/**
 * The request's id: Cloudflare's Ray ID (`cf-ray`, the id its own request logs show) when
 * present and well-formed, else a fresh random one.
 */
export function requestIdOf(request: Request): string {
  const ray = request.headers.get("cf-ray");
  return ray && /^[0-9a-f]{16}(-[A-Z]{3})?$/.test(ray) ? ray : newRequestId();
}

function newRequestId(): string {
  return [...crypto.getRandomValues(new Uint8Array(8))].map((byte) => byte.toString(16).padStart(2, "0")).join("");
}

type HmacKey = Awaited<ReturnType<typeof crypto.subtle.importKey>>;

const keys = new Map<string, Promise<HmacKey>>();
const encoder = new TextEncoder();

/**
 * A user's id as logs show it: HMAC-SHA-256 of the id, the first 16 hex characters. The key is
 * derived (HMAC with a fixed label) from the GitHub App's private key, a secret every deployment
 * has and nobody picks by hand; so the ids of logs cannot be found by hashing guessed user ids,
 * and the key itself is never used as is. Rotating that key changes every user's log id.
 */
export async function userHash(env: { GITHUB_APP_PRIVATE_KEY: string }, userId: string): Promise<string> {
  let key = keys.get(env.GITHUB_APP_PRIVATE_KEY);
  if (!key) {
    key = hmacKey(encoder.encode(env.GITHUB_APP_PRIVATE_KEY))
      .then((secret) => crypto.subtle.sign("HMAC", secret, encoder.encode("ctx4-ai log user id v1")))
      .then((derived) => hmacKey(new Uint8Array(derived)));
    keys.set(env.GITHUB_APP_PRIVATE_KEY, key);
  }
  const mac = await crypto.subtle.sign("HMAC", await key, encoder.encode(userId));
  return [...new Uint8Array(mac).slice(0, 8)].map((byte) => byte.toString(16).padStart(2, "0")).join("");
}

function hmacKey(raw: Uint8Array<ArrayBuffer>): Promise<HmacKey> {
  return crypto.subtle.importKey("raw", raw, { name: "HMAC", hash: "SHA-256" }, false, ["sign"]);
}

/**
 * An error's class for a log: its name, and its kind when it has one (`problem`, `failure` or
 * `kind`: `GitHubAccessError:installation_missing`, `SyncError:auth`); `unknown` for a non-error.
 * Never the message, which can hold paths, names or a command's output.
 */
export function errorClass(error: unknown): string {
  if (!(error instanceof Error)) return error instanceof Response ? `http_${error.status}` : "unknown";
  const fields = error as unknown as Record<string, unknown>;
  const kind = [fields.problem, fields.failure, fields.kind].find((value) => typeof value === "string");
  return typeof kind === "string" ? `${error.name}:${kind}` : error.name;
}

/** An HTTP status as an outcome: below 400 ok, 4xx refused, 5xx error (with `http_<status>`). */
export function statusOutcome(status: number): { outcome: LogOutcome; errorClass?: string } {
  if (status < 400) return { outcome: "ok" };
  return { outcome: status < 500 ? "refused" : "error", errorClass: `http_${status}` };
}

/**
 * Token shapes: GitHub tokens (`ghp_`, `gho_`, `ghu_`, `ghs_`, `ghr_`, `github_pat_`), Supabase
 * keys (`sb_secret_`, `sb_publishable_`), JWTs, PEM blocks, the OAuth provider's
 * `user:grant:secret` tokens, and any run of 32 or more letters, digits and `-_+/=` with a digit
 * in it (a name or a route pattern has none).
 */
const TOKEN_SHAPES = [
  /gh[pousr]_|github_pat_|sb_(secret|publishable)_/i,
  /eyJ[\w-]*\.[\w-]*\./,
  /-----BEGIN/,
  /[\w-]+:[\w-]+:[\w-]{8,}/,
];

function clean(value: string): string {
  const opaque = value.match(/[\w+/=-]{32,}/g)?.some((run) => /\d/.test(run));
  if (opaque || TOKEN_SHAPES.some((shape) => shape.test(value))) return "[redacted]";
  return value.replace(/[^\w .:/@-]/g, "?").slice(0, 100);
}
