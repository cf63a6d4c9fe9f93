import type { EmailTokenType } from "./email-tokens";

export type SignInEmail = { subject: string; text: string; html: string; links: string[] };

/** Supabase's default templates for a first sign-up and for a magic link, plus the 6-digit code. */
export function signInEmail(type: EmailTokenType, link: string, otp: string): SignInEmail {
  const copy =
    type === "signup"
      ? {
          subject: "Confirm Your Signup",
          heading: "Confirm your signup",
          lead: "Follow this link to confirm your user:",
          action: "Confirm your mail",
        }
      : { subject: "Your Magic Link", heading: "Magic Link", lead: "Follow this link to login:", action: "Log In" };
  const text = `${copy.heading}\n\n${copy.lead}\n${link}\n\nAlternatively, enter the code: ${otp}\n`;
  const html = [
    `<h2>${copy.heading}</h2>`,
    `<p>${copy.lead}</p>`,
    `<p><a href="${escapeHtml(link)}">${copy.action}</a></p>`,
    `<p>Alternatively, enter the code: ${otp}</p>`,
  ].join("\n");
  return { subject: copy.subject, text, html, links: [link] };
}

export function escapeHtml(value: string): string {
  return value.replace(/[&<>"']/g, (char) => `&#${char.charCodeAt(0)};`);
}
