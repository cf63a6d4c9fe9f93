import type { Client } from "@modelcontextprotocol/sdk/client/index.js";
import type { Page } from "playwright-core";
import { expect, it } from "vitest";
import { expectNoErrors, journey, screenshot } from "./browser";
import { confirmLink, connectGitHub, newGitHubUser, signIn } from "./journeys";
import { connectClient as allowClient } from "./mcp-client";

const e2e = journey();

const connectClient = (page: Page, name: string) => allowClient(page, e2e.stack.appUrl, name);

/** Whether a client's call reaches the repo: the tools answer without an error. */
async function reachesRepo(client: Client) {
  const answer = await client.callTool({ name: "ctx_instructions", arguments: {} }).catch(() => undefined);
  return answer !== undefined && !answer.isError;
}

/**
 * On GitHub's install page (reached from one of our buttons), as `login`, gives the App
 * exactly `repos` and presses `verb` ("Install", or "Save" for an installation that exists).
 */
async function installOnGitHub(page: Page, login: string, repos: string[], verb: "Install" | "Save") {
  const { stack } = e2e;
  await page.waitForURL(new RegExp(`^${stack.githubUrl}/`));
  const signOut = page.getByRole("button", { name: "Sign out" });
  if ((await signOut.count()) > 0) await signOut.click();
  await page.getByLabel("Username").selectOption(login);
  await page.getByRole("button", { name: "Sign in" }).click();
  await page.getByRole("link", { name: login, exact: true }).click();
  await page.getByLabel("Only select repositories").check();
  for (const repo of ["ctx", "notes"]) await page.getByLabel(repo, { exact: true }).setChecked(repos.includes(repo));
  await page.getByRole("button", { name: verb }).click();
  await confirmLink(page, login);
}

