import type { EmulatorControl } from "../local/github/control-client";
import { LOCAL_SECRET_HEADER } from "../local/secret-header";

/** How a visitor reaches the Worker: its `fetch` handler inside workerd, or real HTTP. */
export type WorkerFetch = (url: URL, init: RequestInit) => Promise<Response>;

/** Where a visitor's Worker is served, how it is reached, and where its sign-in emails land. */
export type VisitorSite = { site: string; fetch: WorkerFetch; mailboxUrl: string };

/**
 * A browser stand-in without a browser, for tests inside workerd and for the HTTP benchmarks:
 * it keeps cookies and talks to the Worker one request at a time, without following redirects.
 */
export class HttpVisitor {
  readonly cookies = new Map<string, string>();
  readonly site: string;
  email: string | undefined;

  /**
   * @param ip the address Cloudflare reports for this visitor (`CF-Connecting-IP`): by default
   *   one of their own, in an IPv6 /64 of their own, as rate limits count them.
   */
  constructor(
    readonly where: VisitorSite,
    readonly ip = `2001:db8:${crypto.randomUUID().slice(0, 4)}:${crypto.randomUUID().slice(0, 4)}::1`,
  ) {
    this.site = where.site;
  }

  async fetch(path: string, init: RequestInit = {}): Promise<Response> {
    const headers = new Headers(init.headers);
    headers.set("CF-Connecting-IP", this.ip);
    if (this.cookies.size > 0) {
      headers.set("Cookie", [...this.cookies].map(([name, value]) => `${name}=${value}`).join("; "));
    }
    const response = await this.where.fetch(new URL(path, this.site), { ...init, headers, redirect: "manual" });
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
      headers: { "Content-Type": "application/x-www-form-urlencoded", Origin: this.site },
      body: new URLSearchParams(fields),
    });
  }

  /** Where a redirect sends the visitor: a path for this site, the full URL for another. */
  location(response: Response): string | null {
    return locationOn(this.site, response);
  }

  /** Signs in by magic link: asks for the email, opens the link from the mailbox. */
  async signIn(email: string, returnTo = "/me"): Promise<Response> {
    this.email = email;
    const sent = await this.post("/login", { email, returnTo });
    if (sent.status !== 200) throw new Error(`login answered ${sent.status}`);
    const link = await latestMagicLink(this.where.mailboxUrl, email);
    const verified = await fetch(link, { redirect: "manual" });
    const location = verified.headers.get("Location");
    if (!location?.startsWith(this.site)) throw new Error(`magic link redirected to ${location}`);
    return this.fetch(location);
  }
}

/** Where `response` redirects to: a path when it stays on `site`, the full URL otherwise. */
export function locationOn(site: string, response: Response): string | null {
  const value = response.headers.get("Location");
  return value === null ? null : value.replace(site, "");
}

/** The Supabase user id of the account of `email`, from the auth emulator's own records. */
export async function authUserId(authUrl: string, localSecret: string, email: string): Promise<string> {
  const response = await fetch(`${authUrl}/_local/users`, { headers: { [LOCAL_SECRET_HEADER]: localSecret } });
  const users = (await response.json()) as { id: string; email: string }[];
  const user = users.find((candidate) => candidate.email === email);
  if (!user) throw new Error(`no user ${email}`);
  return user.id;
}

/** The latest email to `email` in the auth emulator's mailbox at `mailboxUrl`. */
export async function latestEmail(mailboxUrl: string, email: string): Promise<{ text: string; links: string[] }> {
  const messages = (await (await fetch(`${mailboxUrl}/api/messages?to=${encodeURIComponent(email)}`)).json()) as {
    text: string;
    links: string[];
  }[];
  const message = messages[0];
  if (!message) throw new Error(`no email for ${email}`);
  return message;
}

export async function latestMagicLink(mailboxUrl: string, email: string): Promise<string> {
  const link = (await latestEmail(mailboxUrl, email)).links[0];
  if (!link) throw new Error(`no link in the email to ${email}`);
  return link;
}

