import { expect, it } from "vitest";
import { expectNoErrors, journey, screenshot } from "./browser";
import { newGitHubUser, signIn } from "./journeys";

const e2e = journey();

it("starts on GitHub's install page as npm run dev prints it, and ends linked on /me", async () => {
  const { stack } = e2e;
  const watched = await e2e.newPage();
  const { page } = watched;
  const login = await newGitHubUser(stack, ["ctx"]);
  const email = `${login}@example.com`;

  // `npm run dev` prints the emulator as localhost; the stack itself calls it 127.0.0.1.
  const printed = `http://localhost:${new URL(stack.githubUrl).port}/apps/ctx4-ai/installations/new`;
  await page.goto(printed);
  await page.getByLabel("Username").selectOption(login);
  await screenshot(page, "from-github-01-sign-in");
  await page.getByRole("button", { name: "Sign in" }).click();
  await page.getByRole("heading", { name: "Install ctx4-ai" }).waitFor();
  await screenshot(page, "from-github-02-choose-account");
  await page.getByRole("link", { name: login, exact: true }).click();
  await page.getByLabel("Only select repositories").check();
  await page.getByLabel("ctx", { exact: true }).check();
  await screenshot(page, "from-github-03-install");
  await page.getByRole("button", { name: "Install" }).click();

  // Back on ctx4-ai, signed out: sign in first, and come back to finish.
  await page.waitForURL(new RegExp(`^${stack.appUrl}/login\\?returnTo=`));
  expect(page.url()).not.toContain("code");
  await screenshot(page, "from-github-04-login");
  await signIn(page, stack, email, "link", page.url());

  await page.waitForURL(/\/api\/github\/callback\?/);
  const callback = page.url();
  await page
    .getByText(`Link GitHub account @${login} (installation on ${login}) to your ctx4-ai account ${email}?`)
    .waitFor();
  await screenshot(page, "from-github-05-confirm-link");
  await page.getByRole("button", { name: "Link", exact: true }).click();

  await page.waitForURL(/\/onboarding\/select-repo$/);
  await screenshot(page, "from-github-06-select-repo");
  await page.getByLabel(`${login}/ctx`).check();
  await page.getByRole("button", { name: "Use this repository" }).click();
  await page.waitForURL(/\/me$/);
  await page.getByRole("link", { name: `${login}/ctx` }).waitFor();
  await screenshot(page, "from-github-07-dashboard");

  // GitHub sends people back without a code when it does not ask who they are: the page says
  // where to start, and its button does start.
  const installationId = new URL(callback).searchParams.get("installation_id");
  await page.goto(`${stack.appUrl}/api/github/callback?installation_id=${installationId}&setup_action=install`);
  await page.getByText("Finish connecting from ctx4-ai").waitFor();
  await screenshot(page, "from-github-08-start-from-ctx4-ai");
  await page.getByRole("button", { name: "Connect GitHub", exact: true }).click();
  await page.waitForURL(new RegExp(`^${stack.githubUrl}/apps/ctx4-ai/installations/new\\?state=`));

  expectNoErrors(watched);
}, 120_000);
