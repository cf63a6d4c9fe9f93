import { createCookie } from "react-router";
import { z } from "zod";

/**
 * "Update access on GitHub" on `/me`, followed to its end: back on `/me` the person is told
 * their changes are in, and only then. The trip is bound to itself twice over. Leaving, the
 * cookie holds the install `state` made for this trip; the callback that consumes that very
 * state swaps it for the Link confirmation it shows; the Link that settles that very
 * confirmation ends the trip. A trip given up on GitHub leaves a cookie that matches no later
 * state or confirmation, lives no longer than they do (10 minutes), and is sent only to the
 * callback, so no other return ever says "Your changes on GitHub are in".
 */
const tripCookie = createCookie("ctx4_github_update_trip", {
  httpOnly: true,
  sameSite: "lax",
  path: "/api/github/callback",
  maxAge: 10 * 60,
});

const secure = (request: Request) => new URL(request.url).protocol === "https:";

/** The `Set-Cookie` value that starts a trip whose GitHub redirect carries `state`. */
export function startUpdateTrip(request: Request, state: string): Promise<string> {
  return tripCookie.serialize(state, { secure: secure(request) });
}

/** The state or confirmation the trip under way is bound to, if any. */
export async function updateTripOf(request: Request): Promise<string | undefined> {
  const parsed = z
    .string()
    .min(1)
    .max(200)
    .safeParse(await tripCookie.parse(request.headers.get("Cookie")));
  return parsed.success ? parsed.data : undefined;
}

/** The `Set-Cookie` value that binds the trip to the Link `confirmation` the callback shows. */
export function bindUpdateTrip(request: Request, confirmation: string): Promise<string> {
  return tripCookie.serialize(confirmation, { secure: secure(request) });
}

/** The `Set-Cookie` value that ends the trip. */
export function endUpdateTrip(request: Request): Promise<string> {
  return tripCookie.serialize("", { maxAge: 0, secure: secure(request) });
}
