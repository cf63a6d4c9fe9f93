import { randomUUID } from "node:crypto";
import type { IncomingMessage, ServerResponse } from "node:http";
import type { z } from "zod";

/** Small HTTP helpers shared by the GitHub-shaped routes and the control API. */

const DOCS = "https://docs.github.com/rest";

export type Handler = (request: IncomingMessage, response: ServerResponse, params: string[]) => Promise<void> | void;
export type Route = { method: string; pattern: RegExp; handler: Handler };

export function route(method: string, pattern: RegExp, handler: Handler): Route {
  return { method, pattern, handler };
}

/** Finds the route for a request; `405` is left to the caller when only the path matched. */
export function match(routes: Route[], method: string, path: string): { route: Route; params: string[] } | undefined {
  for (const candidate of routes) {
    if (candidate.method !== method) continue;
    const found = candidate.pattern.exec(path);
    if (found) return { route: candidate, params: found.slice(1).map((part) => decodeURIComponent(part ?? "")) };
  }
  return undefined;
}

export function sendJson(
  response: ServerResponse,
  status: number,
  body: unknown,
  headers: Record<string, string> = {},
): void {
  const text = JSON.stringify(body);
  response.writeHead(status, {
    "content-type": "application/json; charset=utf-8",
    "content-length": Buffer.byteLength(text),
    "x-github-request-id": randomUUID().toUpperCase(),
    ...headers,
  });
  response.end(text);
}

/** GitHub's error body: a message, the docs page of the endpoint, and the status as a string. */
export function sendError(response: ServerResponse, status: number, message: string, documentationUrl = DOCS): void {
  sendJson(response, status, { message, documentation_url: documentationUrl, status: String(status) });
}

export function sendHtml(response: ServerResponse, status: number, html: string): void {
  response.writeHead(status, {
    "content-type": "text/html; charset=utf-8",
    "content-length": Buffer.byteLength(html),
    "content-security-policy": "default-src 'none'; style-src 'unsafe-inline'",
  });
  response.end(html);
}

export function redirect(response: ServerResponse, location: string, headers: Record<string, string | string[]> = {}) {
  response.writeHead(302, { location, ...headers });
  response.end();
}

const MAX_BODY_BYTES = 1024 * 1024;

export async function readBody(request: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of request) {
    size += (chunk as Buffer).length;
    if (size > MAX_BODY_BYTES) throw new BodyError(413, "Request body too large");
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks).toString("utf8");
}

/** Thrown by body parsing; the server turns it into GitHub's error response. */
export class BodyError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

/** Parses a JSON body (empty means `{}`) and validates it, failing the way GitHub does: 400 then 422. */
export async function readJson<T extends z.ZodType>(request: IncomingMessage, schema: T): Promise<z.output<T>> {
  const text = await readBody(request);
  let value: unknown = {};
  if (text.trim()) {
    try {
      value = JSON.parse(text);
    } catch {
      throw new BodyError(400, "Problems parsing JSON");
    }
  }
  const parsed = schema.safeParse(value);
  if (!parsed.success)
    throw new BodyError(422, `Invalid request.\n\n${parsed.error.issues.map(describeIssue).join("\n")}`);
  return parsed.data;
}

/** Form posts and OAuth requests may come as JSON, form-urlencoded or query parameters; all become one record. */
export async function readParams(request: IncomingMessage, url: URL): Promise<Record<string, string | string[]>> {
  const params: Record<string, string | string[]> = {};
  const add = (key: string, value: string) => {
    const existing = params[key];
    params[key] = existing === undefined ? value : [...(Array.isArray(existing) ? existing : [existing]), value];
  };
  for (const [key, value] of url.searchParams) add(key, value);
  const text = await readBody(request);
  if (!text.trim()) return params;
  if ((request.headers["content-type"] ?? "").includes("application/json")) {
    let body: unknown;
    try {
      body = JSON.parse(text);
    } catch {
      throw new BodyError(400, "Problems parsing JSON");
    }
    if (body && typeof body === "object") {
      for (const [key, value] of Object.entries(body)) {
        for (const item of Array.isArray(value) ? value : [value])
          if (item !== null && item !== undefined) add(key, String(item));
      }
    }
    return params;
  }
  for (const [key, value] of new URLSearchParams(text)) add(key, value);
  return params;
}

function describeIssue(issue: z.core.$ZodIssue): string {
  return `${issue.path.join(".") || "body"}: ${issue.message}`;
}

/** `<url>; rel="next", ...` as GitHub sends it, built from the request's own URL. */
export function linkHeader(url: URL, page: number, lastPage: number): string | undefined {
  const at = (n: number) => {
    const next = new URL(url);
    next.searchParams.set("page", String(n));
    return `<${next}>`;
  };
  const links: string[] = [];
  if (page > 1) links.push(`${at(page - 1)}; rel="prev"`);
  if (page < lastPage) links.push(`${at(page + 1)}; rel="next"`, `${at(lastPage)}; rel="last"`);
  if (page > 1) links.push(`${at(1)}; rel="first"`);
  return links.length ? links.join(", ") : undefined;
}
