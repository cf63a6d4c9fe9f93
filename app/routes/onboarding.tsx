import { Outlet } from "react-router";
import { Page } from "../components/page";
import { loadUserConfig } from "../lib/github-config.server";
import type { Route } from "./+types/onboarding";

export async function loader({ request, context }: Route.LoaderArgs) {
  const { user } = await loadUserConfig(context, request);
  return { email: user.email };
}

export default function Onboarding({ loaderData }: Route.ComponentProps) {
  return (
    <Page email={loaderData.email}>
      <Outlet />
    </Page>
  );
}
