import type { EmailOtpType } from "@supabase/supabase-js";
import { data, Link, redirect } from "react-router";
import { buttonClass } from "../components/button";
import { Notice } from "../components/notice";
import { Page } from "../components/page";
import { safeReturnPath } from "../lib/auth/safe-return-path";
import { getSupabase } from "../lib/auth/session.server";
import type { Route } from "./+types/auth.confirm";

export const meta: Route.MetaFunction = () => [{ title: "Signing in · ctx4-ai" }];

const OTP_TYPES = new Set<string>(["magiclink", "email", "signup"]);

/**
 * Where the magic link lands. With PKCE, Supabase Auth sends `code`, which only this browser
 * (holding the code verifier cookie) can exchange; a `token_hash` link is verified directly.
 */
export async function loader({ request, context }: Route.LoaderArgs) {
  const params = new URL(request.url).searchParams;
  const returnTo = safeReturnPath(params.get("returnTo"));
  const auth = getSupabase(context).auth;
  const code = params.get("code");
  const tokenHash = params.get("token_hash");
  const type = params.get("type");

  let failed = params.has("error") || params.has("error_code");
  if (!failed && code) {
    failed = Boolean((await auth.exchangeCodeForSession(code)).error);
  } else if (!failed && tokenHash && type && OTP_TYPES.has(type)) {
    failed = Boolean((await auth.verifyOtp({ token_hash: tokenHash, type: type as EmailOtpType })).error);
  } else {
    failed = true;
  }
  if (!failed) return redirect(returnTo);
  return data({ returnTo }, 400);
}

export default function Confirm({ loaderData }: Route.ComponentProps) {
  return (
    <Page>
      <div className="mx-auto max-w-sm space-y-6">
        <Notice tone="error" title="This sign-in link did not work">
          <p>
            It may have expired, been used already, or been opened in another browser than the one you asked for it in.
          </p>
        </Notice>
        <Link to={`/login?${new URLSearchParams({ returnTo: loaderData.returnTo })}`} className={buttonClass()}>
          Send a new link
        </Link>
      </div>
    </Page>
  );
}
