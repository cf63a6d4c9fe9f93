import type { Page } from "playwright-core";
import type { E2EStack } from "./stack";

/** Where the journeys go: the app, its mailbox and GitHub, of an e2e stack or `npm run dev`. */
type Site = Pick<E2EStack, "appUrl" | "mailboxUrl" | "githubUrl">;

/**
 * A new person signs in in `page`: by the email's link, or by typing the email's six-digit code
 * into the same page (read from the mailbox in another tab). `start` is where the browser goes
 * first: the login page, or a page that sends a signed-out person there and is returned to.
 */
export async function signIn(
  page: Page,
  stack: Site,
  email: string,
  via: "link" | "code" = "link",
  start = `${stack.appUrl}/login`,
) {
  await page.goto(start);
  await page.getByLabel("Email").fill(email);
  await page.getByRole("button", { name: "Email me a sign-in link" }).click();
  await page.getByText("Check your email").waitFor();
  if (via === "code") {
    const mailbox = await page.context().newPage();
    await mailbox.goto(stack.mailboxUrl);
    const text = await mailbox.locator("article", { hasText: email }).first().locator("pre").textContent();
    await mailbox.close();
    const code = /\b(\d{6})\b/.exec(text ?? "")?.[1] ?? "";
    await page.getByLabel("Six-digit code").fill(code);
    await page.getByRole("button", { name: "Sign in", exact: true }).click();
  } else {
    await page.goto(stack.mailboxUrl);
    await page.locator("article", { hasText: email }).getByRole("link").first().click();
  }
  await page.waitForURL(new RegExp(`^${stack.appUrl}/(?!login)`));
}

/**
 * A signed-in person installs the App as GitHub user `login` on the named repos and picks
 * `pick`, ending on `/me`.
 */
export async function connectGitHub(page: Page, stack: Site, login: string, repos: string[], pick: string) {
  await page.goto(`${stack.appUrl}/onboarding/connect-github`);
  await page.getByRole("button", { name: "Install on GitHub" }).click();
  await page.waitForURL(new RegExp(`^${stack.githubUrl}/`));
  const signOut = page.getByRole("button", { name: "Sign out" });
  if ((await signOut.count()) > 0) await signOut.click();
  await page.getByLabel("Username").selectOption(login);
  await page.getByRole("button", { name: "Sign in" }).click();
  await page.getByRole("link", { name: login, exact: true }).click();
  await page.getByLabel("Only select repositories").check();
  for (const repo of repos) await page.getByLabel(repo, { exact: true }).check();
  await page.getByRole("button", { name: "Install" }).click();
  await confirmLink(page, login);
  await page.waitForURL(/\/onboarding\/select-repo$/);
  await page.getByLabel(`${login}/${pick}`).check();
  await page.getByRole("button", { name: "Use this repository" }).click();
  await page.waitForURL(/\/me$/);
}

/** Back from GitHub, the person checks both identities and presses Link. */
export async function confirmLink(page: Page, login: string) {
  await page.waitForURL(/\/api\/github\/callback\?/);
  await page.getByText(`Link GitHub account @${login}`).waitFor();
  await page.getByRole("button", { name: "Link", exact: true }).click();
}

/** A GitHub account of its own for one test: GitHub allows one installation of an App per account. */
export async function newGitHubUser(stack: E2EStack, repos: string[]) {
  const login = `user-${crypto.randomUUID().slice(0, 8)}`;
  await stack.github.createAccount({ login, type: "User" });
  for (const repo of repos) await stack.github.createRepo(login, repo, "ctx");
  return login;
}
