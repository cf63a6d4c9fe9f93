import { createCookie } from "react-router";
import { z } from "zod";

/**
 * The sign-in this browser asked for: which email a code was sent to and where to go after.
 * Only the browser holding it can use the six-digit code, so a code (like a link, whose PKCE
 * verifier lives in this browser too) signs in only the browser that asked, and a link opened
 * without it was opened elsewhere. Readable only by the server (`HttpOnly`), kept as long as
 * Supabase keeps a code valid (one hour by default, Auth › Email OTP expiration).
 */
const cookie = createCookie("ctx4-sign-in", { httpOnly: true, sameSite: "lax", path: "/", maxAge: 60 * 60 });

const attempt = z.object({ email: z.email().max(254), returnTo: z.string().max(2048) });
export type SignInAttempt = z.infer<typeof attempt>;

/** The attempt recorded in this request's cookies, or null when none (or a tampered one). */
export async function readSignInAttempt(request: Request): Promise<SignInAttempt | null> {
  const parsed = attempt.safeParse(await cookie.parse(request.headers.get("Cookie")));
  return parsed.success ? parsed.data : null;
}

/** `Set-Cookie` recording an attempt; `Secure` on https. */
export function recordSignInAttempt(request: Request, value: SignInAttempt): Promise<string> {
  return cookie.serialize(value, { secure: new URL(request.url).protocol === "https:" });
}

/** `Set-Cookie` forgetting the attempt. */
export function forgetSignInAttempt(): Promise<string> {
  return cookie.serialize("", { maxAge: 0 });
}
