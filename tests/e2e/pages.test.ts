import { rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { UnauthorizedError } from "@modelcontextprotocol/sdk/client/auth.js";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import { expect, it } from "vitest";
import { expectNoErrors, journey, screenshot } from "./browser";
import { signIn } from "./journeys";
import { TestOAuthClient } from "./mcp-client";

const e2e = journey();

/** Loads the page's icon as the browser loads images, under the page's own Content-Security-Policy. */
const LOAD_ICON = `new Promise((resolve, reject) => {
  const image = new Image();
  image.onload = () => resolve(image.naturalWidth);
  image.onerror = () => reject(new Error("the icon did not load"));
  image.src = document.querySelector('link[rel="icon"]').href;
})`;

/** Posts a form the dashboard does not know, as a stale or hand-made form would, in the page. */
const POST_UNKNOWN_INTENT = `(() => {
  const form = document.createElement("form");
  form.method = "post";
  form.action = "/me";
  const intent = document.createElement("input");
  intent.name = "intent";
  intent.value = "no-such-intent";
  form.append(intent);
  document.body.append(form);
  form.submit();
})()`;

it("leads somewhere from every page: 404 and error pages, the login page loaded directly or from an AI client", async () => {
  const { stack } = e2e;
  const watched = await e2e.newPage();
  const { page } = watched;
  // Chrome reports a document's own error status on the console: the loads answered 404 and 400
  // here, on purpose, and nothing else (the resource's URL is the message's location).
  const failedLoads: string[] = [];
  page.on("console", (message) => {
    if (message.text().startsWith("Failed to load resource")) failedLoads.push(message.location().url);
  });
  const email = `wanderer-${Date.now()}@example.com`;

  // An unknown address, signed out: the site's page, a title, and the way home.
  const missing = await page.goto(`${stack.appUrl}/no/such/page`, { waitUntil: "networkidle" });
  expect(missing?.status()).toBe(404);
  expect(await page.title()).toBe("Page not found · ctx4-ai");
  await page.getByRole("heading", { level: 1, name: "Page not found" }).waitFor();
  expect(await page.getByRole("banner").getByRole("link", { name: "Sign in" }).isVisible()).toBe(true);
  // The icon is linked and loads under the page's policy; /favicon.ico, asked for anyway, leads to it.
  expect(await page.locator('link[rel="icon"]').getAttribute("href")).toBe("/favicon.svg");
  expect(await page.evaluate(LOAD_ICON)).toBeGreaterThan(0);
  const ico = await page.request.get(`${stack.appUrl}/favicon.ico`);
  expect([ico.status(), ico.url(), ico.headers()["content-type"]]).toEqual([
    200,
    `${stack.appUrl}/favicon.svg`,
    "image/svg+xml",
  ]);
  await screenshot(page, "pages-01-not-found-signed-out");
  await page.getByRole("link", { name: "Go to the home page" }).click();
  await page.waitForURL(`${stack.appUrl}/`);

  // The login page loaded directly with an unencoded return path: the URL React Router renders
  // on the server, so the form's action is the same in both renders, and the page hydrates.
  await page.goto(`${stack.appUrl}/login?returnTo=/onboarding`, { waitUntil: "networkidle" });
  const here = new URL(page.url());
  expect(here.search).toBe("?returnTo=%2Fonboarding");
  expect(await page.locator("form").first().getAttribute("action")).toBe(`${here.pathname}${here.search}`);
  await screenshot(page, "pages-02-login-direct");
  await page.evaluate("window.hydratedLogin = true");
  await page.getByRole("link", { name: "ctx4-ai" }).click();
  await page.waitForURL(`${stack.appUrl}/`);
  expect(await page.evaluate("window.hydratedLogin")).toBe(true);

  // An AI client asks for access; signed out, the person is asked to sign in, told by whom.
  const oauth = new TestOAuthClient("Notes <b>Helper</b>");
  const mcp = new StreamableHTTPClientTransport(new URL("/mcp", stack.appUrl), { authProvider: oauth });
  await expect(new Client({ name: "e2e", version: "1.0.0" }).connect(mcp)).rejects.toThrow(UnauthorizedError);
  await page.goto(oauth.authorizationUrl(), { waitUntil: "networkidle" });
  await page.waitForURL(/\/login\?returnTo=%2Fauthorize%3F/);
  const heading = page.getByRole("heading", { level: 1 });
  expect(await heading.textContent()).toBe("Sign in to let Notes <b>Helper</b> use your ctx4-ai memory");
  expect(await heading.locator("b").count()).toBe(0);
  await page.getByText("That is the name the app gave itself; it is not verified.").waitFor();
  await screenshot(page, "pages-03-login-from-ai-client");
  await signIn(page, stack, email, "code", oauth.authorizationUrl());
  await page.waitForURL(/\/onboarding\/connect-github$/);

  // An unknown address, signed in: the header knows, and the way on is the person's memory.
  const lost = await page.goto(`${stack.appUrl}/nowhere`, { waitUntil: "networkidle" });
  expect(lost?.status()).toBe(404);
  await page.getByRole("heading", { level: 1, name: "Page not found" }).waitFor();
  const banner = page.getByRole("banner");
  expect(await banner.getByText(email).isVisible()).toBe(true);
  expect(await banner.getByRole("button", { name: "Sign out" }).isVisible()).toBe(true);
  expect(await banner.getByRole("link", { name: "Sign in" }).count()).toBe(0);
  await screenshot(page, "pages-04-not-found-signed-in");
  await page.getByRole("link", { name: "Go to your memory" }).click();
  await page.waitForURL(/\/me$/);
  await page.getByText("GitHub not connected").waitFor();

  // An error page: the dashboard refuses a form it does not know (400).
  const refused = page.waitForResponse((response) => response.url() === `${stack.appUrl}/me`);
  await page.evaluate(POST_UNKNOWN_INTENT);
  expect((await refused).status()).toBe(400);
  await page.getByRole("heading", { level: 1, name: "That did not work" }).waitFor();
  expect(await page.title()).toBe("That did not work · ctx4-ai");
  expect(await banner.getByText(email).isVisible()).toBe(true);
  expect(await page.getByText("Unknown action").count()).toBe(0);
  await screenshot(page, "pages-05-error-signed-in");
  await page.getByRole("link", { name: "Go to your memory" }).click();
  await page.waitForURL(/\/me$/);
  await page.getByText("GitHub not connected").waitFor();

  const refusedDocuments = [`${stack.appUrl}/no/such/page`, `${stack.appUrl}/nowhere`, `${stack.appUrl}/me`];
  expect(failedLoads).toEqual(refusedDocuments);
  const statusReports = [
    `${refusedDocuments[0]}: Failed to load resource: the server responded with a status of 404 (Not Found)`,
    `${refusedDocuments[1]}: Failed to load resource: the server responded with a status of 404 (Not Found)`,
    `${refusedDocuments[2]}: Failed to load resource: the server responded with a status of 400 (Bad Request)`,
  ];
  expectNoErrors(watched, statusReports);
}, 120_000);

it("serves the build it started with: what a rebuild writes under it is not served, and it goes on answering", async () => {
  const name = `later-build-${crypto.randomUUID()}.txt`;
  const added = join("build", "client", name);
  writeFileSync(added, "written by a later build");
  try {
    // wrangler watched the assets folder and reloaded the Worker on such a change (debounced),
    // then served the new file; a POST in flight during the reload was answered 503.
    await new Promise((resolve) => setTimeout(resolve, 1_500));
    expect((await fetch(new URL(`/${name}`, e2e.stack.appUrl))).status).toBe(404);
    expect((await fetch(new URL("/healthz", e2e.stack.appUrl))).status).toBe(200);
  } finally {
    rmSync(added, { force: true });
  }
});
