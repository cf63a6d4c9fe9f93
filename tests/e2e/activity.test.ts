import type { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { expect, it } from "vitest";
import { expectNoErrors, journey, screenshot } from "./browser";
import { connectGitHub, newGitHubUser, signIn } from "./journeys";
import { connectClient, textOf } from "./mcp-client";

const e2e = journey();

/** A note whose name and text try to run code in the person's browser. */
const HOSTILE_FILE = "<img src=x onerror=alert(1)>.md";
const HOSTILE_TEXT = "# Trip\\n\\n<img src=x onerror=alert(2)><script>alert(3)</script>\\n\\n- pack **boots**\\n";

/** One ctx_bash call of `client`, which sync.sh commits as the bot (with its Ctx4-Client trailer) and pushes. */
async function bash(client: Client, command: string, comment: string) {
  const written = await client.callTool({ name: "ctx_bash", arguments: { command, comment } });
  expect(written.isError, JSON.stringify(written.content)).toBeFalsy();
}

it("shows the AI's changes in Activity with the client's name, their diff, a revert, and the files, running none of the repo's HTML", async () => {
  const { stack } = e2e;
  const watched = await e2e.newPage();
  const { page } = watched;
  const dialogs: string[] = [];
  page.on("dialog", async (dialog) => {
    dialogs.push(dialog.message());
    await dialog.dismiss();
  });
  const login = await newGitHubUser(stack, ["ctx"]);
  const fullName = `${login}/ctx`;
  await signIn(page, stack, `${login}@example.com`);
  await connectGitHub(page, stack, login, ["ctx"], "ctx");

  const client = await connectClient(page, stack.appUrl, "Claude");
  await bash(
    client,
    `printf '${HOSTILE_TEXT}' > 'knowledge/${HOSTILE_FILE}' && printf 'Keep it short.\\n' >> resources/instructions.md`,
    "Remember the trip",
  );
  const [trip] = await stack.github.commits(fullName, "main", 1);
  await bash(client, "printf 'wrong\\n' > knowledge/scratch.md", "Jot a wrong guess");
  await client.close();
  const [scratch] = await stack.github.commits(fullName, "main", 1);
  expect(scratch?.author.name).toBe("ctx4-ai[bot]");

  // The dashboard leads to Activity, which names the client and the files.
  await page.goto(`${stack.appUrl}/me`);
  await page.getByRole("link", { name: "Activity", exact: true }).first().click();
  await page.waitForURL(/\/activity$/);
  const row = (sha = "") => page.getByRole("listitem").filter({ hasText: sha.slice(0, 7) });
  await row(trip?.sha).getByText("Your AI (Claude)").waitFor();
  await row(trip?.sha).getByText(`knowledge/${HOSTILE_FILE}`).waitFor();
  await row(trip?.sha).getByText("resources/instructions.md").waitFor();
  await row(scratch?.sha).getByText("knowledge/scratch.md").waitFor();
  await screenshot(page, "activity-01-list");

  await row(trip?.sha).getByRole("link").first().click();
  await page.waitForURL(new RegExp(`/activity/${trip?.sha}$`));
  await page.getByText(`knowledge/${HOSTILE_FILE}`).waitFor();
  await page.getByRole("cell", { name: "<img src=x onerror=alert(2)><script>alert(3)</script>" }).waitFor();
  await page.getByRole("cell", { name: "Keep it short." }).waitFor();
  await page.getByText("Show the note rendered").click();
  await page.getByRole("heading", { name: "Trip", exact: true }).waitFor();
  expect(await page.locator("img, main script").count()).toBe(0);
  await screenshot(page, "activity-02-commit-diff");

  // The wrong guess is undone from the web: a confirmation, then a revert commit on GitHub.
  await page.goto(`${stack.appUrl}/activity/${scratch?.sha}`);
  await page.getByRole("link", { name: "Revert this change" }).click();
  await page.getByRole("heading", { name: "Revert this change?" }).waitFor();
  await screenshot(page, "activity-03-confirm-revert");
  await page.getByRole("button", { name: "Revert this change" }).click();
  await page.getByText(`Commit ${scratch?.sha.slice(0, 7)} is undone by a new commit`).waitFor();
  const [revert] = await stack.github.commits(fullName, "main", 1);
  expect(page.url()).toBe(`${stack.appUrl}/activity/${revert?.sha}`);
  expect(await stack.github.readFile(fullName, "knowledge/scratch.md")).toBeUndefined();
  await page.getByText("You (on ctx4-ai)").waitFor();
  await screenshot(page, "activity-04-reverted");

  await page.getByRole("link", { name: "Files", exact: true }).click();
  await page.waitForURL(/\/files$/);
  await page.getByRole("link", { name: "resources/" }).waitFor();
  await screenshot(page, "activity-05-files-root");
  await page.getByRole("link", { name: "knowledge/" }).click();
  expect(await page.getByRole("link", { name: "scratch.md" }).count()).toBe(0);
  await page.getByRole("link", { name: HOSTILE_FILE }).click();
  await page.getByRole("heading", { name: "Trip" }).waitFor();
  await page.getByText("<img src=x onerror=alert(2)>").waitFor();
  expect(await page.locator("article img, article script").count()).toBe(0);
  await screenshot(page, "activity-06-file-markdown");

  await page.getByRole("link", { name: "memory", exact: true }).click();
  await page.getByRole("link", { name: "resources/" }).click();
  await page.getByRole("link", { name: "instructions.md" }).click();
  await page.getByRole("heading", { name: "Instructions" }).waitFor();
  await page.getByText("Keep it short.").waitFor();
  await screenshot(page, "activity-07-file-instructions");

  expect(dialogs).toEqual([]);
  expectNoErrors(watched);
}, 180_000);

it("holds a reviewed client's writes as proposals: one approved lands, one rejected never does, and no one else can see them", async () => {
  const { stack } = e2e;
  const watched = await e2e.newPage();
  const { page } = watched;
  const login = await newGitHubUser(stack, ["ctx"]);
  const fullName = `${login}/ctx`;
  await signIn(page, stack, `${login}@example.com`);
  await connectGitHub(page, stack, login, ["ctx"], "ctx");
  const head = await stack.github.branchHead(fullName);

  const client = await connectClient(page, stack.appUrl, "Cursor", true);
  const proposed = await client.callTool({
    name: "ctx_bash",
    arguments: { command: "printf 'Prefers tea\\n' > knowledge/prefs.md", comment: "Note a preference" },
  });
  expect(textOf(proposed)).toMatch(/AWAITING APPROVAL: .*branch ctx4-ai\/review-[0-9a-f]{16}/);
  expect(await stack.github.branchHead(fullName)).toBe(head);
  // The client reads its own pending change, so it does not make it again.
  const read = await client.callTool({ name: "ctx_read", arguments: { path: "knowledge/prefs.md" } });
  expect(textOf(read)).toContain("Prefers tea");

  await page.goto(`${stack.appUrl}/activity`);
  await page.getByRole("heading", { name: "Waiting for your approval" }).waitFor();
  await page.getByText("Cursor proposes a change").waitFor();
  await screenshot(page, "review-01-activity-proposal");
  await page.getByRole("link", { name: "Review", exact: true }).click();
  await page.waitForURL(/\/activity\/proposals\/[0-9a-f]{16}$/);
  const proposalUrl = page.url();
  await page.getByRole("cell", { name: "Prefers tea" }).waitFor();
  await screenshot(page, "review-02-proposal-diff");
  await page.getByRole("button", { name: "Approve" }).click();
  await page.getByText("Approved Cursor's proposal").waitFor();
  await screenshot(page, "review-03-approved");
  expect(await stack.github.readFile(fullName, "knowledge/prefs.md")).toBe("Prefers tea\n");

  // A second proposal, rejected: it never reaches the default branch.
  const second = await client.callTool({
    name: "ctx_bash",
    arguments: { command: "printf 'Hates tea\\n' > knowledge/prefs.md", comment: "Change my mind" },
  });
  expect(textOf(second)).toContain("AWAITING APPROVAL");
  await client.close();
  const approvedHead = await stack.github.branchHead(fullName);
  await page.goto(proposalUrl);
  await page.getByRole("cell", { name: "Hates tea" }).waitFor();
  await page.getByRole("button", { name: "Reject" }).click();
  await page.getByText("Rejected Cursor's proposal").waitFor();
  await screenshot(page, "review-04-rejected");
  expect(await stack.github.branchHead(fullName)).toBe(approvedHead);
  expect(await stack.github.readFile(fullName, "knowledge/prefs.md")).toBe("Prefers tea\n");
  expect((await page.goto(proposalUrl))?.status()).toBe(404);

  // The person can turn review off on /me; the dashboard says which clients are reviewed.
  await page.goto(`${stack.appUrl}/me`);
  await page.getByText("Writes await your approval").waitFor();
  await screenshot(page, "review-05-me");
  await page.getByRole("button", { name: "Stop reviewing Cursor's writes" }).click();
  await page.getByText("Cursor's writes go straight to your memory again.").waitFor();
  await page.getByText("Read and write").waitFor();

  // Another person finds none of it: the proposal's page is not there for them.
  const other = await e2e.newPage();
  const otherLogin = await newGitHubUser(stack, ["ctx"]);
  await signIn(other.page, stack, `${otherLogin}@example.com`);
  await connectGitHub(other.page, stack, otherLogin, ["ctx"], "ctx");
  const client2 = await connectClient(page, stack.appUrl, "Cursor", true);
  await client2.callTool({ name: "ctx_bash", arguments: { command: "echo x > x.md", comment: "x" } });
  await client2.close();
  await page.goto(`${stack.appUrl}/activity`);
  await page.getByRole("link", { name: "Review", exact: true }).click();
  await page.waitForURL(/\/activity\/proposals\/[0-9a-f]{16}$/);
  const theirs = page.url();
  expect((await other.page.goto(theirs))?.status()).toBe(404);
  const post = await other.page.request.post(theirs, { form: { intent: "reject" }, headers: { origin: stack.appUrl } });
  expect(post.status()).toBe(404);
  await page.reload();
  await page.getByRole("button", { name: "Approve" }).waitFor();

  const notFound = (url: string) =>
    `${url}: Failed to load resource: the server responded with a status of 404 (Not Found)`;
  expectNoErrors(watched, [notFound(proposalUrl)]);
  expectNoErrors(other, [notFound(theirs)]);
}, 300_000);
