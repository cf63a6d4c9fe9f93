import { expect, it } from "vitest";
import { expectNoErrors, journey, screenshot } from "./browser";

const e2e = journey();

it("walks a new person from sign-up to their MCP URL, then changes repo and disconnects", async () => {
  const { stack } = e2e;
  const watched = await e2e.newPage();
  const { page, violations } = watched;
  const email = `newcomer-${Date.now()}@example.com`;

  const landing = await page.goto(stack.appUrl, { waitUntil: "networkidle" });
  // The built app's policy: no inline code but the scripts carrying its nonce.
  expect(landing?.headers()["content-security-policy"]).not.toContain("unsafe-inline");
  await screenshot(page, "01-landing");
  // Gone at the next page load: still there, the page hydrated and moves on without reloading.
  await page.evaluate("window.hydratedLanding = true");
  await page.getByRole("link", { name: "Get started" }).click();

  await page.getByLabel("Email").fill(email);
  await screenshot(page, "02-login");
  await page.getByRole("button", { name: "Email me a sign-in link" }).click();
  await expect(page.getByText("Check your email")).toBeDefined();
  await page.getByText("Check your email").waitFor();
  expect(await page.evaluate("window.hydratedLanding"), violations.join("\n")).toBe(true);
  await screenshot(page, "03-check-email");

  await page.goto(stack.mailboxUrl);
  await screenshot(page, "04-mailbox");
  await page.locator("article", { hasText: email }).getByRole("link").first().click();

  await page.waitForURL(/\/onboarding\/connect-github$/);
  await screenshot(page, "05-connect-github");
  await page.getByRole("button", { name: "Install on GitHub" }).click();

  await page.waitForURL(new RegExp(`^${stack.githubUrl}/`));
  await page.getByLabel("Username").selectOption("alice");
  await screenshot(page, "06-github-sign-in");
  await page.getByRole("button", { name: "Sign in" }).click();
  await page.getByRole("link", { name: "alice", exact: true }).click();
  await page.getByLabel("Only select repositories").check();
  await page.getByLabel("ctx", { exact: true }).check();
  await page.getByLabel("notes", { exact: true }).check();
  await screenshot(page, "07-github-install");
  await page.getByRole("button", { name: "Install" }).click();

  await page.waitForURL(/\/api\/github\/callback\?/);
  await page
    .getByText(`Link GitHub account @alice (installation on alice) to your ctx4-ai account ${email}?`)
    .waitFor();
  await screenshot(page, "08-confirm-link");
  await page.getByRole("button", { name: "Link", exact: true }).click();

  await page.waitForURL(/\/onboarding\/select-repo$/);
  await screenshot(page, "09-select-repo");
  const radios = page.getByRole("radio");
  expect(await radios.count()).toBe(2);
  await page.getByLabel("alice/ctx").check();
  await page.getByRole("button", { name: "Use this repository" }).click();

  await page.waitForURL(/\/me$/);
  // The repository opens in ctx4-ai's file browser; GitHub is one link away.
  await expect(page.getByRole("link", { name: "alice/ctx" }).getAttribute("href")).resolves.toBe("/files");
  await expect(page.getByRole("link", { name: "On GitHub" }).getAttribute("href")).resolves.toBe(
    `${stack.githubUrl}/alice/ctx`,
  );
  expect(await page.getByLabel("MCP URL").inputValue()).toBe(`${stack.appUrl}/mcp`);
  await page.getByRole("tab", { name: "Claude Code" }).click();
  await page.getByText(`claude mcp add --transport http ctx4-ai ${stack.appUrl}/mcp`).waitFor();
  await screenshot(page, "10-dashboard");

  await page.getByRole("link", { name: "Change repository" }).click();
  await page.getByLabel("alice/notes").check();
  await page.getByRole("button", { name: "Use this repository" }).click();
  await page.waitForURL(/\/me$/);
  await page.getByRole("link", { name: "alice/notes" }).waitFor();
  await screenshot(page, "11-changed-repo");

  await page.getByRole("link", { name: "Disconnect" }).click();
  await screenshot(page, "12-confirm-disconnect");
  await page.getByRole("button", { name: "Yes, disconnect" }).click();
  await page.getByText("Disconnected from GitHub.").waitFor();
  await screenshot(page, "13-disconnected");
  await page.goto(`${stack.appUrl}/me`);
  await page.getByText("GitHub not connected").waitFor();
  // No repository any more: the way out does not speak of one.
  await page.getByText("Remove everything ctx4-ai keeps about you.").waitFor();
  expect(await page.getByText("your repository stays on GitHub").count()).toBe(0);
  expectNoErrors(watched);
});
