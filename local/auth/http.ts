import type { IncomingMessage, ServerResponse } from "node:http";
import type { z } from "zod";
import { AuthError, badRequest } from "./errors";

const MAX_BODY_BYTES = 64 * 1024;

/** Reads a JSON body and validates it; failures become GoTrue's `bad_json` answer. */
export async function readJsonBody<Schema extends z.ZodType>(
  request: IncomingMessage,
  schema: Schema,
): Promise<z.infer<Schema>> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of request) {
    size += (chunk as Buffer).length;
    if (size > MAX_BODY_BYTES) throw new AuthError(413, "request_too_large", "Request body too large");
    chunks.push(chunk as Buffer);
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.concat(chunks).toString("utf8"));
  } catch (error) {
    throw badRequest("bad_json", `Could not parse request body as JSON: ${(error as Error).message}`);
  }
  const result = schema.safeParse(parsed);
  if (!result.success) {
    const issue = result.error.issues[0];
    const where = issue?.path.length ? `${issue.path.join(".")}: ` : "";
    throw badRequest("bad_json", `Could not parse request body as JSON: ${where}${issue?.message ?? "invalid"}`);
  }
  return result.data;
}

export function sendJson(response: ServerResponse, status: number, body: unknown): void {
  response.writeHead(status, { "content-type": "application/json" }).end(JSON.stringify(body));
}

/** GoTrue redirects with 303 See Other, so a browser follows with GET whatever the method was. */
export function redirect(response: ServerResponse, location: string): void {
  response.writeHead(303, { location }).end();
}

/** The request's path and query; the host part is irrelevant (and untrusted). */
export function requestUrl(request: IncomingMessage): URL {
  return new URL(request.url ?? "/", "http://emulator.invalid");
}
