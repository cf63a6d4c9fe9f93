import { redirect } from "react-router";
import { loadUserConfig, nextStep } from "../lib/github-config.server";
import { rememberReturnTo } from "../lib/onboarding-return.server";
import type { Route } from "./+types/onboarding._index";

export async function loader({ request, context }: Route.LoaderArgs) {
  const { config } = await loadUserConfig(context, request);
  const returnTo = new URL(request.url).searchParams.get("returnTo");
  return redirect(nextStep(config), { headers: await rememberReturnTo(returnTo) });
}
