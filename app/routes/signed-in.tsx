import { Outlet } from "react-router";
import { requireUser } from "../lib/auth/session.server";
import type { Route } from "./+types/signed-in";

/**
 * Every page below needs a signed-in user whose session the auth server confirms; visitors and
 * signed-out sessions go to login and come back.
 */
export const middleware: Route.MiddlewareFunction[] = [
  async ({ request, context }) => {
    await requireUser(context, request);
  },
];

export default function SignedIn() {
  return <Outlet />;
}
