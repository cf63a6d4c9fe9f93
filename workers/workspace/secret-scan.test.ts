import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { connectDatabase } from "../../app/lib/db/client.server";
import { allowSecretFinding, listSecretFindings } from "../../app/lib/db/queries.server";
import { mintRepoToken } from "../../app/lib/github/app.server";
import { awsPair, githubToken, privateKeyPem, slackToken, write } from "../../tests/test-secrets";
import { connectedUser, execInSandbox } from "../../tests/workerd/connected-user";
import { bashResultText } from "../mcp/format";
import { advertisedRefs } from "./remote-head";
import { addedFiles, findSecrets } from "./secret-scan";

/** Every ref GitHub (the emulator) has for the repo, from git's own ref advertisement. */
async function githubRefs(user: Awaited<ReturnType<typeof connectedUser>>): Promise<Map<string, string>> {
  const { token } = await mintRepoToken(env, user.installation.id, user.repo.id);
  const response = await fetch(`${user.repo.clone_url.replace(/\/+$/, "")}/info/refs?service=git-upload-pack`, {
    headers: { authorization: `Basic ${btoa(`x-access-token:${token}`)}` },
  });
  const refs = advertisedRefs(new Uint8Array(await response.arrayBuffer()));
  if (!refs) throw new Error("no ref advertisement");
  refs.delete("HEAD");
  return refs;
}

async function findingsOf(userId: string) {
  const database = connectDatabase(env.HYPERDRIVE.connectionString);
  try {
    return await listSecretFindings(database.db, userId);
  } finally {
    await database.close();
  }
}

async function allow(userId: string, findingId: string) {
  const database = connectDatabase(env.HYPERDRIVE.connectionString);
  try {
    return await allowSecretFinding(database.db, userId, findingId);
  } finally {
    await database.close();
  }
}

