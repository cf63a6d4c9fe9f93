import { createHash, randomBytes } from "node:crypto";
import { mkdirSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { z } from "zod";
import {
  ACCOUNTS,
  type Account,
  FIRST_CREATED_ACCOUNT_ID,
  FIRST_CREATED_REPO_ID,
  type RepoContent,
  SEED_REPOS,
} from "./seed";

/**
 * Everything the emulator knows, in memory, with the durable part (installations, tokens,
 * created repositories) written to `<dataDir>/state.json` after each change so that
 * `npm run dev` survives a restart. Tokens and codes are kept only as SHA-256 hashes:
 * the state file never holds a usable credential.
 */

const permissionLevelSchema = z.enum(["read", "write", "admin"]);
export const permissionsSchema = z.record(z.string(), permissionLevelSchema);
export type Permissions = z.infer<typeof permissionsSchema>;

/** What our App asks for on its settings page: read and write its repos' contents. */
export const APP_PERMISSIONS: Permissions = { contents: "write", metadata: "read" };
export const APP_EVENTS = ["push"];

const repoSchema = z.object({
  id: z.number(),
  owner: z.string(),
  name: z.string(),
  description: z.string(),
  content: z.enum(["ctx", "readme", "empty"]),
  createdAt: z.string(),
  /** Users granted access to this repo beyond its owners (GitHub's repository collaborators). */
  collaborators: z.array(z.string()).default([]),
});
const installationSchema = z.object({
  id: z.number(),
  account: z.string(),
  repositorySelection: z.enum(["all", "selected"]),
  repositoryIds: z.array(z.number()),
  permissions: permissionsSchema,
  createdAt: z.string(),
  updatedAt: z.string(),
  suspendedAt: z.string().nullable(),
});
const tokenSchema = z.object({
  hash: z.string(),
  kind: z.enum(["installation", "user", "refresh"]),
  expiresAt: z.number(),
  installationId: z.number().optional(),
  login: z.string().optional(),
  permissions: permissionsSchema.optional(),
  repositoryIds: z.array(z.number()).optional(),
  /** On a refresh token: the hash of the user token issued with it, which dies when it is used. */
  pairedWith: z.string().optional(),
});
const accountSchema = z.object({
  login: z.string(),
  id: z.number(),
  type: z.enum(["User", "Organization"]),
  name: z.string(),
  owners: z.array(z.string()).default([]),
  members: z.array(z.string()),
});
const persistedSchema = z.object({
  accounts: z.array(accountSchema).default([]),
  nextInstallationId: z.number(),
  nextRepoId: z.number(),
  repos: z.array(repoSchema),
  installations: z.array(installationSchema),
  tokens: z.array(tokenSchema),
});

export type Repo = z.infer<typeof repoSchema>;
export type Installation = z.infer<typeof installationSchema>;
export type Token = z.infer<typeof tokenSchema>;
export type OAuthCode = { login: string; clientId: string; expiresAt: number };

const CODE_TTL_MS = 10 * 60 * 1000;
const ALPHANUMERIC = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";

function hashSecret(value: string): string {
  return createHash("sha256").update(value).digest("hex");
}

/** `ghs_`/`ghu_`/`ghr_` plus 36 alphanumerics, like GitHub's own tokens. */
function newToken(prefix: "ghs" | "ghu" | "ghr"): string {
  const bytes = randomBytes(36);
  let body = "";
  for (const byte of bytes) body += ALPHANUMERIC[byte % ALPHANUMERIC.length];
  return `${prefix}_${body}`;
}

export class EmulatorState {
  readonly accounts = new Map<string, Account>(ACCOUNTS.map((account) => [account.login.toLowerCase(), account]));
  private readonly repos = new Map<number, Repo>();
  private readonly installations = new Map<number, Installation>();
  private readonly tokens = new Map<string, Token>();
  /** Hashes of every token issued since this process started, revoked and expired ones too. */
  private readonly issued = new Set<string>();
  private readonly codes = new Map<string, OAuthCode>();
  private nextInstallationId = 70_000_001;
  private nextRepoId = FIRST_CREATED_REPO_ID;
  private readonly createdAccounts: Account[] = [];
  private readonly file: string;

  constructor(dataDir: string) {
    mkdirSync(dataDir, { recursive: true });
    this.file = join(dataDir, "state.json");
    const epoch = new Date(Date.UTC(2024, 0, 1)).toISOString();
    for (const seed of SEED_REPOS) this.repos.set(seed.id, { ...seed, createdAt: epoch, collaborators: [] });
    this.load();
  }

  account(login: string): Account | undefined {
    return this.accounts.get(login.toLowerCase());
  }

  /** Accounts a signed-in user may install on or see installations of: themselves and their orgs. */
  accountsOf(login: string): Account[] {
    const user = this.account(login);
    if (user?.type !== "User") return [];
    const belongs = (account: Account) => account.owners.includes(user.login) || account.members.includes(user.login);
    return [user, ...[...this.accounts.values()].filter(belongs)];
  }

  /** A new user or organisation, as signing up on github.com makes one. */
  createAccount(login: string, type: Account["type"], roles: Pick<Account, "owners" | "members">): Account {
    const account: Account = {
      login,
      id: FIRST_CREATED_ACCOUNT_ID + this.createdAccounts.length,
      type,
      name: login,
      ...roles,
    };
    this.createdAccounts.push(account);
    this.accounts.set(login.toLowerCase(), account);
    this.save();
    return account;
  }

  users(): Account[] {
    return [...this.accounts.values()].filter((account) => account.type === "User");
  }

  repo(owner: string, name: string): Repo | undefined {
    const full = `${owner}/${name}`.toLowerCase();
    return [...this.repos.values()].find((repo) => `${repo.owner}/${repo.name}`.toLowerCase() === full);
  }

  repoById(id: number): Repo | undefined {
    return this.repos.get(id);
  }

  reposOf(owner: string): Repo[] {
    return [...this.repos.values()]
      .filter((repo) => repo.owner.toLowerCase() === owner.toLowerCase())
      .sort((a, b) => a.id - b.id);
  }

  createRepo(owner: Account, name: string, content: RepoContent, description = ""): Repo {
    const repo: Repo = {
      id: this.nextRepoId++,
      owner: owner.login,
      name,
      description,
      content,
      createdAt: new Date().toISOString(),
      collaborators: [],
    };
    this.repos.set(repo.id, repo);
    this.save();
    return repo;
  }

  /**
   * Whether `login` can open `repo` on github.com: it is theirs, they own its organisation, or
   * they were granted it. A plain organisation member has no access of their own (the base
   * permission "No permission"): https://docs.github.com/organizations/managing-user-access-to-your-organizations-repositories/managing-repository-roles/setting-base-permissions-for-an-organization
   */
  canAccess(login: string, repo: Repo): boolean {
    const user = login.toLowerCase();
    const owner = this.account(repo.owner);
    return (
      repo.owner.toLowerCase() === user ||
      (owner?.owners.some((name) => name.toLowerCase() === user) ?? false) ||
      repo.collaborators.some((name) => name.toLowerCase() === user)
    );
  }

  /** Grants or takes away one user's access to a repo, as its settings page on github.com does. */
  setCollaborator(repo: Repo, user: Account, granted: boolean): void {
    const others = repo.collaborators.filter((name) => name !== user.login);
    repo.collaborators = granted ? [...others, user.login] : others;
    this.save();
  }

  /** Deletes a repository, as its owner can on github.com: installations stop reaching it. */
  deleteRepo(repo: Repo): void {
    this.repos.delete(repo.id);
    for (const installation of this.installations.values()) {
      installation.repositoryIds = installation.repositoryIds.filter((id) => id !== repo.id);
    }
    this.save();
  }

  installation(id: number): Installation | undefined {
    return this.installations.get(id);
  }

  allInstallations(): Installation[] {
    return [...this.installations.values()].sort((a, b) => a.id - b.id);
  }

  installationOn(accountLogin: string): Installation | undefined {
    return [...this.installations.values()].find((i) => i.account.toLowerCase() === accountLogin.toLowerCase());
  }

  /** Installations on the user's own account and their orgs, and those reaching a repo they were granted. */
  installationsVisibleTo(login: string): Installation[] {
    const logins = new Set(this.accountsOf(login).map((account) => account.login));
    return [...this.installations.values()]
      .filter((i) => logins.has(i.account) || this.reachableRepos(i).some((repo) => this.canAccess(login, repo)))
      .sort((a, b) => a.id - b.id);
  }

  createInstallation(account: Account, selection: "all" | "selected", repositoryIds: number[]): Installation {
    const now = new Date().toISOString();
    const installation: Installation = {
      id: this.nextInstallationId++,
      account: account.login,
      repositorySelection: selection,
      repositoryIds: selection === "all" ? [] : [...new Set(repositoryIds)],
      permissions: { ...APP_PERMISSIONS },
      createdAt: now,
      updatedAt: now,
      suspendedAt: null,
    };
    this.installations.set(installation.id, installation);
    this.save();
    return installation;
  }

  /** Changes which repositories an installation reaches, and returns what was added and removed. */
  updateInstallationRepos(installation: Installation, selection: "all" | "selected", repositoryIds: number[]) {
    const before = this.reachableRepos(installation);
    installation.repositorySelection = selection;
    installation.repositoryIds = selection === "all" ? [] : [...new Set(repositoryIds)];
    installation.updatedAt = new Date().toISOString();
    this.save();
    const after = this.reachableRepos(installation);
    const beforeIds = new Set(before.map((repo) => repo.id));
    const afterIds = new Set(after.map((repo) => repo.id));
    return {
      added: after.filter((repo) => !beforeIds.has(repo.id)),
      removed: before.filter((repo) => !afterIds.has(repo.id)),
    };
  }

  setSuspended(installation: Installation, suspended: boolean): void {
    installation.suspendedAt = suspended ? new Date().toISOString() : null;
    installation.updatedAt = new Date().toISOString();
    this.save();
  }

  deleteInstallation(installation: Installation): void {
    this.installations.delete(installation.id);
    for (const [hash, token] of this.tokens) if (token.installationId === installation.id) this.tokens.delete(hash);
    this.save();
  }

  reachableRepos(installation: Installation): Repo[] {
    const owned = this.reposOf(installation.account);
    if (installation.repositorySelection === "all") return owned;
    const ids = new Set(installation.repositoryIds);
    return owned.filter((repo) => ids.has(repo.id));
  }

  /** What an installation token reaches now: its installation's repos, narrowed by the token's own list. */
  tokenRepos(token: Token): Repo[] {
    const installation = token.installationId ? this.installations.get(token.installationId) : undefined;
    if (!installation) return [];
    const reachable = this.reachableRepos(installation);
    if (!token.repositoryIds) return reachable;
    const ids = new Set(token.repositoryIds);
    return reachable.filter((repo) => ids.has(repo.id));
  }

  issueToken(fields: Omit<Token, "hash" | "expiresAt">, ttlSeconds: number): { token: string; record: Token } {
    const prefix = fields.kind === "installation" ? "ghs" : fields.kind === "user" ? "ghu" : "ghr";
    const token = newToken(prefix);
    const record: Token = { ...fields, hash: hashSecret(token), expiresAt: Date.now() + ttlSeconds * 1000 };
    this.tokens.set(record.hash, record);
    this.issued.add(record.hash);
    this.pruneExpired();
    this.save();
    return { token, record };
  }

  /** Whether this emulator ever issued `token` (since it started), even if it is revoked or expired now. */
  wasIssued(token: string): boolean {
    return this.issued.has(hashSecret(token));
  }

  /** The live record of a presented token, or undefined when it is unknown, expired or revoked. */
  findToken(token: string): Token | undefined {
    const record = this.tokens.get(hashSecret(token));
    if (!record || record.expiresAt <= Date.now()) return undefined;
    return record;
  }

  revokeToken(token: string): boolean {
    const removed = this.tokens.delete(hashSecret(token));
    if (removed) this.save();
    return removed;
  }

  /**
   * A refresh token works once: using it revokes it and the user token issued with it
   * (https://docs.github.com/apps/creating-github-apps/authenticating-with-a-github-app/refreshing-user-access-tokens).
   * Returns whose it was, or undefined when it is unknown, expired or used.
   */
  redeemRefreshToken(token: string): string | undefined {
    const record = this.findToken(token);
    if (record?.kind !== "refresh" || !record.login) return undefined;
    this.tokens.delete(record.hash);
    if (record.pairedWith) this.tokens.delete(record.pairedWith);
    this.save();
    return record.login;
  }

  issueCode(login: string, clientId: string): string {
    const code = randomBytes(10).toString("hex");
    this.codes.set(hashSecret(code), { login, clientId, expiresAt: Date.now() + CODE_TTL_MS });
    return code;
  }

  /** A code works once: it is removed whether or not the rest of the exchange succeeds. */
  takeCode(code: string): OAuthCode | undefined {
    const key = hashSecret(code);
    const found = this.codes.get(key);
    this.codes.delete(key);
    if (!found || found.expiresAt <= Date.now()) return undefined;
    return found;
  }

  private pruneExpired(): void {
    const now = Date.now();
    for (const [hash, token] of this.tokens) if (token.expiresAt <= now) this.tokens.delete(hash);
  }

  private load(): void {
    let text: string;
    try {
      text = readFileSync(this.file, "utf8");
    } catch {
      return;
    }
    const saved = persistedSchema.parse(JSON.parse(text));
    for (const account of saved.accounts) {
      this.createdAccounts.push(account);
      this.accounts.set(account.login.toLowerCase(), account);
    }
    this.nextInstallationId = saved.nextInstallationId;
    this.nextRepoId = saved.nextRepoId;
    for (const repo of saved.repos) this.repos.set(repo.id, repo);
    for (const installation of saved.installations) this.installations.set(installation.id, installation);
    for (const token of saved.tokens) this.tokens.set(token.hash, token);
    this.pruneExpired();
  }

  /** Written whole and renamed into place, so a crash never leaves half a file. */
  private save(): void {
    const saved: z.input<typeof persistedSchema> = {
      accounts: this.createdAccounts,
      nextInstallationId: this.nextInstallationId,
      nextRepoId: this.nextRepoId,
      repos: [...this.repos.values()].filter((repo) => repo.id >= FIRST_CREATED_REPO_ID),
      installations: [...this.installations.values()],
      tokens: [...this.tokens.values()],
    };
    const temporary = `${this.file}.tmp`;
    writeFileSync(temporary, JSON.stringify(saved, null, 2), { mode: 0o600 });
    renameSync(temporary, this.file);
  }
}
