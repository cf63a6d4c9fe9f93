import { env, exports } from "cloudflare:workers";
import { inject } from "vitest";
import { connectDatabase } from "../../app/lib/db/client.server";
import { getUserGithubConfig } from "../../app/lib/db/queries.server";
import { emulatorControl } from "../../local/github/control-client";
import {
  authUserId,
  confirmationOf,
  decideLink,
  gitHubReturn,
  gitHubUserToken,
  HttpVisitor,
  installAndReturn as installAndReturnTo,
  latestEmail,
  latestMagicLink as latestMagicLinkIn,
  locationOn,
  onboard,
  startInstall,
} from "../http-visitor";

export const SITE = inject("stack").site;

/**
 * A browser stand-in for tests inside workerd: it keeps cookies and talks to the Worker
 * through its real `fetch` handler, one request at a time, without following redirects.
 */
export class Visitor extends HttpVisitor {
  /** @param ip as for HttpVisitor */
  constructor(ip?: string) {
    super(
      { site: SITE, fetch: (url, init) => exports.default.fetch(url, init), mailboxUrl: inject("stack").mailboxUrl },
      ip,
    );
  }

  /** The Supabase user id of a signed-in visitor, from the auth emulator's own records. */
  async userId(): Promise<string> {
    const { authUrl, localSecret } = inject("stack");
    return authUserId(authUrl, localSecret, this.email ?? "");
  }
}

export const location = (response: Response) => locationOn(SITE, response);

export const latestMagicLink = (email: string) => latestMagicLinkIn(inject("stack").mailboxUrl, email);

/** The six-digit code in the latest sign-in email, as a person reads it. */
export async function latestSignInCode(email: string): Promise<string> {
  const code = /\b(\d{6})\b/.exec((await latestEmail(inject("stack").mailboxUrl, email)).text)?.[1];
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
  const token = await gitHubUserToken(
    githubUrl,
    githubControl(),
    { clientId: workerVars.GITHUB_APP_CLIENT_ID ?? "", clientSecret: workerVars.GITHUB_APP_CLIENT_SECRET ?? "" },
    login,
  );
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

export { confirmationOf, decideLink, gitHubReturn, startInstall };

/** installAndReturn of tests/http-visitor.ts, on this run's GitHub emulator. */
export const installAndReturn = (visitor: Visitor, login: string, repositories: string[]) =>
  installAndReturnTo(visitor, githubControl(), login, repositories);

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
  const repo = github.repos[0];
  const installation = await onboard(visitor, githubControl(), github.login, repos, repo?.id ?? 0);
  return { visitor, github, installation, repo: repo as NonNullable<typeof repo> };
}
