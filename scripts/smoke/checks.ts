/**
 * The checks of `npm run smoke`, against a live deployment over real HTTP, in the order a person's
 * AI client meets them: the site answers, OAuth discovery (RFC 8414, RFC 9728) and the MCP
 * authorization spec's 401 (modelcontextprotocol.io/specification/2025-11-25/basic/authorization),
 * dynamic client registration (RFC 7591); then, given a test account's refresh token, a refresh
 * (RFC 6749 §6) and MCP calls with the official SDK client.
 *
 * Each check prints one line: `ok`, `FAIL` or `skip`, its name, and what it saw or why it failed.
 * No token is ever printed, except the one refresh token the next run must use: the server
 * rotates them and ours accepts each once (workers/refresh-gate.ts).
 */
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import { z } from "zod";
import type { SmokeOptions } from "./options";

/** What a live deployment must serve for a person to connect an AI client and use it. */
export async function runSmoke(options: SmokeOptions, print: (line: string) => void): Promise<boolean> {
  const { origin } = options;
  const run = new Run(print, options.account ? [options.account.refreshToken] : []);

  await run.check("health", () => health(origin));
  await run.check("landing page", () => landingPage(origin));
  const server = await run.check("authorization server metadata", () => authorizationServer(origin));
  const issuer = server?.issuer ?? origin;
  await run.check("protected resource metadata", () => protectedResource(origin, issuer));
  await run.check("/mcp without a token", () => unauthorizedMcp(origin, issuer));
  if (server) await run.check("client registration", () => registration(server.registration_endpoint));
  else run.skip("client registration", "needs the authorization server metadata");

  if (!options.account) {
    run.skip("MCP session", "no --client-id and refresh token given");
    return run.passed;
  }
  if (!server) {
    run.skip("MCP session", "needs the authorization server metadata");
    return run.passed;
  }
  const tokens = await run.check("token refresh", () => refresh(server.token_endpoint, origin, options.account, run));
  if (!tokens) {
    run.skip("MCP session", "needs an access token");
    return run.passed;
  }
  // The one token ever printed: without it the test account needs a new consent.
  run.printUnredacted(`next refresh token (the one given is now used): ${tokens.refresh_token}`);
  await mcpSession(run, origin, tokens, options.write);
  return run.passed;
}

/** A check failed, for the reason given (a sentence for the person running the smoke test). */
class Failed extends Error {}

function fail(reason: string): never {
  throw new Failed(reason);
}

/** The checks' results as printed lines, with every known token masked, and whether all passed. */
class Run {
  passed = true;
  readonly #secrets: string[];

  constructor(
    readonly print: (line: string) => void,
    secrets: string[],
  ) {
    this.#secrets = [...secrets];
  }

  /** Masks `secret` in every line printed from now on. */
  secret(secret: string) {
    this.#secrets.push(secret);
  }

  /** Runs one check and prints its line; its value when it passed. */
  async check<T>(name: string, body: () => Promise<{ detail: string; value: T }>): Promise<T | undefined> {
    try {
      const { detail, value } = await body();
      this.#line(`ok    ${name}: ${detail}`);
      return value;
    } catch (error) {
      this.passed = false;
      this.#line(`FAIL  ${name}: ${error instanceof Failed ? error.message : unexpected(error)}`);
      return undefined;
    }
  }

  skip(name: string, reason: string) {
    this.#line(`skip  ${name}: ${reason}`);
  }

  printUnredacted(line: string) {
    this.print(line);
  }

  #line(text: string) {
    this.print(this.#secrets.reduce((line, secret) => line.replaceAll(secret, "[token]"), text));
  }
}

/** An error no check foresaw, in one line: the message and, for a failed fetch, its cause. */
function unexpected(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  const cause =
    error.cause instanceof Error ? `: ${"code" in error.cause ? error.cause.code : error.cause.message}` : "";
  return `${error.message}${cause}`.replaceAll("\n", " ");
}

const TIMEOUT_MS = 15_000;

/** A request to the deployment that never follows a redirect (every answer checked is the server's own). */
async function request(url: string, init: RequestInit = {}): Promise<Response> {
  try {
    return await fetch(url, { redirect: "manual", signal: AbortSignal.timeout(TIMEOUT_MS), ...init });
  } catch (error) {
    return fail(`${url} did not answer (${unexpected(error)})`);
  }
}

const OAuthError = z.object({ error: z.string(), error_description: z.string().optional() }).loose();

/**
 * An OAuth error body's code and description (RFC 6749 §5.2) as ` (code: description)`, or "":
 * our server words each refusal for the person (another host name is answered with the address to
 * use). Nothing else of a body is printed, as it might carry a token.
 */
async function oauthError(response: Response): Promise<string> {
  const body = OAuthError.safeParse(await response.json().catch(() => undefined));
  if (!body.success) return "";
  return ` (${body.data.error}${body.data.error_description ? `: ${body.data.error_description}` : ""})`;
}

