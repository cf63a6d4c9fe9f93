import { data, Form, redirect, useActionData, useSearchParams } from "react-router";
import { z } from "zod";
import { SubmitButton } from "../components/button";
import { Notice } from "../components/notice";
import { Page } from "../components/page";
import { safeReturnPath } from "../lib/auth/safe-return-path";
import { getSupabase, getUser } from "../lib/auth/session.server";
import type { Route } from "./+types/login";

export const meta: Route.MetaFunction = () => [{ title: "Sign in · ctx4-ai" }];

export function loader({ request, context }: Route.LoaderArgs) {
  const returnTo = safeReturnPath(new URL(request.url).searchParams.get("returnTo"));
  if (getUser(context)) return redirect(returnTo);
  return null;
}

const loginForm = z.object({
  email: z.email({ error: "Enter a valid email address." }).max(254),
  returnTo: z.string().optional(),
});

export async function action({ request, context }: Route.ActionArgs) {
  const parsed = loginForm.safeParse(Object.fromEntries(await request.formData()));
  if (!parsed.success) {
    return data({ error: parsed.error.issues[0]?.message ?? "Enter a valid email address.", sentTo: null }, 400);
  }
  const confirmUrl = new URL("/auth/confirm", request.url);
  confirmUrl.searchParams.set("returnTo", safeReturnPath(parsed.data.returnTo));
  const { error } = await getSupabase(context).auth.signInWithOtp({
    email: parsed.data.email,
    options: { emailRedirectTo: confirmUrl.toString(), shouldCreateUser: true },
  });
  if (error) {
    const message =
      error.status === 429 ? "Too many sign-in emails. Wait a minute and try again." : "We could not send the email.";
    return data({ error: message, sentTo: null }, error.status === 429 ? 429 : 502);
  }
  return { error: null, sentTo: parsed.data.email };
}

export default function Login() {
  const result = useActionData<typeof action>();
  const [searchParams] = useSearchParams();
  return (
    <Page>
      <div className="mx-auto max-w-sm">
        <h1 className="text-2xl font-semibold tracking-tight">Sign in</h1>
        <p className="mt-2 text-sm text-stone-600">We email you a link. No password to remember.</p>
        {result?.sentTo ? (
          <div className="mt-6">
            <Notice tone="success" title="Check your email">
              <p>
                We sent a sign-in link to <strong>{result.sentTo}</strong>. Open it in this browser.
              </p>
            </Notice>
          </div>
        ) : (
          <Form method="post" className="mt-6 space-y-4">
            <input type="hidden" name="returnTo" value={searchParams.get("returnTo") ?? ""} />
            <div>
              <label htmlFor="email" className="block text-sm font-medium">
                Email
              </label>
              <input
                id="email"
                name="email"
                type="email"
                autoComplete="email"
                required
                aria-invalid={result?.error ? true : undefined}
                aria-describedby={result?.error ? "email-error" : undefined}
                className="mt-1 block w-full rounded-md border border-stone-300 px-3 py-2 focus:border-stone-900 focus:outline-none focus:ring-1 focus:ring-stone-900"
              />
              {result?.error ? (
                <p id="email-error" role="alert" className="mt-1 text-sm text-red-700">
                  {result.error}
                </p>
              ) : null}
            </div>
            <SubmitButton pendingLabel="Sending…">Email me a sign-in link</SubmitButton>
          </Form>
        )}
      </div>
    </Page>
  );
}
