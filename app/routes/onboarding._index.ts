import { loadUserConfig, redirectToNextStep } from "../lib/github-config.server";
import type { Route } from "./+types/onboarding._index";

export async function loader({ request, context }: Route.LoaderArgs) {
  const { config } = await loadUserConfig(context, request);
  return redirectToNextStep(config);
}
