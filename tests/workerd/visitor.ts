import { env, exports } from "cloudflare:workers";
import { inject } from "vitest";
import { connectDatabase } from "../../app/lib/db/client.server";
import { getUserGithubConfig } from "../../app/lib/db/queries.server";
import { emulatorControl } from "../../local/github/control-client";
import { LOCAL_SECRET_HEADER } from "../../local/secret-header";

export const SITE = inject("stack").site;

/**
 * A browser stand-in for tests inside workerd: it keeps cookies and talks to the Worker
 * through its real `fetch` handler, one request at a time, without following redirects.
 */
export class Visitor {
  readonly cookies = new Map<string, string>();
  readonly site = SITE;
  email: string | undefined;

  /**
   * @param ip the address Cloudflare reports for this visitor (`CF-Connecting-IP`): by default
   *   one of their own, in an IPv6 /64 of their own, as rate limits count them.
   */
  constructor(readonly ip = `2001:db8:${crypto.randomUUID().slice(0, 4)}:${crypto.randomUUID().slice(0, 4)}::1`) {}

  async fetch(path: string, init: RequestInit = {}): Promise<Response> {
    const headers = new Headers(init.headers);
    headers.set("CF-Connecting-IP", this.ip);
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
    this.email = email;
    const sent = await this.post("/login", { email, returnTo });
    if (sent.status !== 200) throw new Error(`login answered ${sent.status}`);
    const link = await latestMagicLink(email);
    const verified = await fetch(link, { redirect: "manual" });
    const location = verified.headers.get("Location");
    if (!location?.startsWith(SITE)) throw new Error(`magic link redirected to ${location}`);
    return this.fetch(location);
  }

  /** The Supabase user id of a signed-in visitor, from the auth emulator's own records. */
  async userId(): Promise<string> {
    const { authUrl, localSecret } = inject("stack");
    const response = await fetch(`${authUrl}/_local/users`, { headers: { [LOCAL_SECRET_HEADER]: localSecret } });
    const users = (await response.json()) as { id: string; email: string }[];
    const user = users.find((candidate) => candidate.email === this.email);
    if (!user) throw new Error(`no user ${this.email}`);
    return user.id;
  }
}

export function location(response: Response): string | null {
  const value = response.headers.get("Location");
  return value === null ? null : value.replace(SITE, "");
}

async function latestEmail(email: string): Promise<{ text: string; links: string[] }> {
  const { mailboxUrl } = inject("stack");
  const messages = (await (await fetch(`${mailboxUrl}/api/messages?to=${encodeURIComponent(email)}`)).json()) as {
    text: string;
    links: string[];
  }[];
  const message = messages[0];
  if (!message) throw new Error(`no email for ${email}`);
  return message;
}

export async function latestMagicLink(email: string): Promise<string> {
  const link = (await latestEmail(email)).links[0];
  if (!link) throw new Error(`no link in the email to ${email}`);
  return link;
}

/** The six-digit code in the latest sign-in email, as a person reads it. */
export async function latestSignInCode(email: string): Promise<string> {
  const code = /\b(\d{6})\b/.exec((await latestEmail(email)).text)?.[1];
  if (!code) throw new Error(`no code in the email to ${email}`);
  return code;
}

export const uniqueEmail = (name: string) => `${name}-${crypto.randomUUID().slice(0, 8)}@example.com`;

/** The GitHub emulator's control API, for arranging what a person would do on GitHub. */
export function githubControl() {
  const { githubUrl, localSecret } = inject("stack");
  return emulatorControl(githubUrl, localSecret);
}

/**
 * What `login` does on github.com, through GitHub's own REST API with a user access token of
 * theirs (made as our App's web flow makes one): `POST` to `path` with a JSON body.
 */
export async function asGitHubUser(login: string) {
  const { githubUrl, workerVars } = inject("stack");
  const { code } = await githubControl().oauthCode(login);
  const exchange = await fetch(`${githubUrl}/login/oauth/access_token`, {
    method: "POST",
    headers: { Accept: "application/json", "Content-Type": "application/json" },
    body: JSON.stringify({
      client_id: workerVars.GITHUB_APP_CLIENT_ID,
      client_secret: workerVars.GITHUB_APP_CLIENT_SECRET,
      code,
    }),
  });
  const { access_token: token } = (await exchange.json()) as { access_token: string };
  return {
    post: (path: string, body: unknown) =>
      fetch(new URL(path, githubUrl), {
        method: "POST",
        headers: { Authorization: `Bearer ${token}`, "Content-Type": "application/json", Accept: "application/json" },
        body: JSON.stringify(body),
      }),
  };
}

/**
 * A fresh GitHub user (and their repos) for one test, so tests never share an installation:
 * GitHub allows one installation of an App per account.
 */
export async function newGitHubUser(repos: string[] = ["ctx"]) {
  const control = githubControl();
  const login = `user-${crypto.randomUUID().slice(0, 8)}`;
  await control.createAccount({ login, type: "User" });
  const created = await Promise.all(repos.map((name) => control.createRepo(login, name, "ctx")));
  return { login, repos: created };
}

/**
 * Presses a button that sends the person to GitHub's install page ("Install on GitHub" by
 * default), and returns the `state` our app put in that URL.
 */
export async function startInstall(
  visitor: Visitor,
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
export function decideLink(visitor: Visitor, page: string, decision: "link" | "cancel" = "link") {
  return visitor.post("/api/github/callback", { confirmation: confirmationOf(page), decision });
}

/**
 * What GitHub does when the person installs the App with "Request user authorization during
 * installation" on: an installation on `login`, then a redirect to our callback with a code.
 * The person then presses Link on our confirmation page; `page` is that page, `response` the
 * answer to Link.
 */
export async function installAndReturn(visitor: Visitor, login: string, repositories: string[]) {
  const control = githubControl();
  const state = await startInstall(visitor);
  const installation = await control.createInstallation(login, { repository_selection: "selected", repositories });
  const { code } = await control.oauthCode(login);
  const callback = `/api/github/callback?${new URLSearchParams({
    code,
    installation_id: String(installation.id),
    setup_action: "install",
    state,
  })}`;
  const page = await (await visitor.fetch(callback)).text();
  return { state, installation, code, callback, page, response: await decideLink(visitor, page) };
}

/** The visitor's GitHub config as stored in Postgres. */
export async function configOf(visitor: Visitor) {
  const database = connectDatabase(env.HYPERDRIVE.connectionString);
  try {
    return await getUserGithubConfig(database.db, await visitor.userId());
  } finally {
    await database.close();
  }
}

/** A signed-in person with the App installed on fresh repos of their own and the first one chosen. */
export async function onboardedVisitor(name: string, repos = ["ctx"]) {
  const visitor = new Visitor();
  await visitor.signIn(uniqueEmail(name));
  const github = await newGitHubUser(repos);
  const { installation } = await installAndReturn(visitor, github.login, repos);
  const repo = github.repos[0];
  const chosen = await visitor.post("/onboarding/select-repo", { repoId: String(repo?.id) });
  if (location(chosen) !== "/me") throw new Error(`choosing a repo answered ${chosen.status}`);
  return { visitor, github, installation, repo: repo as NonNullable<typeof repo> };
}