/** The JSON body of a 2xx answer as `schema` says, or a failure naming the first problems. */
async function json<T>(response: Response, schema: z.ZodType<T>, expectedStatus = 200): Promise<T> {
  if (response.status !== expectedStatus) {
    fail(`${response.url} answered ${response.status}${await oauthError(response)}, expected ${expectedStatus}`);
  }
  const body: unknown = await response.json().catch(() => fail(`${response.url} did not answer JSON`));
  const parsed = schema.safeParse(body);
  if (!parsed.success) {
    const problems = parsed.error.issues
      .slice(0, 3)
      .map((issue) => `${issue.path.join(".") || "body"} ${issue.message}`);
    fail(`${response.url}: ${problems.join("; ")}`);
  }
  return parsed.data as T;
}

/**
 * What is wrong with an answer's security headers (app/lib/security-headers.server.ts): every
 * answer cannot be framed or sniffed and sends a Referer only to our origin; a page's policy
 * allows scripts only from us or with its nonce, any other answer's allows nothing.
 */
export function securityHeaderProblems(headers: Headers, kind: "page" | "other"): string[] {
  const problems: string[] = [];
  const expect = (name: string, wanted: (value: string) => boolean, what: string) => {
    const value = headers.get(name);
    if (value === null || !wanted(value))
      problems.push(`${name} is ${value === null ? "missing" : `"${value}"`}, expected ${what}`);
  };
  expect("X-Frame-Options", (value) => value.toUpperCase() === "DENY", "DENY");
  expect("X-Content-Type-Options", (value) => value === "nosniff", "nosniff");
  expect("Referrer-Policy", (value) => value === "same-origin", "same-origin");
  const policy = (value: string) => value.split(";").map((directive) => directive.trim());
  expect(
    "Content-Security-Policy",
    (value) =>
      policy(value).includes("frame-ancestors 'none'") &&
      (kind === "page"
        ? policy(value).some((directive) => /^script-src 'self' 'nonce-[A-Za-z0-9+/=]+'$/.test(directive))
        : policy(value).includes("default-src 'none'")),
    kind === "page"
      ? "frame-ancestors 'none' and script-src 'self' 'nonce-…'"
      : "default-src 'none' and frame-ancestors 'none'",
  );
  return problems;
}

function requireHeaders(response: Response, kind: "page" | "other") {
  const problems = securityHeaderProblems(response.headers, kind);
  if (problems.length > 0) fail(`${response.url}: ${problems.join("; ")}`);
}

async function health(origin: string) {
  const response = await request(`${origin}/healthz`);
  // 503 with database "unreachable" is the Worker up but Postgres (Hyperdrive) not.
  const body = await json(response, z.object({ ok: z.literal(true) }).loose());
  requireHeaders(response, "other");
  return { detail: `/healthz answered 200 ${JSON.stringify(body)}, with the security headers`, value: undefined };
}

async function landingPage(origin: string) {
  const response = await request(`${origin}/`);
  if (response.status !== 200) fail(`/ answered ${response.status}, expected 200`);
  const type = response.headers.get("Content-Type") ?? "";
  if (!type.startsWith("text/html")) fail(`/ answered ${type || "no Content-Type"}, expected text/html`);
  await response.arrayBuffer();
  requireHeaders(response, "page");
  return { detail: "/ answered 200 text/html, with the security headers and a nonce policy", value: undefined };
}

/** Whether `url` is an absolute URL on `origin` (an endpoint elsewhere would get the person's tokens). */
const onOrigin = (url: string, origin: string) => URL.canParse(url) && new URL(url).origin === origin;

const AuthorizationServerMetadata = z
  .object({
    issuer: z.string(),
    authorization_endpoint: z.string(),
    token_endpoint: z.string(),
    registration_endpoint: z.string(),
    response_types_supported: z.array(z.string()),
    grant_types_supported: z.array(z.string()),
    code_challenge_methods_supported: z.array(z.string()),
  })
  .loose();

/** RFC 8414 §3: the document at the issuer's well-known URL, naming that issuer, with PKCE S256 only. */
async function authorizationServer(origin: string) {
  const url = `${origin}/.well-known/oauth-authorization-server`;
  const metadata = await json(await request(url), AuthorizationServerMetadata);
  if (metadata.issuer !== origin) fail(`issuer is "${metadata.issuer}", expected "${origin}" (RFC 8414 §3.3)`);
  for (const name of ["authorization_endpoint", "token_endpoint", "registration_endpoint"] as const) {
    if (!onOrigin(metadata[name], origin)) fail(`${name} "${metadata[name]}" is not on ${origin}`);
  }
  if (!metadata.response_types_supported.includes("code")) fail("response_types_supported lacks code");
  for (const grant of ["authorization_code", "refresh_token"]) {
    if (!metadata.grant_types_supported.includes(grant)) fail(`grant_types_supported lacks ${grant}`);
  }
  const pkce = metadata.code_challenge_methods_supported;
  if (pkce.length !== 1 || pkce[0] !== "S256") fail(`code_challenge_methods_supported is [${pkce}], expected [S256]`);
  return { detail: `issuer ${metadata.issuer}, endpoints on it, PKCE S256 only`, value: metadata };
}

