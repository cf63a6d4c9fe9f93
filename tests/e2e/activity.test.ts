import { expect, it } from "vitest";
import { expectNoErrors, journey, screenshot } from "./browser";
import { connectGitHub, newGitHubUser, signIn } from "./journeys";
import { connectClient } from "./mcp-client";

const e2e = journey();

/** A note whose name and text try to run code in the person's browser. */
const HOSTILE_FILE = "<img src=x onerror=alert(1)>.md";
const HOSTILE_TEXT = "# Trip\\n\\n<img src=x onerror=alert(2)><script>alert(3)</script>\\n\\n- pack **boots**\\n";

it("shows the AI's change in Activity, its diff, and the file browser, without running the repo's HTML", async () => {
  const { stack } = e2e;
  const watched = await e2e.newPage();
  const { page } = watched;
  const dialogs: string[] = [];
  page.on("dialog", async (dialog) => {
    dialogs.push(dialog.message());
    await dialog.dismiss();
  });
  const login = await newGitHubUser(stack, ["ctx"]);
  await signIn(page, stack, `${login}@example.com`);
  await connectGitHub(page, stack, login, ["ctx"], "ctx");

  // The AI writes through ctx_bash: sync.sh commits it as the bot and pushes it to GitHub.
  const client = await connectClient(page, stack.appUrl, "Claude");
  const written = await client.callTool({
    name: "ctx_bash",
    arguments: {
      command: `printf '${HOSTILE_TEXT}' > 'knowledge/${HOSTILE_FILE}' && printf 'Keep it short.\\n' >> resources/instructions.md`,
      comment: "Remember the trip",
    },
  });
  expect(written.isError, JSON.stringify(written.content)).toBeFalsy();
  await client.close();
  const [commit] = await stack.github.commits(`${login}/ctx`, "main", 1);
  expect(commit?.author.name).toBe("ctx4-ai[bot]");

  // The dashboard's repository link opens the memory here, not on GitHub.
  await page.goto(`${stack.appUrl}/me`);
  await page.getByRole("link", { name: "Activity", exact: true }).first().click();
  await page.waitForURL(/\/activity$/);
  const row = page.getByRole("listitem").filter({ hasText: commit?.sha.slice(0, 7) ?? "" });
  await row.getByText("Your AI").waitFor();
  await row.getByText(`knowledge/${HOSTILE_FILE}`).waitFor();
  await row.getByText("resources/instructions.md").waitFor();
  expect(await page.getByText("Initial commit").count()).toBe(1);
  await screenshot(page, "activity-01-list");

  await row.getByRole("link").first().click();
  await page.waitForURL(new RegExp(`/activity/${commit?.sha}$`));
  await page.getByText(`knowledge/${HOSTILE_FILE}`).waitFor();
  await page.getByText("<script>alert(3)</script>").waitFor();
  await page.getByText("Keep it short.").waitFor();
  await page.getByRole("link", { name: "Revert this change" }).waitFor();
  expect(await page.locator("img").count()).toBe(0);
  await screenshot(page, "activity-02-commit-diff");

  await page.getByRole("link", { name: "Files", exact: true }).click();
  await page.waitForURL(/\/files$/);
  await page.getByRole("link", { name: "resources/" }).waitFor();
  await screenshot(page, "activity-03-files-root");
  await page.getByRole("link", { name: "knowledge/" }).click();
  await page.getByRole("link", { name: HOSTILE_FILE }).click();
  await page.getByRole("heading", { name: "Trip" }).waitFor();
  await page.getByText("<img src=x onerror=alert(2)>").waitFor();
  expect(await page.locator("article img, article script").count()).toBe(0);
  await screenshot(page, "activity-04-file-markdown");

  await page.getByRole("link", { name: "memory", exact: true }).click();
  await page.getByRole("link", { name: "resources/" }).click();
  await page.getByRole("link", { name: "instructions.md" }).click();
  await page.getByRole("heading", { name: "Instructions" }).waitFor();
  await page.getByText("Keep it short.").waitFor();
  await screenshot(page, "activity-05-file-instructions");

  expect(dialogs).toEqual([]);
  expectNoErrors(watched);
}, 180_000);
