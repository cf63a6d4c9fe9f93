import { AuthorizationError, type AuthRequest, type ConsentDescription } from "@cloudflare/workers-oauth-provider";
import { data, Form, redirect } from "react-router";
import { z } from "zod";
import { SubmitButton } from "../components/button";
import { Notice } from "../components/notice";
import { Page } from "../components/page";
import { currentUser, requireUser } from "../lib/auth/session.server";
import { loadUserConfig } from "../lib/github-config.server";
import { cleanClientName } from "../lib/oauth/client-name";
import { SCOPES } from "../lib/oauth/scopes";
import { userWorkspace } from "../lib/user-workspace.server";
import { workerContext } from "../lib/worker-context";
import type { Route } from "./+types/authorize";

export const meta: Route.MetaFunction = () => [{ title: "Connect an AI client · ctx4-ai" }];

/** The consent page's headers from the OAuth provider: its binding cookie and no framing. */
export const headers: Route.HeadersFunction = ({ loaderHeaders, actionHeaders }) =>
  new Headers([...loaderHeaders, ...actionHeaders]);

/**
 * An MCP client asks for access. The request is checked first: a broken one is explained on this
 * page and never sent back to its redirect URI, since anyone can register a client with any
 * redirect URI, and an authorization server must not redirect to a URI it cannot trust (RFC 9700
 * §4.11.2, RFC 6749 §4.1.2.1). Then the person signs in and finishes onboarding (each comes back
 * here), and sees who is asking, where access will be sent, and what it allows.
 */
export async function loader({ request, context }: Route.LoaderArgs) {
  const oauth = context.get(workerContext).env.OAUTH_PROVIDER;
  let authRequest: AuthRequest;
  try {
    authRequest = await oauth.parseAuthRequest(request);
  } catch (error) {
    if (error instanceof AuthorizationError) return refuse(context, error.description);
    throw error;
  }
  // OAuth 2.1 §7.5.1 and MCP: every client uses PKCE. The provider requires it only of public clients.
  if (!authRequest.codeChallenge)
    return refuse(context, "This app did not use PKCE. Apps must use PKCE (S256) to connect.");

  const { user, config } = await loadUserConfig(context, request);
  const here = new URL(request.url);
  if (!config?.repoFullName) {
    throw redirect(`/onboarding?${new URLSearchParams({ returnTo: `${here.pathname}${here.search}` })}`);
  }
  try {
    const details = await oauth.describeConsent(authRequest);
    const consent = await oauth.beginConsent(authRequest);
    return data(
      {
        email: user.email,
        details: consentView(details, authRequest.clientId),
        repo: config.repoFullName,
        handle: consent.handle,
        error: null,
      },
      { headers: consent.headers },
    );
  } catch (error) {
    if (error instanceof AuthorizationError) return refuse(context, error.description);
    throw error;
  }
}

/** The page for a request we will not act on; the person starts again from their AI client. */
async function refuse(context: Route.LoaderArgs["context"], error: string) {
  const email = (await currentUser(context))?.email ?? null;
  return data({ email, details: null, repo: null, handle: null, error }, 400);
}

const decision = z.object({
  handle: z.string().min(1).max(512),
  decision: z.enum(["approve", "deny"]),
  write: z.literal("on").optional(),
  review: z.literal("on").optional(),
});

export async function action({ request, context }: Route.ActionArgs) {
  const user = await requireUser(context, request);
  const { env } = context.get(workerContext);
  const oauth = env.OAUTH_PROVIDER;
  const form = decision.safeParse(Object.fromEntries(await request.clone().formData()));
  if (!form.success)
    return data({ error: "This form was not filled in as expected. Start again from your AI client." }, 400);
  try {
    if (form.data.decision === "deny") {
      const denied = await oauth.denyConsent(request, form.data.handle);
      return new Response(null, { status: 302, headers: denied.headers });
    }
    const scope = form.data.write ? ["ctx:read", "ctx:write"] : ["ctx:read"];
    const approved = await oauth.approveConsent(request, form.data.handle, { scope });
    const client = await oauth.lookupClient(approved.request.clientId);
    // Kept for /me and for the client's commits, cleaned as the consent page showed it (a
    // metadata document's name is not).
    const clientName = cleanClientName(client?.clientName ?? "") || approved.request.clientId;
    // Review mode is the client's, kept in the person's own object, where its writes are routed.
    await userWorkspace(env, user.id).setReviewed(
      approved.request.clientId,
      Boolean(form.data.write && form.data.review),
    );
    const { redirectTo } = await oauth.completeAuthorization({
      request: approved.request,
      userId: user.id,
      metadata: { clientName },
      scope,
      props: { userId: user.id, clientName },
    });
    approved.headers.set("Location", redirectTo);
    return new Response(null, { status: 302, headers: approved.headers });
  } catch (error) {
    if (error instanceof AuthorizationError) {
      return data({ error: "This page expired or was already used. Start connecting again from your AI client." }, 400);
    }
    throw error;
  }
}