describe("no secrets reach GitHub", () => {
  it("refuses a private key, a GitHub token, an AWS key pair and a Slack token: GitHub never has them, the result names file:line masked", async () => {
    const user = await connectedUser();
    await user.workspace.bash({ command: "true" });
    const before = await githubRefs(user);
    const [key, token, aws, slack] = [await privateKeyPem(), githubToken(), awsPair(), slackToken()];
    const command = [
      write("keys/deploy.pem", key),
      write("notes/github.md", `# GitHub\n\nMy token is ${token}\n`),
      write("notes/aws.md", `# AWS\n\naws_access_key_id = ${aws.id}\naws_secret_access_key = ${aws.secret}\n`),
      write("notes/slack.md", `# Slack\n\nbot: ${slack}\n`),
    ].join(" && ");
    const result = await user.workspace.bash({ command, comment: "Keys" });

    expect(result).toMatchObject({ ran: true, exitCode: 0, commit: null, publish: { state: "refused" } });
    expect(await githubRefs(user)).toEqual(before);
    const { text, isError } = bashResultText(result);
    expect(isError).toBe(true);
    expect(text).toContain("NOT PUSHED");
    expect(text).toMatch(/keys\/deploy\.pem:1: privatekey\/PrivateKey/);
    expect(text).toMatch(/notes\/github\.md:3: github\/GITHUB_TOKEN/);
    expect(text).toMatch(/notes\/aws\.md:4: aws\/AWSSecretAccessKey/);
    expect(text).toMatch(/notes\/slack\.md:3: slack\/SLACK_TOKEN/);
    expect(text).toContain("/activity/findings");
    for (const secret of [token, aws.secret, slack, key.split("\n")[1] ?? ""]) expect(text).not.toContain(secret);
    expect(text).toContain(`${token.slice(0, 4)}****`);

    // Kept in the clone, uncommitted, for the AI to fix.
    const status = await execInSandbox(user.userId, "cd repo && git status --porcelain && git log --format=%s -1");
    expect(status).toContain("keys/deploy.pem");
    expect(status).toContain("notes/github.md");
    expect(status).toContain("Initial commit");

    const listed = await findingsOf(user.userId);
    expect(listed.map((finding) => `${finding.path}:${finding.line} ${finding.rule}`).sort()).toEqual([
      "keys/deploy.pem:1 privatekey/PrivateKey",
      "notes/aws.md:4 aws/AWSSecretAccessKey",
      "notes/github.md:3 github/GITHUB_TOKEN",
      "notes/slack.md:3 slack/SLACK_TOKEN",
    ]);
    for (const finding of listed) {
      for (const secret of [token, aws.secret, slack]) expect(JSON.stringify(finding)).not.toContain(secret);
    }

    // The next command is refused too until the secret is gone; then the rest is pushed.
    const again = await user.workspace.bash({ command: "echo more >> notes/other.md" });
    expect(again).toMatchObject({ ran: true, publish: { state: "refused" } });
    expect(await githubRefs(user)).toEqual(before);
    const fixed = await user.workspace.bash({
      command:
        "rm keys/deploy.pem notes/aws.md notes/slack.md && sed -i 's/ghp_[A-Za-z0-9]*/<in the password manager>/' notes/github.md",
      comment: "Remove secrets",
    });
    expect(fixed).toMatchObject({ ran: true, publish: { state: "pushed" } });
    expect(await user.control.readFile(user.repo.full_name, "notes/github.md")).toBe(
      "# GitHub\n\nMy token is <in the password manager>\n",
    );
    expect(await user.control.readFile(user.repo.full_name, "notes/other.md")).toBe("more\n");
    expect(await findingsOf(user.userId)).toEqual([]);
  });

  it("scans every commit a command made, its side branches and its stash: a secret added then removed is never pushed", async () => {
    const user = await connectedUser();
    await user.workspace.bash({ command: "true" });
    const before = await githubRefs(user);
    const token = githubToken();
    const command = [
      write("notes/a.md", `token ${token}\n`),
      "git add -A && git commit -qm 'add' -m 'Ctx4-Client: Some AI'",
      "git rm -q notes/a.md && git commit -qm 'remove'",
      "git checkout -qb topic",
      write("notes/b.md", `again ${githubToken()}\n`),
      "git add -A && git commit -qm 'topic' && git checkout -q main",
      write("notes/c.md", `stashed ${githubToken()}\n`),
      "git stash -u -q",
    ].join(" && ");
    const result = await user.workspace.bash({ command });
    expect(result).toMatchObject({ ran: true, exitCode: 0, publish: { state: "refused" } });
    if (!result.ran || result.publish.state !== "refused") return;
    expect(
      result.publish.refusal.findings
        .map(({ path, client }) => ({ path, client }))
        .sort((a, b) => a.path.localeCompare(b.path)),
    ).toEqual([
      { path: "notes/a.md", client: "Some AI" },
      { path: "notes/b.md", client: null },
      { path: "notes/c.md", client: null },
    ]);
    expect(await githubRefs(user)).toEqual(before);
    expect(result.setAside).toEqual([]);
  });

  it("scans the files of a clone that lost its .git before setting them aside: a secret there stays in the sandbox", async () => {
    const user = await connectedUser();
    await user.workspace.bash({ command: "true" });
    const before = await githubRefs(user);
    const result = await user.workspace.bash({
      command: `${write("notes/key.md", `${githubToken()}\n`)} && rm -rf .git`,
    });
    expect(result).toMatchObject({ ran: true, publish: { state: "refused" }, setAside: [] });
    if (!result.ran || result.publish.state !== "refused") return;
    expect(result.publish.refusal.findings).toMatchObject([{ path: "notes/key.md", line: 1 }]);
    expect(await githubRefs(user)).toEqual(before);
    expect(await execInSandbox(user.userId, "cat lost+found/repo-*/notes/key.md")).toMatch(/^ghp_/);

    const clean = await user.workspace.bash({ command: `echo kept > kept.md && rm -rf .git` });
    expect(clean).toMatchObject({ ran: true, setAside: [{ why: "recovered" }] });
  });

  it("does not revert from the web while the workspace holds a refused write: nothing of either reaches GitHub", async () => {
    const user = await connectedUser();
    const note = await user.workspace.bash({ command: "echo note > note.md", comment: "Note" });
    if (!note.ran || note.publish.state !== "pushed") throw new Error("no commit to revert");
    const refused = await user.workspace.bash({ command: write("notes/key.md", `${githubToken()}\n`) });
    expect(refused).toMatchObject({ ran: true, publish: { state: "refused" } });
    const before = await githubRefs(user);

    const outcome = await user.workspace.revert(note.publish.sha);
    expect(outcome).toMatchObject({ state: "failed", problem: expect.stringContaining("looks like a secret") });
    expect(await githubRefs(user)).toEqual(before);
  });

  it("reads a long line's first 4096 bytes: a token there is refused", async () => {
    const user = await connectedUser();
    const token = githubToken();
    const result = await user.workspace.bash({
      command: write("notes/long.md", `${token} ${"x".repeat(10_000)}\n`),
    });
    expect(result).toMatchObject({ ran: true, publish: { state: "refused" } });
    const text = result.ran ? bashResultText(result).text : "";
    expect(text).toMatch(/notes\/long\.md:1: github\/GITHUB_TOKEN/);
    expect(text).not.toContain("2 MiB");
  });

  it("scans the first 2 MiB of what a change adds, and says so when it adds more", async () => {
    const user = await connectedUser();
    const result = await user.workspace.bash({
      command: "yes 'An ordinary line of notes, nothing secret in it.' | head -c 3145728 > big.md",
    });
    expect(result).toMatchObject({ ran: true, exitCode: 0, publish: { state: "pushed" } });
    expect(result.ran ? bashResultText(result).text : "").toContain("only the first 2 MiB were scanned for secrets");
  });

  it("lets ordinary notes through: password policy, token budget, a base64 image, UUIDs, git shas", async () => {
    const user = await connectedUser();
    const image = btoa(String.fromCharCode(...crypto.getRandomValues(new Uint8Array(3000))));
    const note = [
      "# Work notes",
      "",
      "- The password policy asks for 12 characters and a passphrase.",
      "- Token budget: 200k tokens per day for the assistant; API key rotation is monthly.",
      `- Ticket ${crypto.randomUUID()} and ${crypto.randomUUID()}.`,
      "- Fixed in commit 114b8ab6c1e0d2f3a4b5c6d7e8f9a0b1c2d3e4f5 (see git log).",
      "- secret: see the vault; password: (ask Sam)",
      "",
      `![diagram](data:image/png;base64,${image})`,
      "",
    ].join("\n");
    const result = await user.workspace.bash({ command: write("knowledge/work.md", note), comment: "Work notes" });
    expect(result).toMatchObject({ ran: true, publish: { state: "pushed" } });
    expect(await user.control.readFile(user.repo.full_name, "knowledge/work.md")).toBe(note);
  });

  it("pushes a finding the person allowed; another user can neither see nor allow it", async () => {
    const user = await connectedUser();
    const other = await connectedUser();
    const sample = `Example from the docs: ${githubToken()}\n`;
    const refused = await user.workspace.bash({ command: write("notes/example.md", sample), comment: "Example" });
    expect(refused).toMatchObject({ ran: true, publish: { state: "refused" } });
    const [finding] = await findingsOf(user.userId);
    if (!finding) throw new Error("no finding recorded");
    expect(finding).toMatchObject({ path: "notes/example.md", line: 1, rule: "github/GITHUB_TOKEN" });
    expect(finding.excerpt).toMatch(/^Example from the docs: ghp_\*+$/);

    expect(await findingsOf(other.userId)).toEqual([]);
    expect(await allow(other.userId, finding.id)).toBeUndefined();
    expect(await findingsOf(user.userId)).toHaveLength(1);

    expect(await allow(user.userId, finding.id)).toMatchObject({ fingerprint: finding.fingerprint });
    const pushed = await user.workspace.bash({ command: "true" });
    expect(pushed).toMatchObject({ ran: true, publish: { state: "pushed" } });
    expect(await user.control.readFile(user.repo.full_name, "notes/example.md")).toBe(sample);
    expect(await findingsOf(user.userId)).toEqual([]);
  });
});

