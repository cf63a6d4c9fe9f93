import { describe, expect, inject, it } from "vitest";
import { onboard } from "../../tests/http-visitor";
import {
  githubControl,
  location,
  Visitor as NewVisitor,
  onboardedVisitor,
  uniqueEmail,
  type Visitor,
} from "../../tests/workerd/visitor";

/** Activity, a commit's page and the file browser, against the GitHub emulator's real repos. */

const HOSTILE_NAME = "knowledge/<img src=x onerror=alert(1)>.md";
const HOSTILE_TEXT =
  "# Hello\n\n<img src=x onerror=alert(1)><script>alert(2)</script>\n\n[click](javascript:alert(3)) ![pic](https://evil.example/p.png)\n";

/** The bot's commit author, as sync.sh signs the AI's commits. */
function bot() {
  const appId = Number(inject("stack").workerVars.GITHUB_APP_ID);
  return { name: "ctx4-ai[bot]", email: `${41_000_000 + appId}+ctx4-ai[bot]@users.noreply.github.com` };
}

/** What a person reads on a page: its text without tags or the data that hydrates it. */
async function read(visitor: Visitor, path: string) {
  const html = await page(visitor, path);
  return html
    .replace(/<script[\s\S]*?<\/script>/g, "")
    .replaceAll("<!-- -->", "")
    .replace(/<[^>]+>/g, " ")
    .replaceAll("&#x27;", "'")
    .replaceAll("&quot;", '"')
    .replaceAll("&lt;", "<")
    .replaceAll("&gt;", ">")
    .replaceAll("&amp;", "&")
    .replace(/\s+/g, " ");
}

/** The page's HTML, once it answered 200. */
async function page(visitor: Visitor, path: string) {
  const response = await visitor.fetch(path);
  expect(response.status, path).toBe(200);
  return response.text();
}

/** The HTML React rendered, without the hydration data (where escaped JSON may hold anything). */
const markup = (html: string) => html.replace(/<script[\s\S]*?<\/script>/g, "");

/** A person with three commits on their repo: theirs, the AI's (named by its trailer) and a collaborator's. */
async function personWithHistory(name: string) {
  const onboarded = await onboardedVisitor(name);
  const fullName = `${onboarded.github.login}/ctx`;
  const control = githubControl();
  const login = onboarded.github.login;
  await control.commitFromWeb(fullName, {
    message: "My own edit",
    author: { name: login, email: `${login}@users.noreply.github.com` },
    files: { "knowledge/mine.md": "mine\n" },
  });
  const ai = await control.commitFromWeb(fullName, {
    message: "Remember the hostile note\n\nWritten through ctx_bash.\n\nCtx4-Client: Claude <b>Code</b>",
    author: bot(),
    files: { [HOSTILE_NAME]: HOSTILE_TEXT, "knowledge/mine.md": "mine\nand more\n" },
  });
  await control.commitFromWeb(fullName, {
    message: "A colleague's fix",
    author: { name: "Someone", email: "someone@example.com" },
    files: { "knowledge/other.md": "other\n" },
  });
  return { ...onboarded, fullName, aiSha: ai.sha };
}