function consentView(details: ConsentDescription, clientId: string) {
  const requested = new Set(details.scope);
  return {
    // A Client ID Metadata Document's name reaches us as its author wrote it.
    clientName: cleanClientName(details.clientName) || clientId,
    clientDomain: details.clientDomain ?? null,
    redirectHost: details.redirectHost,
    redirectIsLoopback: details.redirectIsLoopback,
    // A client that asks for nothing in particular is offered everything.
    offerWrite: requested.size === 0 || requested.has("ctx:write"),
  };
}

export default function Authorize({ loaderData, actionData }: Route.ComponentProps) {
  const { email, details, repo, handle } = loaderData;
  const error = actionData?.error ?? loaderData.error;
  if (!details || !handle) {
    return (
      <Page email={email}>
        <div className="mx-auto max-w-xl">
          <Notice tone="error" title="This connection request cannot be used">
            <p>{error}</p>
            <p>Start connecting again from your AI client.</p>
          </Notice>
        </div>
      </Page>
    );
  }
  return (
    <Page email={email}>
      <div className="mx-auto max-w-xl space-y-6">
        <h1 className="text-2xl font-semibold tracking-tight">Allow {details.clientName} to use your memory?</h1>
        {error ? <Notice tone="error" title={error} /> : null}
        <div className="space-y-2 text-sm text-stone-700">
          <p>
            {details.clientDomain ? (
              <>
                Published by <strong>{details.clientDomain}</strong>.
              </>
            ) : (
              "This app registered itself; its name is not verified."
            )}{" "}
            Access will be sent to <strong>{details.redirectHost}</strong>.
          </p>
          {details.redirectIsLoopback ? (
            <Notice tone="warning" title="This sends access to an app on your computer">
              <p>Continue only if you just started connecting from an AI app on this computer.</p>
            </Notice>
          ) : null}
          <p>
            It will work with <span className="font-mono">{repo}</span>.
          </p>
        </div>
        <Form method="post" className="space-y-4">
          <input type="hidden" name="handle" value={handle} />
          <fieldset className="space-y-3 rounded-lg border border-stone-200 bg-white p-4">
            <legend className="px-1 text-sm font-medium">It may</legend>
            <div className="flex gap-3 text-sm">
              <input id="scope-read" type="checkbox" checked disabled className="mt-1" />
              <label htmlFor="scope-read">{SCOPES["ctx:read"]}</label>
            </div>
            {details.offerWrite ? (
              <>
                <div className="flex gap-3 text-sm">
                  <input id="scope-write" name="write" type="checkbox" defaultChecked className="mt-1" />
                  <label htmlFor="scope-write">{SCOPES["ctx:write"]}</label>
                </div>
                <div className="ml-7 flex gap-3 text-sm">
                  <input id="review" name="review" type="checkbox" className="mt-1" />
                  <label htmlFor="review">
                    Review its changes first: they wait on your Activity page until you approve them (changeable later
                    on your dashboard)
                  </label>
                </div>
              </>
            ) : null}
          </fieldset>
          <div className="flex flex-wrap gap-3">
            <SubmitButton name="decision" value="approve" pendingLabel="Allowing…">
              Allow
            </SubmitButton>
            <SubmitButton name="decision" value="deny" variant="secondary" pendingLabel="Denying…">
              Deny
            </SubmitButton>
          </div>
        </Form>
      </div>
    </Page>
  );
}