/**
 * Presses a button that sends the person to GitHub's install page ("Install on GitHub" by
 * default), and returns the `state` our app put in that URL.
 */
export async function startInstall(
  visitor: HttpVisitor,
  button: { path: string; fields: Record<string, string> } = { path: "/onboarding/connect-github", fields: {} },
): Promise<string> {
  const start = await visitor.post(button.path, button.fields);
  return new URL(start.headers.get("Location") ?? "").searchParams.get("state") ?? "";
}

/** The confirmation id on the callback's "Link GitHub account …?" page. */
export function confirmationOf(html: string): string {
  const found = /name="confirmation" value="([^"]+)"/.exec(html)?.[1];
  if (!found) throw new Error(`no confirmation on the page: ${html.slice(0, 500)}`);
  return found;
}

/** Presses Link (or Cancel) on the callback's confirmation page. */
export function decideLink(visitor: HttpVisitor, page: string, decision: "link" | "cancel" = "link") {
  return visitor.post("/api/github/callback", { confirmation: confirmationOf(page), decision });
}

/**
 * Where GitHub sends the person back after installing the App ("install") or changing its access
 * ("update") as `login`, with "Request user authorization during installation" on: our callback
 * with a fresh code for `login` (from the emulator's control API), the installation and our
 * `state` (none when the install began on GitHub), in GitHub's order. `code` is that code.
 */
export async function gitHubReturn(
  github: EmulatorControl,
  login: string,
  installationId: number,
  setupAction: "install" | "update" = "install",
  state?: string,
): Promise<{ code: string; path: string }> {
  const { code } = await github.oauthCode(login);
  const query = new URLSearchParams({
    code,
    installation_id: String(installationId),
    setup_action: setupAction,
    ...(state === undefined ? {} : { state }),
  });
  return { code, path: `/api/github/callback?${query}` };
}

/**
 * What GitHub does when the person installs the App with "Request user authorization during
 * installation" on: an installation on `login` (made through the emulator's `github` control
 * API), then a redirect to our callback with a code. The person then presses Link on our
 * confirmation page; `page` is that page, `response` the answer to Link.
 */
export async function installAndReturn(
  visitor: HttpVisitor,
  github: EmulatorControl,
  login: string,
  repositories: string[],
) {
  const state = await startInstall(visitor);
  const installation = await github.createInstallation(login, { repository_selection: "selected", repositories });
  const { code, path: callback } = await gitHubReturn(github, login, installation.id, "install", state);
  const page = await (await visitor.fetch(callback)).text();
  return { state, installation, code, callback, page, response: await decideLink(visitor, page) };
}

/**
 * A signed-in `visitor` installs the App as `login` on `repos` and picks `pick` (a repo id),
 * as the onboarding pages do; throws unless they end on `/me`.
 */
export async function onboard(
  visitor: HttpVisitor,
  github: EmulatorControl,
  login: string,
  repos: string[],
  pick: number,
) {
  const { installation } = await installAndReturn(visitor, github, login, repos);
  const chosen = await visitor.post("/onboarding/select-repo", { repoId: String(pick) });
  if (visitor.location(chosen) !== "/me") throw new Error(`choosing a repo answered ${chosen.status}`);
  return installation;
}

/**
 * A GitHub user access token of `login`'s, made as our App's web flow makes one: a code from
 * the emulator's control API, exchanged at `/login/oauth/access_token` with the App's client
 * credentials. What the person does on github.com, and what git accepts as their password.
 */
export async function gitHubUserToken(
  githubUrl: string,
  github: EmulatorControl,
  app: { clientId: string; clientSecret: string },
  login: string,
): Promise<string> {
  const { code } = await github.oauthCode(login);
  const exchange = await fetch(`${githubUrl}/login/oauth/access_token`, {
    method: "POST",
    headers: { Accept: "application/json", "Content-Type": "application/json" },
    body: JSON.stringify({ client_id: app.clientId, client_secret: app.clientSecret, code }),
  });
  const { access_token: token } = (await exchange.json()) as { access_token?: string };
  if (!token) throw new Error(`GitHub gave no user token for ${login} (${exchange.status})`);
  return token;
}
