import { createCookie, redirect } from "react-router";
import { safeReturnPath } from "./auth/safe-return-path";
import { nextStep } from "./github-config.server";

/**
 * Where to go once onboarding is done, when a page sent the person into it (an AI client's
 * consent page does). Kept in a cookie because the way through passes GitHub.
 */
const returnToCookie = createCookie("ctx4_onboarding_return", {
  httpOnly: true,
  sameSite: "lax",
  path: "/",
  maxAge: 60 * 60,
});

export async function rememberReturnTo(returnTo: string | null): Promise<HeadersInit | undefined> {
  const path = safeReturnPath(returnTo, "");
  return path ? { "Set-Cookie": await returnToCookie.serialize(path) } : undefined;
}

/** The next onboarding step, or, when all are done, back where the person came from (else `/me`). */
export async function continueOnboarding(request: Request, config: { repoId: number | null } | null) {
  const step = nextStep(config);
  if (step !== "/me") return redirect(step);
  const saved = await returnToCookie.parse(request.headers.get("Cookie"));
  return redirect(safeReturnPath(typeof saved === "string" ? saved : null, "/me"), {
    headers: { "Set-Cookie": await returnToCookie.serialize("", { maxAge: 0 }) },
  });
}
