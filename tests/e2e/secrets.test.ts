import { expect, it } from "vitest";
import { githubToken, privateKeyPem, write } from "../test-secrets";
import { expectNoErrors, journey, screenshot } from "./browser";
import { connectGitHub, newGitHubUser, signIn } from "./journeys";
import { connectClient, textOf } from "./mcp-client";

const e2e = journey();

it("refuses a write holding a private key, GitHub never sees it; a false positive is allowed from the page and then lands", async () => {
  const { stack } = e2e;
  const watched = await e2e.newPage();
  const { page } = watched;
  const login = await newGitHubUser(stack, ["ctx"]);
  await signIn(page, stack, `${login}@example.com`, "code");
  await connectGitHub(page, stack, login, ["ctx"], "ctx");
  const client = await connectClient(page, stack.appUrl, "Secrets e2e client");
  const repo = `${login}/ctx`;
  const head = await stack.github.branchHead(repo);

  const key = await privateKeyPem();
  const refused = await client.callTool({
    name: "ctx_bash",
    arguments: { command: write("keys/server.pem", key), comment: "Keep the server key" },
  });
  expect(refused.isError).toBe(true);
  expect(textOf(refused)).toContain("keys/server.pem:1: privatekey/PrivateKey");
  expect(textOf(refused)).not.toContain(key.split("\n")[1]);
  expect(await stack.github.branchHead(repo)).toBe(head);
  expect(await stack.github.readFile(repo, "keys/server.pem")).toBeUndefined();

  await page.goto(`${stack.appUrl}/activity/findings`);
  await page.getByText("keys/server.pem:1").waitFor();
  await page.getByText("-----BEGIN PRIVATE KEY-----").waitFor();
  await screenshot(page, "findings-01-private-key");

  const fixed = await client.callTool({
    name: "ctx_bash",
    arguments: { command: "rm keys/server.pem", comment: "Drop the key" },
  });
  expect(fixed.isError, textOf(fixed)).toBeFalsy();
  const example = `# API\n\nThe docs' sample token: ${githubToken()}\n`;
  const sample = await client.callTool({
    name: "ctx_bash",
    arguments: { command: write("notes/api.md", example), comment: "API notes" },
  });
  expect(sample.isError).toBe(true);
  expect(textOf(sample)).toContain("notes/api.md:3: github/GITHUB_TOKEN");

  await page.goto(`${stack.appUrl}/activity/findings`);
  await page.getByText("notes/api.md:3").waitFor();
  expect(await page.getByText("keys/server.pem").count()).toBe(0);
  await screenshot(page, "findings-02-sample-token");
  await page.getByRole("button", { name: "Allow: it is not a secret" }).click();
  await page.getByText("is allowed from now on").waitFor();
  await screenshot(page, "findings-03-allowed");

  const landed = await client.callTool({ name: "ctx_bash", arguments: { command: "true" } });
  expect(landed.isError, textOf(landed)).toBeFalsy();
  expect(await stack.github.readFile(repo, "notes/api.md")).toBe(example);
  expect(await stack.github.readFile(repo, "keys/server.pem")).toBeUndefined();
  await page.goto(`${stack.appUrl}/activity/findings`);
  await page.getByText("Nothing is refused now.").waitFor();
  expectNoErrors(watched);
  await client.close();
});