describe("reading what a push adds", () => {
  it("finds an AWS secret key whatever its last character, once, and shows no more of it than its first four", async () => {
    const ending = (last: string) => `${awsPair().secret.slice(0, 39)}${last}`;
    const [slash, plus, letter] = [ending("/"), ending("+"), ending("Q")];
    const files = [
      {
        commit: "c".repeat(40),
        client: null,
        path: "notes/aws.md",
        lines: [
          { line: 1, text: `aws_secret_access_key = ${slash}` },
          { line: 2, text: `AWS_SECRET_ACCESS_KEY: ${plus} (rotated)` },
          { line: 3, text: `aws_secret_access_key="${letter}"` },
          { line: 4, text: "aws_secret_access_key = wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY" },
        ],
      },
    ];
    const findings = await findSecrets(files);
    expect(findings.map((finding) => `${finding.line} ${finding.rule}`).sort()).toEqual([
      "1 aws/AWSSecretAccessKey",
      "2 aws/AWSSecretAccessKey",
      "3 aws/AWSSecretAccessKey",
    ]);
    for (const [finding, key] of [
      [findings.find((found) => found.line === 1), slash],
      [findings.find((found) => found.line === 2), plus],
      [findings.find((found) => found.line === 3), letter],
    ] as const) {
      expect(finding?.excerpt).toContain(`${key.slice(0, 4)}****`);
      for (let at = 4; at + 4 <= key.length; at += 1) expect(finding?.excerpt).not.toContain(key.slice(at, at + 4));
    }
  });

  it("takes no line of a file's text for a header, reads C-quoted paths, and masks every match on a line", async () => {
    const mark = "0123456789abcdef01234567";
    const [first, second] = [githubToken(), githubToken()];
    const diff = [
      `${mark} ${"a".repeat(40)} Claude Code`,
      "diff --git a/notes/a.md b/notes/a.md",
      "--- a/notes/a.md",
      "+++ b/notes/a.md",
      "@@ -1,2 +1,3 @@",
      "---- removed",
      "-+++ b/fake.md",
      "++++ b/forged.md",
      "+@@ -1 +1,900 @@",
      `+both ${first} and ${second}`,
      "\\ No newline at end of file",
      `${mark} ${"b".repeat(40)}`,
      '+++ "b/caf\\303\\251\\nline.md"',
      "@@ -0,0 +7 @@",
      "+seven",
    ].join("\n");
    const files = addedFiles({ commits: [], mark, diff, cut: false });
    expect(files).toEqual([
      {
        commit: "a".repeat(40),
        client: "Claude Code",
        path: "notes/a.md",
        lines: [
          { line: 1, text: "+++ b/forged.md" },
          { line: 2, text: "@@ -1 +1,900 @@" },
          { line: 3, text: `both ${first} and ${second}` },
        ],
      },
      { commit: "b".repeat(40), client: null, path: "café\nline.md", lines: [{ line: 7, text: "seven" }] },
    ]);
    const findings = await findSecrets(files);
    expect(findings).toHaveLength(2);
    for (const finding of findings) {
      expect(finding).toMatchObject({ path: "notes/a.md", line: 3, client: "Claude Code" });
      expect(finding.excerpt).toBe("both ghp_**************** and ghp_****************");
    }
  });
});
