import { redirect } from "react-router";
import { getSupabase } from "../lib/auth/session.server";
import type { Route } from "./+types/logout";

export async function action({ context }: Route.ActionArgs) {
  await getSupabase(context).auth.signOut();
  return redirect("/");
}

export const loader = () => redirect("/");