it("keeps AI clients in sight through repo changes, revocation, disconnection and an uninstalled App", async () => {
  const { stack } = e2e;
  const watched = await e2e.newPage();
  const { page } = watched;
  const login = await newGitHubUser(stack, ["ctx", "notes"]);
  // By the code: the mailbox opens in a tab of its own, and this page is all ours.
  await signIn(page, stack, `${login}@example.com`, "code");
  await connectGitHub(page, stack, login, ["ctx", "notes"], "ctx");

  const claude = await connectClient(page, "Claude");
  const cursor = await connectClient(page, "Cursor");
  expect(await reachesRepo(claude)).toBe(true);
  await page.goto(`${stack.appUrl}/me`);
  await page.getByRole("button", { name: "Revoke Claude" }).waitFor();
  await page.getByRole("button", { name: "Revoke Cursor" }).waitFor();
  expect(await page.getByText("Active", { exact: true }).count()).toBe(1);
  await screenshot(page, "dash-01-connected-with-clients");

  // Changing the repo says who moves, and can be left without changing anything.
  await page.getByRole("link", { name: "Change repository" }).click();
  await page.getByRole("heading", { name: "Change your repository" }).waitFor();
  await page.getByText(/These 2 AI clients will use the repository you choose from their next call/).waitFor();
  await page.getByLabel(`${login}/notes`).check();
  await page.getByText(`These 2 AI clients will use ${login}/notes from their next call`).waitFor();
  await screenshot(page, "dash-02-change-repo");
  await page.getByRole("link", { name: `Keep ${login}/ctx` }).click();
  await page.waitForURL(/\/me$/);
  await page.getByRole("link", { name: `${login}/ctx` }).waitFor();
  expect(await page.getByText("Now using").count()).toBe(0);

  await page.getByRole("link", { name: "Change repository" }).click();
  await page.getByLabel(`${login}/notes`).check();
  await page.getByRole("button", { name: "Use this repository" }).click();
  await page.waitForURL(/\/me$/);
  await page.getByText(`Now using ${login}/notes.`).waitFor();
  await page.getByText(/(Claude and Cursor|Cursor and Claude) use it from their next call/).waitFor();
  await screenshot(page, "dash-03-repo-changed");
  expect(await reachesRepo(claude)).toBe(true);

  await page.getByRole("button", { name: "Revoke Cursor" }).click();
  await page.getByText("Revoked Cursor's access.").waitFor();
  expect(await page.getByRole("button", { name: "Revoke Cursor" }).count()).toBe(0);
  await screenshot(page, "dash-04-revoked");
  expect(await reachesRepo(cursor)).toBe(false);

  await page.getByRole("link", { name: "Disconnect" }).click();
  const revokeToo = page.getByLabel(/Also revoke access for 1 connected AI client: Claude/);
  expect(await revokeToo.isChecked()).toBe(true);
  await screenshot(page, "dash-05-confirm-disconnect");
  await page.getByRole("button", { name: "Yes, disconnect" }).click();
  await page.getByText("Disconnected from GitHub; 1 AI client revoked.").waitFor();
  await page.getByText("GitHub not connected").waitFor();
  await page.getByRole("heading", { name: "Connected AI clients" }).waitFor();
  expect(await page.getByText("Active", { exact: true }).count()).toBe(0);
  await screenshot(page, "dash-06-disconnected");
  expect(await reachesRepo(claude)).toBe(false);
  await page.reload();
  await page.getByText("GitHub not connected").waitFor();
  expect(await page.getByText("Disconnected from GitHub").count()).toBe(0);

  // Back again, on one repo only: it is preselected.
  await page.getByRole("link", { name: "Connect GitHub" }).click();
  await page.getByRole("button", { name: "Install on GitHub" }).click();
  await installOnGitHub(page, login, ["ctx"], "Save");
  await page.waitForURL(/\/onboarding\/select-repo$/);
  expect(await page.getByLabel(`${login}/ctx`).isChecked()).toBe(true);
  await screenshot(page, "dash-07-single-repo-preselected");
  await page.getByRole("button", { name: "Use this repository" }).click();
  await page.getByText(`Now using ${login}/ctx.`).waitFor();
  const zed = await connectClient(page, "Zed");

  // The App is uninstalled on GitHub; its webhook reaches the app.
  const installation = (await stack.github.installations()).find((item) => item.account.login === login);
  await stack.github.deleteInstallation(installation?.id ?? 0);
  await expect
    .poll(
      async () => {
        await page.goto(`${stack.appUrl}/me`);
        return page.getByText("The ctx4-ai App was removed from GitHub").count();
      },
      { timeout: 15_000, interval: 500 },
    )
    .toBe(1);
  await page.getByRole("button", { name: "Revoke Zed" }).waitFor();
  expect(await page.getByText("Active", { exact: true }).count()).toBe(0);
  expect(await page.getByRole("link", { name: "Choose another repository" }).count()).toBe(0);
  expect(await page.getByRole("link", { name: "Change repository" }).count()).toBe(0);
  await screenshot(page, "dash-08-app-uninstalled");
  expect(await reachesRepo(zed)).toBe(false);

  // Its one fix installs the App again and ends on a repo list that works.
  await page.getByRole("button", { name: "Install the App again" }).click();
  await installOnGitHub(page, login, ["notes"], "Install");
  await page.waitForURL(/\/onboarding\/select-repo$/);
  expect(await page.getByLabel(`${login}/notes`).isChecked()).toBe(true);
  await screenshot(page, "dash-09-installed-again");
  await page.getByRole("button", { name: "Use this repository" }).click();
  await page.getByText(`Now using ${login}/notes.`).waitFor();
  await page.getByText("Zed uses it from its next call.").waitFor();
  expect(await page.getByText("Active", { exact: true }).count()).toBe(1);
  await screenshot(page, "dash-10-back-in-use");
  expect(await reachesRepo(zed)).toBe(true);

  await page.getByRole("button", { name: "Sign out" }).click();
  await page.getByText("Signed out.").waitFor();
  await screenshot(page, "dash-11-signed-out");

  expectNoErrors(watched);
}, 180_000);
