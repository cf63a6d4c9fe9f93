/**
 * The accounts and repositories the emulator starts with. Fixed ids keep URLs and payloads
 * stable between runs. `acme` holds more than 100 repositories so that callers must follow
 * pagination; their bare repositories are only created when first used, to keep start-up fast.
 */

export type AccountType = "User" | "Organization";
/**
 * A user or an organisation. An organisation's `owners` (GitHub's role "owner") reach all its
 * repositories; its `members` (role "member") reach only those they were granted, as with the
 * base permission "No permission". Users have neither.
 */
export type Account = {
  login: string;
  id: number;
  type: AccountType;
  name: string;
  owners: string[];
  members: string[];
};
export type RepoContent = "ctx" | "readme" | "empty";
export type RepoSeed = { id: number; owner: string; name: string; description: string; content: RepoContent };

export const ACCOUNTS: Account[] = [
  { login: "alice", id: 1001, type: "User", name: "Alice Liddell", owners: [], members: [] },
  { login: "bob", id: 1002, type: "User", name: "Bob Builder", owners: [], members: [] },
  { login: "acme", id: 2001, type: "Organization", name: "Acme Corp", owners: ["alice"], members: [] },
];

/** How many numbered repositories `acme` has: more than GitHub's largest page of 100. */
const ACME_REPO_COUNT = 120;

/** Ids of accounts created later (control API) start here, after every seeded id. */
export const FIRST_CREATED_ACCOUNT_ID = 3001;

/** Ids of repositories created later (control API) start here, after every seeded id. */
export const FIRST_CREATED_REPO_ID = 600_000;

export const SEED_REPOS: RepoSeed[] = [
  { id: 500_001, owner: "alice", name: "ctx", description: "Alice's AI memory", content: "ctx" },
  { id: 500_002, owner: "alice", name: "empty", description: "Nothing here yet", content: "empty" },
  { id: 500_003, owner: "alice", name: "notes", description: "Plain notes", content: "readme" },
  { id: 500_004, owner: "bob", name: "ctx", description: "Bob's AI memory", content: "ctx" },
  { id: 500_005, owner: "acme", name: "ctx", description: "Acme's shared memory", content: "ctx" },
  ...Array.from({ length: ACME_REPO_COUNT }, (_, index) => ({
    id: 510_001 + index,
    owner: "acme",
    name: `service-${String(index + 1).padStart(3, "0")}`,
    description: `Acme service number ${index + 1}`,
    content: "readme" as const,
  })),
];

/** The files of a repository made from the ctx template, as our product expects to find them. */
const CTX_TEMPLATE: Record<string, string> = {
  "README.md": "# ctx\n\nThis repository is the memory of an AI assistant, kept by ctx4-ai.\n",
  "resources/instructions.md": [
    "# Instructions",
    "",
    "- Read `resources/context.md` before answering questions about me.",
    "- Keep notes short; put long material under `knowledge/`.",
    "",
  ].join("\n"),
  "resources/context.md": "# Context\n\nI am a software engineer who likes small, well-tested programs.\n",
  "resources/projects.md": [
    "---",
    "name: projects",
    "description: The projects I am working on and their status",
    "---",
    "",
    "# Projects",
    "",
    "- ctx4-ai: memory for AI assistants",
    "",
  ].join("\n"),
  "resources/preferences.md": [
    "---",
    "name: preferences",
    "description: How I like answers written",
    "---",
    "",
    "# Preferences",
    "",
    "Short sentences. Code over prose.",
    "",
  ].join("\n"),
  "resources/people.md": [
    "---",
    "name: people",
    "description: People I work with",
    "---",
    "",
    "# People",
    "",
    "- Bob: reviews my pull requests.",
    "",
  ].join("\n"),
  "skills/weekly-review/SKILL.md": [
    "---",
    "name: weekly-review",
    "description: Summarise the week from the notes in knowledge/",
    "---",
    "",
    "# Weekly review",
    "",
    "1. List the files in `knowledge/` changed this week.",
    "2. Summarise each in one line.",
    "",
  ].join("\n"),
  "skills/commit-message/SKILL.md": [
    "---",
    "name: commit-message",
    "description: Write a commit message in the house style",
    "---",
    "",
    "# Commit message",
    "",
    "Imperative mood, at most 72 characters in the first line.",
    "",
  ].join("\n"),
  "knowledge/README.md": "# Knowledge\n\nLonger notes live here, one topic per file.\n",
  "knowledge/git.md": "# Git\n\nRebase before pushing; never force-push a shared branch.\n",
};

export function seedFiles(content: RepoContent, repoName: string): Record<string, string> | undefined {
  if (content === "ctx") return CTX_TEMPLATE;
  if (content === "readme") return { "README.md": `# ${repoName}\n` };
  return undefined;
}
