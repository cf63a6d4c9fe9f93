import { data, Form, redirect, useActionData, useSearchParams } from "react-router";
import { z } from "zod";
import { SubmitButton } from "../components/button";
import { Notice } from "../components/notice";
import { Page } from "../components/page";
import { safeReturnPath } from "../lib/auth/safe-return-path";
import { currentUser, getSupabase } from "../lib/auth/session.server";
import {
  forgetSignInAttempt,
  readSignInAttempt,
  recordSignInAttempt,
  type SignInAttempt,
} from "../lib/auth/sign-in-attempt.server";
import { clientAddressKey } from "../lib/client-address";
import { askingClient } from "../lib/oauth/asking-client.server";
import { workerContext } from "../lib/worker-context";
import type { Route } from "./+types/login";

export const meta: Route.MetaFunction = () => [{ title: "Sign in · ctx4-ai" }];

/**
 * A signed-in person goes on; one who asked for an email in this browser is asked for its code.
 * On the way back to an AI client's authorization request, the page names the app that asks.
 */
export async function loader({ request, context }: Route.LoaderArgs) {
  const returnTo = safeReturnPath(new URL(request.url).searchParams.get("returnTo"));
  if (await currentUser(context)) return redirect(returnTo);
  const [attempt, client] = await Promise.all([
    readSignInAttempt(request),
    askingClient(context.get(workerContext).env.OAUTH_PROVIDER, returnTo, request.url),
  ]);
  return { sentTo: attempt?.email ?? null, client };
}

const sendForm = z.object({
  intent: z.literal("send"),
  email: z.email({ error: "Enter a valid email address." }).max(254),
  returnTo: z.string().optional(),
});
const codeForm = z.object({
  intent: z.literal("verify"),
  code: z
    .string()
    .trim()
    .regex(/^\d{6}$/, { error: "Enter the six digits from the email." }),
});
const loginForm = z.discriminatedUnion("intent", [sendForm, codeForm, z.object({ intent: z.literal("restart") })]);

type ActionResult = { error: string | null; sentTo: string | null };

/**
 * `send` emails a link and a code and remembers, in this browser only, that it asked; `verify`
 * checks the code for that email; `restart` forgets the attempt.
 */
export async function action({ request, context }: Route.ActionArgs) {
  const form = Object.fromEntries(await request.formData());
  const parsed = loginForm.safeParse({ intent: "send", ...form });
  const attempt = await readSignInAttempt(request);
  if (!parsed.success) {
    const error = parsed.error.issues[0]?.message ?? "Enter a valid email address.";
    return data<ActionResult>({ error, sentTo: form.intent === "verify" ? (attempt?.email ?? null) : null }, 400);
  }
  if (parsed.data.intent === "restart") {
    return data<ActionResult>(
      { error: null, sentTo: null },
      { headers: { "Set-Cookie": await forgetSignInAttempt() } },
    );
  }
  if (parsed.data.intent === "verify") return verifyCode(request, context, attempt, parsed.data.code);

  const { email } = parsed.data;
  const returnTo = safeReturnPath(parsed.data.returnTo);
  const confirmUrl = new URL("/auth/confirm", request.url);
  confirmUrl.searchParams.set("returnTo", returnTo);
  const { error } = await getSupabase(context).auth.signInWithOtp({
    email,
    options: { emailRedirectTo: confirmUrl.toString(), shouldCreateUser: true },
  });
  if (error) {
    const message =
      error.status === 429 ? "Too many sign-in emails. Wait a minute and try again." : "We could not send the email.";
    return data<ActionResult>({ error: message, sentTo: null }, error.status === 429 ? 429 : 502);
  }
  const cookie = await recordSignInAttempt(request, { email, returnTo });
  return data<ActionResult>({ error: null, sentTo: email }, { headers: { "Set-Cookie": cookie } });
}

async function verifyCode(
  request: Request,
  context: Route.ActionArgs["context"],
  attempt: SignInAttempt | null,
  code: string,
) {
  if (!attempt) {
    const error = "This browser did not ask for a sign-in email, or it was too long ago. Ask for a new one here.";
    return data<ActionResult>({ error, sentTo: null }, 400);
  }
  // Six digits are guessable without a limit. Supabase counts tries per IP, and ours all come
  // from the Worker, so we count per account (the address as Supabase stores it: lower case,
  // whatever the cookie says) and per client address.
  const email = attempt.email.trim().toLowerCase();
  const limiter = context.get(workerContext).env.SIGN_IN_CODE_LIMITER;
  const keys = [`email:${email}`, `address:${clientAddressKey(request.headers.get("CF-Connecting-IP"))}`];
  const limits = await Promise.all(keys.map((key) => limiter.limit({ key })));
  if (limits.some(({ success }) => !success)) {
    return data<ActionResult>({ error: "Too many tries. Wait a minute, then try again.", sentTo: attempt.email }, 429);
  }
  const { error } = await getSupabase(context).auth.verifyOtp({ email, token: code, type: "email" });
  if (error) {
    const message =
      "That code is not right, or it has expired or been used. Check the latest email, or ask for a new one.";
    return data<ActionResult>({ error: message, sentTo: attempt.email }, 400);
  }
  // The cookie is the browser's to change: its return path is checked again.
  throw redirect(safeReturnPath(attempt.returnTo), { headers: { "Set-Cookie": await forgetSignInAttempt() } });
}

