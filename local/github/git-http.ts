import { spawn } from "node:child_process";
import type { IncomingMessage, ServerResponse } from "node:http";
import type { EmulatorContext } from "./context";
import { fromToken } from "./credentials";
import { GIT_ENV } from "./git-store";
import { type Route, route } from "./http";
import type { Repo } from "./state";

/**
 * Git smart HTTP at `/{owner}/{repo}.git`, served by `git http-backend`, with GitHub's gate in
 * front: Basic auth whose password (or username) is a token; 401 for a missing, unknown,
 * expired or revoked token; 404 "Repository not found." for a repo the token cannot reach
 * (GitHub never confirms a private repo exists); 403 for a push with a read-only token.
 * Pushes to one repo are serialised so each `push` webhook has the exact before and after.
 */

const SERVICES = new Set(["git-upload-pack", "git-receive-pack"]);

type Access = { ok: true; write: boolean; pusher: "bot" | string } | { ok: false; status: number; message: string };

export function gitRoutes(ctx: EmulatorContext): Route[] {
  const pattern = /^\/([^/]+)\/([^/]+?)(?:\.git)?\/(info\/refs|git-upload-pack|git-receive-pack)$/;
  const handler = async (request: IncomingMessage, response: ServerResponse, params: string[]) => {
    const [owner = "", name = "", action = ""] = params;
    const url = new URL(request.url ?? "/", ctx.base);
    const service = action === "info/refs" ? url.searchParams.get("service") : action;
    if (!service || !SERVICES.has(service)) return sendText(response, 403, "Service not enabled.\n");
    if (action !== "info/refs" && request.method !== "POST") return sendText(response, 405, "Method Not Allowed\n");

    const repo = ctx.state.repo(owner, name);
    const access = checkAccess(ctx, request, repo);
    if (!access.ok) return refuse(response, access.status, access.message);
    if (!repo) return refuse(response, 404, "Repository not found.\n");
    if (service === "git-receive-pack" && !access.write) {
      return refuse(
        response,
        403,
        `Permission to ${repo.owner}/${repo.name}.git denied to ${pusherLogin(ctx, access.pusher)}.\n`,
      );
    }

    const gitDir = await ctx.git.ensure(repo);
    if (action === "git-receive-pack") {
      await ctx.git.withLock(repo, async () => {
        const before = await ctx.git.refs(gitDir);
        await runBackend(ctx, request, response, repo, url, async () => {
          const after = await ctx.git.refs(gitDir);
          const sender = access.pusher === "bot" ? ctx.bot : (ctx.state.account(access.pusher) ?? ctx.bot);
          await ctx.sendPushEvents(repo, gitDir, before, after, {
            sender,
            name: sender.login,
            email: access.pusher === "bot" ? null : `${sender.login}@users.noreply.github.com`,
          });
        });
      });
    } else {
      await runBackend(ctx, request, response, repo, url);
    }
  };
  return [route("GET", pattern, handler), route("POST", pattern, handler)];
}

function checkAccess(ctx: EmulatorContext, request: IncomingMessage, repo: Repo | undefined): Access {
  const token = basicToken(request.headers.authorization);
  if (!token) return { ok: false, status: 401, message: "Authentication required.\n" };
  const caller = fromToken(ctx, token);
  const invalid = {
    ok: false,
    status: 401,
    message: "Invalid username or token. Password authentication is not supported for Git operations.\n",
  } as const;
  if (caller.kind === "installation") {
    const installation = ctx.state.installation(caller.record.installationId ?? 0);
    if (!installation) return invalid;
    if (installation.suspendedAt) return { ok: false, status: 403, message: "This installation has been suspended.\n" };
    if (!repo || !ctx.state.tokenRepos(caller.record).some((r) => r.id === repo.id)) {
      return { ok: false, status: 404, message: "Repository not found.\n" };
    }
    const contents = caller.record.permissions?.contents;
    return { ok: true, write: contents === "write" || contents === "admin", pusher: "bot" };
  }
  if (caller.kind === "user") {
    const reachable = ctx.state
      .installationsVisibleTo(caller.record.login)
      .filter((item) => !item.suspendedAt)
      .flatMap((item) => ctx.state.reachableRepos(item));
    if (!repo || !reachable.some((r) => r.id === repo.id))
      return { ok: false, status: 404, message: "Repository not found.\n" };
    return { ok: true, write: true, pusher: caller.record.login };
  }
  return invalid;
}

/** `x-access-token:<token>` as GitHub documents; GitHub also takes the token as the username. */
function basicToken(header: string | undefined): string | undefined {
  const found = /^basic\s+(\S+)$/i.exec(header?.trim() ?? "");
  if (!found?.[1]) return undefined;
  const decoded = Buffer.from(found[1], "base64").toString("utf8");
  const colon = decoded.indexOf(":");
  const user = colon < 0 ? decoded : decoded.slice(0, colon);
  const password = colon < 0 ? "" : decoded.slice(colon + 1);
  return password || user || undefined;
}

