import { exports } from "cloudflare:workers";
import { inject } from "vitest";
import { emulatorControl } from "../../local/github/control-client";

export const SITE = inject("stack").site;

/**
 * A browser stand-in for tests inside workerd: it keeps cookies and talks to the Worker
 * through its real `fetch` handler, one request at a time, without following redirects.
 */
export class Visitor {
  readonly cookies = new Map<string, string>();

  async fetch(path: string, init: RequestInit = {}): Promise<Response> {
    const headers = new Headers(init.headers);
    if (this.cookies.size > 0) {
      headers.set("Cookie", [...this.cookies].map(([name, value]) => `${name}=${value}`).join("; "));
    }
    const response = await exports.default.fetch(new URL(path, SITE), { ...init, headers, redirect: "manual" });
    for (const cookie of response.headers.getSetCookie()) {
      const [pair = ""] = cookie.split(";");
      const index = pair.indexOf("=");
      const name = pair.slice(0, index);
      const value = pair.slice(index + 1);
      if (value === "" || /max-age=0/i.test(cookie)) this.cookies.delete(name);
      else this.cookies.set(name, value);
    }
    return response;
  }

  /** Submits a form like a browser does: urlencoded, same origin. */
  post(path: string, fields: Record<string, string>): Promise<Response> {
    return this.fetch(path, {
      method: "POST",
      headers: { "Content-Type": "application/x-www-form-urlencoded", Origin: SITE },
      body: new URLSearchParams(fields),
    });
  }

  /** Signs in by magic link: asks for the email, opens the link from the mailbox. */
  async signIn(email: string, returnTo = "/me"): Promise<Response> {
    const sent = await this.post("/login", { email, returnTo });
    if (sent.status !== 200) throw new Error(`login answered ${sent.status}`);
    const link = await latestMagicLink(email);
    const verified = await fetch(link, { redirect: "manual" });
    const location = verified.headers.get("Location");
    if (!location?.startsWith(SITE)) throw new Error(`magic link redirected to ${location}`);
    return this.fetch(location);
  }
}

export function location(response: Response): string | null {
  const value = response.headers.get("Location");
  return value === null ? null : value.replace(SITE, "");
}

export async function latestMagicLink(email: string): Promise<string> {
  const { mailboxUrl } = inject("stack");
  const messages = (await (await fetch(`${mailboxUrl}/api/messages?to=${encodeURIComponent(email)}`)).json()) as {
    links: string[];
  }[];
  const link = messages[0]?.links[0];
  if (!link) throw new Error(`no email for ${email}`);
  return link;
}

export const uniqueEmail = (name: string) => `${name}-${crypto.randomUUID().slice(0, 8)}@example.com`;

/** The GitHub emulator's control API, for arranging what a person would do on GitHub. */
export function githubControl() {
  const { githubUrl, localSecret } = inject("stack");
  return emulatorControl(githubUrl, localSecret);
}