describe("Activity", () => {
  it("lists the commits newest first: who made each, the AI client by name, and the files", async () => {
    const { visitor, aiSha } = await personWithHistory("activity");
    const text = await read(visitor, "/activity");
    const colleague = text.indexOf("A colleague's fix");
    const ai = text.indexOf("Remember the hostile note");
    const mine = text.indexOf("My own edit");
    expect(colleague).toBeGreaterThan(-1);
    expect(colleague).toBeLessThan(ai);
    expect(ai).toBeLessThan(mine);
    expect(text).toContain("Your AI (Claude <b>Code</b>)");
    expect(text).toMatch(/My own edit \w+ You ·/);
    expect(text).toMatch(/A colleague's fix \w+ Someone ·/);
    expect(text).toContain("2 files");
    expect(text).toContain(HOSTILE_NAME);
    expect(text).toContain("Refused writes");
    const html = markup(await page(visitor, "/activity"));
    expect(html).toContain(`href="/activity/${aiSha}"`);
    expect(html).not.toContain("<img src=x");
    expect(html).not.toContain("<b>Code</b>");
  });

  it("pages through older commits", async () => {
    const { visitor, github } = await onboardedVisitor("pages");
    const control = githubControl();
    for (let n = 1; n <= 11; n++) {
      await control.commitFromWeb(`${github.login}/ctx`, {
        message: `Note ${n}`,
        author: bot(),
        files: { [`knowledge/n${n}.md`]: `${n}\n` },
      });
    }
    const first = await read(visitor, "/activity");
    expect(first).toContain("Note 11");
    expect(first).not.toContain("Note 1 ");
    expect(first).toContain("Older");
    const second = await read(visitor, "/activity?page=2");
    expect(second).toContain("Note 1 ");
    expect(second).toContain("Initial commit");
    expect(second).toContain("Newer");
    expect(second).not.toContain("Older");
  });

  it("lists a side branch set aside on a conflict, with what it holds and a form to bring it in", async () => {
    const { visitor, fullName } = await personWithHistory("side");
    const branch = "ctx4-ai/conflict-20261201-031600-abcdef0";
    await githubControl().commitFromWeb(fullName, {
      branch,
      from: "main",
      message: "Set aside: the AI's edit\n\nCtx4-Client: Cursor",
      author: bot(),
      files: { "knowledge/aside.md": "aside\n" },
    });
    const text = await read(visitor, "/activity");
    expect(text).toContain(branch);
    expect(text).toContain("1 commit not on your memory yet · 1 file");
    expect(text).toContain("Set aside: the AI's edit · Your AI (Cursor)");
    expect(text).toContain("knowledge/aside.md");
    const html = await page(visitor, "/activity");
    expect(html).toMatch(
      new RegExp(
        `<form [^>]*action="/activity/branches/bring-in" method="post"><input type="hidden" name="branch" value="${branch}"/>`,
      ),
    );
  });
});

describe("a commit's page", () => {
  it("shows the diff, with hostile names and lines as text, and offers to revert the AI's change", async () => {
    const { visitor, aiSha } = await personWithHistory("diff");
    const html = markup(await page(visitor, `/activity/${aiSha}`));
    expect(html).not.toMatch(/<img|<script|<b>/);
    expect(html).toContain("&lt;img src=x onerror=alert(1)&gt;");
    // The added note, also rendered (from its patch), runs none of its HTML either.
    expect(html).toMatch(
      /<summary[^>]*>Show the note rendered<\/summary><div[^>]*><div class="markdown"><h1>Hello<\/h1>/,
    );
    const text = await read(visitor, `/activity/${aiSha}`);
    expect(text).toContain("Remember the hostile note");
    expect(text).toContain("Written through ctx_bash.");
    expect(text).not.toContain("Ctx4-Client");
    expect(text).toContain("Your AI (Claude <b>Code</b>)");
    expect(text).toContain(`${HOSTILE_NAME} added · +5 −0`);
    expect(text).toContain("knowledge/mine.md modified · +1 −0");
    expect(text).toContain("and more");
    expect(text).toContain("<script>alert(2)</script>");
    expect(html).toContain(`href="/activity/${aiSha}/revert"`);
    expect(text).toContain("Revert this change");
  });

  it("says once, on the revert's own page, that the person's revert landed", async () => {
    const { visitor, aiSha } = await personWithHistory("revert");
    const reverted = await visitor.post(`/activity/${aiSha}/revert`, {});
    expect(reverted.status).toBe(302);
    const to = location(reverted) ?? "";
    const text = await read(visitor, to);
    expect(text).toContain(`Reverted Commit ${aiSha.slice(0, 7)} is undone by a new commit`);
    expect(text).toMatch(/Revert "Remember the hostile note" You \(on ctx4-ai\) ·/);
    expect(text).toContain("Revert this change");
    expect(await read(visitor, to)).not.toContain("is undone by a new commit");
    expect(await read(visitor, "/activity")).toMatch(/Revert "Remember the hostile note" \w+ You \(on ctx4-ai\) ·/);
  });

  it("offers no revert for the person's own commit, and answers 404 for an id the repo does not hold", async () => {
    const { visitor, fullName } = await personWithHistory("own");
    const [, , mine] = await githubControl().commits(fullName, "main", 5);
    expect(await read(visitor, `/activity/${mine?.sha}`)).not.toContain("Revert this change");
    expect((await visitor.fetch(`/activity/${"a".repeat(40)}`)).status).toBe(404);
    expect((await visitor.fetch("/activity/main")).status).toBe(404);
  });
});

describe("the file browser", () => {
  it("lists folders and renders Markdown without running any HTML from the repo", async () => {
    const { visitor, github } = await personWithHistory("files");
    const root = await read(visitor, "/files");
    expect(root).toContain("knowledge/");
    expect(root).toContain("resources/");
    const folder = await read(visitor, "/files/knowledge");
    expect(folder).toContain("mine.md");
    expect(folder).toContain("<img src=x onerror=alert(1)>.md");

    const path = `/files/knowledge/${encodeURIComponent("<img src=x onerror=alert(1)>.md")}`;
    const html = markup(await page(visitor, path));
    expect(html).toMatch(/<h1[^>]*>Hello<\/h1>/);
    expect(html.match(/<img|<script|javascript:|evil\.example/)?.[0]).toBeUndefined();
    expect(await read(visitor, path)).toContain(
      "Hello <img src=x onerror=alert(1)><script>alert(2)</script> click [image: pic]",
    );

    await githubControl().commitFromWeb(`${github.login}/ctx`, {
      message: "Add a picture and a long log",
      author: bot(),
      files: {
        "knowledge/photo.png": "\u0089PNG\u0000\u0001",
        "knowledge/log.txt": "line\n".repeat(60_000),
        "knowledge/list.md": "- item\n".repeat(300),
      },
    });
    expect(await read(visitor, "/files/knowledge/photo.png")).toContain("A binary file (7 bytes), not shown here.");
    expect(await read(visitor, "/files/knowledge/log.txt")).toContain("A large file (293.0 KB), not shown here.");
    const [big] = await githubControl().commits(`${github.login}/ctx`, "main", 1);
    const folded = await page(visitor, `/activity/${big?.sha}`);
    expect(folded).toMatch(/<details class="[^"]*"><summary[^>]*><span[^>]*>knowledge\/list.md<\/span>/);
    expect(folded.split("- item").length).toBeGreaterThan(300);
    expect(folded).not.toContain(">line<");
    const bigText = await read(visitor, `/activity/${big?.sha}`);
    expect(bigText).toContain("knowledge/list.md added · +300 −0 · large, click to show");
    expect(bigText).toContain("Too large to show here (60000 lines changed). See it on GitHub");

    const markdown = markup(await page(visitor, "/files/resources/instructions.md"));
    expect(markdown).toMatch(/<h1[^>]*>Instructions<\/h1>/);
    expect((await visitor.fetch("/files/knowledge/missing.md")).status).toBe(404);
    expect((await visitor.fetch("/files/knowledge/../../etc")).status).toBe(404);
  });

  it("shows an empty repository as an empty memory", async () => {
    const visitor = new NewVisitor();
    await visitor.signIn(uniqueEmail("empty"));
    const control = githubControl();
    const login = `user-${crypto.randomUUID().slice(0, 8)}`;
    await control.createAccount({ login, type: "User" });
    const repo = await control.createRepo(login, "memory", "empty");
    await onboard(visitor, control, login, ["memory"], repo.id);
    expect(await read(visitor, "/files")).toContain("Your memory has no files yet.");
    expect(await read(visitor, "/activity")).toContain("No changes yet.");
    expect((await visitor.fetch("/files/README.md")).status).toBe(404);
  });

  it("opens from the dashboard's repository link", async () => {
    const { visitor, github } = await onboardedVisitor("dashlink");
    const fullName = `${github.login}/ctx`;
    const html = await page(visitor, "/me");
    expect(html).toMatch(new RegExp(`<a [^>]*href="/files"[^>]*>${fullName}</a>`));
    expect(html).toContain(`href="/activity"`);
  });
});

describe("privacy", () => {
  it("gives another signed-in person 404 for the first person's commit and files, and only their own activity", async () => {
    const first = await personWithHistory("owner");
    const second = await onboardedVisitor("snoop");
    expect((await second.visitor.fetch(`/activity/${first.aiSha}`)).status).toBe(404);
    expect((await second.visitor.fetch("/files/knowledge/mine.md")).status).toBe(404);
    const theirs = await read(second.visitor, "/activity");
    expect(theirs).not.toContain("Remember the hostile note");
    expect(theirs).toContain("Initial commit");
  });

  it("sends a person without a repository to onboarding, and a visitor to sign in", async () => {
    const visitor = new NewVisitor();
    await visitor.signIn(uniqueEmail("norepo"));
    for (const path of ["/activity", `/activity/${"a".repeat(40)}`, "/files", "/files/knowledge"]) {
      const response = await visitor.fetch(path);
      expect(response.status, path).toBe(302);
      expect(location(response), path).toBe("/onboarding/connect-github");
    }
    const stranger = new NewVisitor();
    expect(location(await stranger.fetch("/activity"))).toMatch(/^\/login/);
  });
});
