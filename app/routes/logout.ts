import { redirect } from "react-router";
import { getSupabase } from "../lib/auth/session.server";
import { feedbackHeaders } from "../lib/feedback.server";
import type { Route } from "./+types/logout";

/**
 * Ends this browser's session on the auth server (its refresh token is revoked and `GET /user`
 * refuses its access token from then on, so a saved cookie opens no account page) and clears the
 * cookies. Other devices stay signed in. The home page then says so.
 */
export async function action({ request, context }: Route.ActionArgs) {
  await getSupabase(context).auth.signOut({ scope: "local" });
  return redirect("/", { headers: await feedbackHeaders(request, { kind: "signed-out" }) });
}

export const loader = () => redirect("/");