export default function Login({ loaderData }: Route.ComponentProps) {
  const result = useActionData<typeof action>();
  const [searchParams] = useSearchParams();
  const sentTo = result ? result.sentTo : loaderData.sentTo;
  const error = result?.error ?? null;
  return (
    <Page>
      <div className="mx-auto max-w-sm">
        <h1 className="text-2xl font-semibold tracking-tight">
          {loaderData.client ? `Sign in to let ${loaderData.client.name} use your ctx4-ai memory` : "Sign in"}
        </h1>
        {loaderData.client ? <AskingClientNote domain={loaderData.client.domain} /> : null}
        {sentTo ? (
          <CodeForm sentTo={sentTo} error={error} />
        ) : (
          <>
            <p className="mt-2 text-sm text-stone-600">We email you a link and a code. No password to remember.</p>
            <Form method="post" className="mt-6 space-y-4">
              <input type="hidden" name="intent" value="send" />
              <input type="hidden" name="returnTo" value={searchParams.get("returnTo") ?? ""} />
              <Field id="email" label="Email" error={error}>
                <input
                  id="email"
                  name="email"
                  type="email"
                  autoComplete="email"
                  required
                  aria-invalid={error ? true : undefined}
                  aria-describedby={error ? "email-error" : undefined}
                  className={INPUT_CLASS}
                />
              </Field>
              <SubmitButton pendingLabel="Sending…">Email me a sign-in link</SubmitButton>
            </Form>
          </>
        )}
      </div>
    </Page>
  );
}

/** Whose word the name is, as the consent page says it: a registered name is the app's own claim. */
function AskingClientNote({ domain }: { domain: string | null }) {
  return (
    <p className="mt-2 text-sm text-stone-600">
      {domain ? (
        <>
          Published by <strong>{domain}</strong>.
        </>
      ) : (
        "That is the name the app gave itself; it is not verified."
      )}{" "}
      After signing in you choose what it may do.
    </p>
  );
}

function CodeForm({ sentTo, error }: { sentTo: string; error: string | null }) {
  return (
    <div className="mt-6 space-y-6">
      <Notice tone="success" title="Check your email">
        <p>
          We sent a sign-in link and a six-digit code to <strong>{sentTo}</strong>. Open the link in this browser, or
          enter the code here.
        </p>
      </Notice>
      <Form method="post" className="space-y-4">
        <input type="hidden" name="intent" value="verify" />
        <Field id="code" label="Six-digit code" error={error}>
          <input
            id="code"
            name="code"
            type="text"
            inputMode="numeric"
            autoComplete="one-time-code"
            pattern="\d{6}"
            maxLength={6}
            required
            aria-invalid={error ? true : undefined}
            aria-describedby={error ? "code-error" : undefined}
            className={`${INPUT_CLASS} font-mono tracking-widest`}
          />
        </Field>
        <SubmitButton pendingLabel="Checking…">Sign in</SubmitButton>
      </Form>
      <Form method="post">
        <input type="hidden" name="intent" value="restart" />
        <button type="submit" className="text-sm text-stone-600 underline hover:text-stone-900">
          Use another email or send a new one
        </button>
      </Form>
    </div>
  );
}

const INPUT_CLASS =
  "mt-1 block w-full rounded-md border border-stone-300 px-3 py-2 focus:border-stone-900 focus:outline-none focus:ring-1 focus:ring-stone-900";

function Field({
  id,
  label,
  error,
  children,
}: {
  id: string;
  label: string;
  error: string | null;
  children: React.ReactNode;
}) {
  return (
    <div>
      <label htmlFor={id} className="block text-sm font-medium">
        {label}
      </label>
      {children}
      {error ? (
        <p id={`${id}-error`} role="alert" className="mt-1 text-sm text-red-700">
          {error}
        </p>
      ) : null}
    </div>
  );
}
