import type { MiddlewareFunction, RouterContextProvider } from "react-router";
import { z } from "zod";
import { claimedUserId } from "./auth/session.server";
import { currentRequest, errorClass, requestIdOf, statusOutcome, userHash, writeLog } from "./log.server";
import { workerContext } from "./worker-context";

/**
 * Page loads that change state, by route pattern: a sign-in link completes the sign-in, GitHub's
 * redirect back holds a link to confirm. Every other request that changes state is a POST.
 */
const STATE_CHANGING_LOADS: ReadonlySet<string> = new Set(["/auth/confirm", "/api/github/callback"]);

/** A form's `intent` (which of a page's actions), as our forms spell them. */
const intentField = z.object({ intent: z.string().regex(/^[a-z][a-z-]{0,30}$/) });

/**
 * One `web` line for every request that changes state: every action (any method but GET and
 * HEAD, whichever route, resource routes and the webhook included) and the page loads above. It
 * names the route's pattern and the form's `intent`, the signed-in user (hashed), the duration
 * and the outcome from the status (a redirect is ok). Root middleware, first, so it times the rest.
 */
export const webLogMiddleware: MiddlewareFunction<Response> = async ({ request, context, pattern }, next) => {
  // React Router's pattern has no leading slash (`activity/:sha/revert`; "" for the home page).
  const route = `/${pattern.replace(/^\//, "")}`;
  const isAction = request.method !== "GET" && request.method !== "HEAD";
  if (!isAction && !STATE_CHANGING_LOADS.has(route)) return next();
  const started = Date.now();
  const intent = isAction ? await intentOf(request) : undefined;
  const log = async (status: number, failure?: string) => {
    const judged = statusOutcome(status);
    writeLog({
      event: "web",
      requestId: currentRequest()?.requestId ?? requestIdOf(request),
      name: route,
      intent,
      user: await loggedUser(context),
      ms: Date.now() - started,
      status,
      ...judged,
      errorClass: failure ?? currentRequest()?.failure ?? judged.errorClass,
    });
  };
  try {
    const response = await next();
    await log(response.status);
    return response;
  } catch (error) {
    // A thrown redirect or response is an answer like any other; anything else is a failure.
    if (error instanceof Response) await log(error.status);
    else await log(500, errorClass(error));
    throw error;
  }
};

async function intentOf(request: Request): Promise<string | undefined> {
  const type = request.headers.get("Content-Type") ?? "";
  if (!type.includes("form")) return undefined;
  const form = await request
    .clone()
    .formData()
    .catch(() => undefined);
  const parsed = intentField.safeParse({ intent: form?.get("intent") });
  return parsed.success ? parsed.data.intent : undefined;
}

async function loggedUser(context: Readonly<RouterContextProvider>): Promise<string | undefined> {
  const user = claimedUserId(context);
  return user ? userHash(context.get(workerContext).env, user) : undefined;
}
