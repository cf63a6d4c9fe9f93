import { data, Link, redirect } from "react-router";
import { buttonClass } from "../components/button";
import { Notice } from "../components/notice";
import { Page } from "../components/page";
import { safeReturnPath } from "../lib/auth/safe-return-path";
import { getSupabase } from "../lib/auth/session.server";
import { forgetSignInAttempt, readSignInAttempt } from "../lib/auth/sign-in-attempt.server";
import type { Route } from "./+types/auth.confirm";

export const meta: Route.MetaFunction = () => [{ title: "Signing in · ctx4-ai" }];

/**
 * Where the magic link lands. Supabase Auth's PKCE flow sends `code`, which only the browser that
 * asked for the email can exchange: it holds the code verifier cookie (and our record of the
 * attempt, which tells a link opened in another browser apart). Nothing else signs in here,
 * not even a link's `token_hash`: anyone can forward their own link's token to someone else and
 * sign that person's browser into their account (login CSRF).
 */
export async function loader({ request, context }: Route.LoaderArgs) {
  const params = new URL(request.url).searchParams;
  const returnTo = safeReturnPath(params.get("returnTo"));
  const code = params.get("code");
  if (!(await readSignInAttempt(request))) return data({ returnTo, problem: "other-browser" as const }, 400);
  if (code && !params.has("error") && !(await getSupabase(context).auth.exchangeCodeForSession(code)).error) {
    return redirect(returnTo, { headers: { "Set-Cookie": await forgetSignInAttempt() } });
  }
  return data({ returnTo, problem: "used-or-expired" as const }, 400);
}

export default function Confirm({ loaderData }: Route.ComponentProps) {
  const login = `/login?${new URLSearchParams({ returnTo: loaderData.returnTo })}`;
  return (
    <Page>
      <div className="mx-auto max-w-sm space-y-6">
        {loaderData.problem === "other-browser" ? (
          <Notice tone="error" title="Open this link in the browser where you asked for it">
            <p>
              For your safety, a sign-in link only works in the browser where you asked for it. Go back to that browser
              and enter the six-digit code from the same email there.
            </p>
            <p>Or ask for a new email in this browser.</p>
          </Notice>
        ) : (
          <Notice tone="error" title="This sign-in link did not work">
            <p>It may have expired or been used already. Enter the code from the latest email, or ask for a new one.</p>
          </Notice>
        )}
        <Link to={login} className={buttonClass()}>
          Sign in here
        </Link>
      </div>
    </Page>
  );
}