const ProtectedResourceMetadata = z
  .object({ resource: z.string(), authorization_servers: z.array(z.string()).min(1) })
  .loose();

/** RFC 9728 §3.3: a document whose `resource` is exactly the URL it was found for, naming our issuer. */
async function resourceDocument(url: string, resource: string, issuer: string) {
  const metadata = await json(await request(url), ProtectedResourceMetadata);
  if (metadata.resource !== resource) {
    fail(`${url} names resource "${metadata.resource}", expected "${resource}" (is APP_ORIGIN this origin?)`);
  }
  if (!metadata.authorization_servers.includes(issuer)) {
    fail(`${url} names authorization servers [${metadata.authorization_servers}], not ${issuer}`);
  }
  return metadata;
}

async function protectedResource(origin: string, issuer: string) {
  await resourceDocument(`${origin}/.well-known/oauth-protected-resource`, origin, issuer);
  return { detail: `resource ${origin}, authorization server ${issuer}`, value: undefined };
}

/**
 * MCP authorization, "Authorization Server Discovery": a request without a token gets 401 with
 * `WWW-Authenticate: Bearer resource_metadata="…"` (RFC 9728 §5.1), and that URL is the
 * endpoint's own metadata document.
 */
async function unauthorizedMcp(origin: string, issuer: string) {
  const endpoint = `${origin}/mcp`;
  const response = await request(endpoint, {
    method: "POST",
    headers: { "Content-Type": "application/json", Accept: "application/json, text/event-stream" },
    body: JSON.stringify({
      jsonrpc: "2.0",
      id: 1,
      method: "initialize",
      params: { protocolVersion: "2025-11-25", capabilities: {}, clientInfo: { name: "ctx4-ai smoke", version: "1" } },
    }),
  });
  if (response.status !== 401) fail(`POST /mcp answered ${response.status}${await oauthError(response)}, expected 401`);
  await response.arrayBuffer();
  const challenge = response.headers.get("WWW-Authenticate") ?? "";
  const metadataUrl = /^Bearer\b.*\bresource_metadata="([^"]+)"/i.exec(challenge)?.[1];
  if (!metadataUrl) fail(`WWW-Authenticate is "${challenge}", expected Bearer with resource_metadata="…"`);
  if (!onOrigin(metadataUrl, origin)) fail(`resource_metadata "${metadataUrl}" is not on ${origin}`);
  await resourceDocument(metadataUrl, endpoint, issuer);
  return { detail: `401 with resource_metadata ${metadataUrl}, which names ${endpoint}`, value: undefined };
}

/**
 * RFC 7591 §3: registering a public client (PKCE, no secret) with a loopback redirect, as a
 * desktop MCP client does, returns its client id. Every run leaves one such client on the server.
 */
async function registration(endpoint: string) {
  const response = await request(endpoint, {
    method: "POST",
    headers: { "Content-Type": "application/json" },
    body: JSON.stringify({
      client_name: "ctx4-ai smoke test",
      redirect_uris: ["http://127.0.0.1/callback"],
      grant_types: ["authorization_code", "refresh_token"],
      response_types: ["code"],
      token_endpoint_auth_method: "none",
    }),
  });
  const client = await json(response, z.object({ client_id: z.string().min(1) }).loose(), 201);
  return { detail: `registered client ${client.client_id}`, value: undefined };
}

const Tokens = z
  .object({
    access_token: z.string().min(1),
    refresh_token: z.string().min(1),
    token_type: z.string().regex(/^bearer$/i),
    scope: z.string(),
  })
  .loose();
type Tokens = z.infer<typeof Tokens>;

/** RFC 6749 §6: the refresh token for a new access token (and a new refresh token), for the MCP endpoint. */
async function refresh(
  endpoint: string,
  origin: string,
  account: SmokeOptions["account"],
  run: Run,
): Promise<{ detail: string; value: Tokens }> {
  if (!account) return fail("no refresh token given");
  const response = await request(endpoint, {
    method: "POST",
    headers: { "Content-Type": "application/x-www-form-urlencoded" },
    body: new URLSearchParams({
      grant_type: "refresh_token",
      refresh_token: account.refreshToken,
      client_id: account.clientId,
      resource: `${origin}/mcp`,
    }),
  });
  if (response.status !== 200) {
    const why = await oauthError(response);
    const hint = why.startsWith(" (invalid_grant")
      ? "; each refresh token works once: use the one the last run printed"
      : "";
    fail(`the token endpoint answered ${response.status}${why}${hint}`);
  }
  const tokens = await json(response, Tokens);
  run.secret(tokens.access_token);
  run.secret(tokens.refresh_token);
  return { detail: `new access token for scopes "${tokens.scope}"`, value: tokens };
}