function pusherLogin(ctx: EmulatorContext, pusher: string): string {
  return pusher === "bot" ? ctx.bot.login : pusher;
}

/** 401 asks for Basic credentials as GitHub does; git prints text/plain bodies as `remote:` lines. */
function refuse(response: ServerResponse, status: number, message: string) {
  const headers: Record<string, string> = status === 401 ? { "www-authenticate": 'Basic realm="GitHub"' } : {};
  sendText(response, status, message, headers);
}

function sendText(response: ServerResponse, status: number, text: string, headers: Record<string, string> = {}) {
  response.writeHead(status, {
    "content-type": "text/plain; charset=utf-8",
    "content-length": Buffer.byteLength(text),
    ...headers,
  });
  response.end(text);
}

/**
 * Runs `git http-backend` as a CGI program: request body to its stdin, its headers (with a
 * `Status:` line) and body back. `afterwards` runs before the response ends, so a push's
 * webhooks are queued by the time `git push` returns.
 */
function runBackend(
  ctx: EmulatorContext,
  request: IncomingMessage,
  response: ServerResponse,
  repo: Repo,
  url: URL,
  afterwards?: () => Promise<void>,
): Promise<void> {
  return new Promise((resolve) => {
    const tail = url.pathname.replace(/^\/[^/]+\/[^/]+?(?:\.git)?\//, "");
    const env: Record<string, string> = {
      PATH: process.env.PATH ?? "/usr/bin:/bin",
      ...GIT_ENV,
      GIT_PROJECT_ROOT: ctx.git.root,
      GIT_HTTP_EXPORT_ALL: "1",
      // As on GitHub: pushes over HTTP, partial clones (--filter) and fetching the blobs they left out.
      GIT_CONFIG_COUNT: "3",
      GIT_CONFIG_KEY_0: "http.receivepack",
      GIT_CONFIG_VALUE_0: "true",
      GIT_CONFIG_KEY_1: "uploadpack.allowFilter",
      GIT_CONFIG_VALUE_1: "true",
      GIT_CONFIG_KEY_2: "uploadpack.allowAnySHA1InWant",
      GIT_CONFIG_VALUE_2: "true",
      PATH_INFO: `/${ctx.git.relativePath(repo)}/${tail}`,
      REQUEST_METHOD: request.method ?? "GET",
      QUERY_STRING: url.search.slice(1),
      CONTENT_TYPE: request.headers["content-type"] ?? "",
      REMOTE_ADDR: request.socket.remoteAddress ?? "127.0.0.1",
      REMOTE_USER: "x-access-token",
    };
    const encoding = request.headers["content-encoding"];
    if (encoding) env.HTTP_CONTENT_ENCODING = encoding;
    const protocol = request.headers["git-protocol"];
    if (typeof protocol === "string") env.GIT_PROTOCOL = protocol;

    const child = spawn("git", ["http-backend"], { env, stdio: ["pipe", "pipe", "pipe"] });
    request.pipe(child.stdin);
    child.stdin.on("error", () => undefined);
    child.stderr.resume();

    let head = Buffer.alloc(0);
    let headersSent = false;
    child.stdout.on("data", (chunk: Buffer) => {
      if (headersSent) {
        response.write(chunk);
        return;
      }
      head = Buffer.concat([head, chunk]);
      const end = findHeaderEnd(head);
      if (!end) return;
      const { status, headers } = parseCgiHeaders(head.subarray(0, end.index).toString("latin1"));
      response.writeHead(status, headers);
      headersSent = true;
      const rest = head.subarray(end.index + end.length);
      if (rest.length) response.write(rest);
    });
    child.on("close", async (code) => {
      if (!headersSent) {
        sendText(response, 500, `git http-backend exited with ${code}\n`);
        return resolve();
      }
      await afterwards?.().catch((error: unknown) => {
        console.error(`[github] push webhook not sent: ${error instanceof Error ? error.message : String(error)}`);
      });
      response.end();
      resolve();
    });
  });
}

function findHeaderEnd(buffer: Buffer): { index: number; length: number } | undefined {
  const crlf = buffer.indexOf("\r\n\r\n");
  const lf = buffer.indexOf("\n\n");
  if (crlf >= 0 && (lf < 0 || crlf < lf)) return { index: crlf, length: 4 };
  if (lf >= 0) return { index: lf, length: 2 };
  return undefined;
}

function parseCgiHeaders(text: string): { status: number; headers: Record<string, string> } {
  let status = 200;
  const headers: Record<string, string> = {};
  for (const line of text.split(/\r?\n/)) {
    const colon = line.indexOf(":");
    if (colon < 0) continue;
    const key = line.slice(0, colon).trim();
    const value = line.slice(colon + 1).trim();
    if (key.toLowerCase() === "status") status = Number.parseInt(value, 10) || 200;
    else headers[key] = value;
  }
  return { status, headers };
}
