import { UnauthorizedError } from "@modelcontextprotocol/sdk/client/auth.js";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import { expect, it } from "vitest";
import { expectNoErrors, journey, screenshot } from "./browser";
import { connectGitHub, newGitHubUser, signIn } from "./journeys";
import { TestOAuthClient } from "./mcp-client";

const e2e = journey();

it("deletes a connected account: the AI client is cut off, GitHub keeps the repo, the email starts afresh", async () => {
  const { stack } = e2e;
  const watched = await e2e.newPage();
  const { page } = watched;
  // What the app itself failed to serve, by URL (a console error does not name the resource).
  const failedLoads: string[] = [];
  page.on("response", (response) => {
    if (response.url().startsWith(stack.appUrl) && response.status() >= 400) {
      failedLoads.push(`${response.status()} ${response.url()}`);
    }
  });
  const login = await newGitHubUser(stack, ["ctx"]);
  const email = `${login}@example.com`;
  await signIn(page, stack, email);
  await connectGitHub(page, stack, login, ["ctx"], "ctx");

  // An AI client connected, and working: a grant with tokens exists.
  const oauth = new TestOAuthClient("Account test client");
  const url = new URL("/mcp", stack.appUrl);
  const unauthorized = new StreamableHTTPClientTransport(url, { authProvider: oauth });
  await expect(new Client({ name: "e2e", version: "1.0.0" }).connect(unauthorized)).rejects.toThrow(UnauthorizedError);
  await unauthorized.finishAuth(await oauth.consentIn(page, { write: true }));
  const client = new Client({ name: "e2e", version: "1.0.0" });
  await client.connect(new StreamableHTTPClientTransport(url, { authProvider: oauth }));
  const written = await client.callTool({
    name: "ctx_bash",
    arguments: { command: "echo 'before leaving' > notes.md", comment: "A last note" },
  });
  expect(written.isError, JSON.stringify(written.content)).toBeFalsy();
  await client.close();

  await page.goto(`${stack.appUrl}/me`);
  await page.getByRole("heading", { name: "Delete account" }).scrollIntoViewIfNeeded();
  await screenshot(page, "account-01-dashboard");
  await page.getByRole("link", { name: "Delete your account" }).click();

  await page.waitForURL(/\/account\/delete$/);
  await page.getByRole("heading", { name: "Delete your ctx4-ai account" }).waitFor();
  await page.getByText("Account test client").waitFor();
  const uninstall = page.getByRole("link", { name: "Uninstall it on GitHub" });
  expect(await uninstall.getAttribute("href")).toMatch(new RegExp(`^${stack.githubUrl}/settings/installations/\\d+$`));
  await screenshot(page, "account-02-confirm");

  await page.getByLabel(/To confirm, type your email/).fill(email);
  await screenshot(page, "account-03-typed");
  await page.getByRole("button", { name: "Delete my account" }).click();

  await page.waitForURL(`${stack.appUrl}/`);
  await page.getByText("Your ctx4-ai account was deleted").waitFor();
  await page.getByRole("link", { name: `${login}/ctx` }).waitFor();
  await page.getByRole("link", { name: "Sign in" }).waitFor();
  await screenshot(page, "account-04-deleted");

  // GitHub keeps the repo and its history, the client's commit included.
  expect(await stack.github.readFile(`${login}/ctx`, "notes.md")).toBe("before leaving\n");
  // The client's access token and refresh token are refused.
  const refused = await fetch(url, {
    method: "POST",
    headers: {
      Authorization: `Bearer ${oauth.tokens()?.access_token}`,
      "Content-Type": "application/json",
      Accept: "application/json, text/event-stream",
    },
    body: JSON.stringify({ jsonrpc: "2.0", id: 1, method: "ping" }),
  });
  expect(refused.status).toBe(401);
  oauth.loseAccessToken();
  await expect(
    new Client({ name: "e2e", version: "1.0.0" }).connect(
      new StreamableHTTPClientTransport(url, { authProvider: oauth }),
    ),
  ).rejects.toThrow();

  // The same email again is a new, empty account: onboarding from its first step.
  await signIn(page, stack, email);
  await page.goto(`${stack.appUrl}/me`);
  await page.getByText("GitHub not connected").waitFor();
  expect(await page.getByText("None yet.").count()).toBe(1);
  await screenshot(page, "account-05-new-account");

  expect(failedLoads).toEqual([]);
  expectNoErrors(watched);
}, 120_000);