const READ_TOOLS = ["ctx_history", "ctx_instructions", "ctx_read", "ctx_search"];
/** A first command may clone the memory in a container that is just starting. */
const CALL_OPTIONS = { timeout: 120_000, resetTimeoutOnProgress: true };

type ToolResult = Awaited<ReturnType<Client["callTool"]>>;

const textOf = (result: ToolResult) =>
  z
    .array(z.object({ type: z.string(), text: z.string().optional() }).loose())
    .parse(result.content)
    .map((part) => part.text ?? "")
    .join("\n");

/** A tool's text, or a failure with the first line of what it said when it reported an error. */
function succeeded(result: ToolResult): string {
  const text = textOf(result);
  if (result.isError) fail(`the tool reported an error: ${text.split("\n")[0]}`);
  return text;
}

/**
 * The MCP session a person's AI client has: initialize, tools/list, ctx_instructions, ctx_read of
 * the root; with `write`, a file committed and pushed by ctx_bash, then removed the same way.
 */
async function mcpSession(run: Run, origin: string, tokens: Tokens, write: boolean) {
  const client = new Client({ name: "ctx4-ai smoke", version: "1.0.0" });
  const transport = new StreamableHTTPClientTransport(new URL("/mcp", origin), {
    requestInit: { headers: { Authorization: `Bearer ${tokens.access_token}` } },
  });
  const connected = await run.check("MCP initialize", async () => {
    await client.connect(transport, { timeout: TIMEOUT_MS });
    const server = client.getServerVersion();
    return {
      detail: `server ${server?.name} ${server?.version}, session ${transport.sessionId ?? "none"}`,
      value: true,
    };
  });
  if (!connected) {
    run.skip("MCP tools", "needs an initialized session");
    return;
  }
  try {
    const canWrite = tokens.scope.split(" ").includes("ctx:write");
    await run.check("tools/list", async () => {
      const names = (await client.listTools()).tools.map((tool) => tool.name).sort();
      const expected = (canWrite ? ["ctx_bash", ...READ_TOOLS] : READ_TOOLS).sort();
      if (names.join() !== expected.join()) fail(`tools are [${names}], expected [${expected}] for "${tokens.scope}"`);
      return { detail: names.join(", "), value: undefined };
    });
    await run.check("ctx_instructions", async () => {
      const text = succeeded(
        await client.callTool({ name: "ctx_instructions", arguments: {} }, undefined, CALL_OPTIONS),
      );
      return { detail: `${text.length} characters of guide and index`, value: undefined };
    });
    await run.check("ctx_read", async () => {
      const text = succeeded(
        await client.callTool({ name: "ctx_read", arguments: { path: "" } }, undefined, CALL_OPTIONS),
      );
      return { detail: `the memory's root folder, ${text.split("\n").length} lines`, value: undefined };
    });
    if (!write) {
      run.skip("ctx_bash", "no --write given");
    } else if (!canWrite) {
      await run.check("ctx_bash", async () =>
        fail(`--write needs a grant with ctx:write, this one has "${tokens.scope}"`),
      );
    } else {
      await smokeCommit(run, client);
    }
  } finally {
    await transport.terminateSession().catch(() => undefined);
    await client.close();
  }
}

/** One commit that adds a file and one that removes it, each pushed: the memory ends as it began. */
async function smokeCommit(run: Run, client: Client) {
  const file = `ctx4-smoke-${new Date().toISOString().replaceAll(/[:.]/g, "-")}.txt`;
  const bash = async (command: string, comment: string) => {
    const text = succeeded(
      await client.callTool({ name: "ctx_bash", arguments: { command, comment } }, undefined, CALL_OPTIONS),
    );
    const pushed = /^Pushed to .+$/m.exec(text)?.[0];
    if (!pushed) fail(`nothing was pushed: ${text.split("\n").slice(-3).join(" ")}`);
    return pushed;
  };
  const added = await run.check("ctx_bash add", async () => ({
    detail: `${file}: ${await bash(`printf 'ctx4-ai smoke test\\n' > ${file}`, "ctx4-ai smoke test: add a file")}`,
    value: true,
  }));
  if (!added) {
    run.skip("ctx_bash remove", "nothing was added");
    return;
  }
  await run.check("ctx_bash remove", async () => ({
    detail: `${file}: ${await bash(`rm ${file}`, "ctx4-ai smoke test: remove its file")}`,
    value: undefined,
  }));
}
