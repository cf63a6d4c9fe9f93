import type { AppSettings } from "./options";
import type { Account } from "./seed";
import { APP_EVENTS, type Installation, type Permissions, type Repo } from "./state";

/**
 * GitHub's JSON shapes for the objects we serve, with the fields our code and @octokit read.
 * `base` is the emulator's origin, which plays both api.github.com and github.com.
 */

const STAMP = "2024-01-01T00:00:00Z";

export function nodeId(kind: string, id: number): string {
  return Buffer.from(`0:${kind}${id}`).toString("base64").replace(/=+$/, "");
}

export function simpleUser(base: string, account: { login: string; id: number; type: string }) {
  return {
    login: account.login,
    id: account.id,
    node_id: nodeId(account.type, account.id),
    avatar_url: `${base}/avatars/u/${account.id}?v=4`,
    gravatar_id: "",
    url: `${base}/users/${encodeURIComponent(account.login)}`,
    html_url: `${base}/${encodeURIComponent(account.login)}`,
    repos_url: `${base}/users/${encodeURIComponent(account.login)}/repos`,
    type: account.type,
    user_view_type: "public",
    site_admin: false,
  };
}

export function fullUser(base: string, account: Account | BotAccount) {
  return {
    ...simpleUser(base, account),
    name: account.name,
    company: null,
    blog: "",
    location: null,
    email: null,
    bio: null,
    public_repos: 0,
    followers: 0,
    following: 0,
    created_at: STAMP,
    updated_at: STAMP,
  };
}

export type BotAccount = { login: string; id: number; type: "Bot"; name: string };

/** The App's bot user: `<slug>[bot]`, whose id makes the commit email `<id>+<slug>[bot]@users.noreply.github.com`. */
export function botAccount(app: AppSettings): BotAccount {
  return { login: `${app.slug}[bot]`, id: 41_000_000 + app.id, type: "Bot", name: `${app.slug}[bot]` };
}

export type RepoPermissions = { admin: boolean; maintain: boolean; push: boolean; triage: boolean; pull: boolean };

export function repository(
  base: string,
  repo: Repo,
  owner: Account,
  extra: { pushedAt: string | null; size: number; defaultBranch: string; permissions?: RepoPermissions },
) {
  const fullName = `${repo.owner}/${repo.name}`;
  return {
    id: repo.id,
    node_id: nodeId("Repository", repo.id),
    name: repo.name,
    full_name: fullName,
    private: true,
    owner: simpleUser(base, owner),
    html_url: `${base}/${fullName}`,
    description: repo.description || null,
    fork: false,
    url: `${base}/repos/${fullName}`,
    git_url: `git://127.0.0.1/${fullName}.git`,
    ssh_url: `git@127.0.0.1:${fullName}.git`,
    clone_url: `${base}/${fullName}.git`,
    homepage: null,
    size: extra.size,
    stargazers_count: 0,
    watchers_count: 0,
    language: null,
    forks_count: 0,
    open_issues_count: 0,
    archived: false,
    disabled: false,
    is_template: false,
    topics: [],
    visibility: "private",
    default_branch: extra.defaultBranch,
    created_at: repo.createdAt.replace(/\.\d+Z$/, "Z"),
    updated_at: (extra.pushedAt ?? repo.createdAt).replace(/\.\d+Z$/, "Z"),
    pushed_at: extra.pushedAt?.replace(/\.\d+Z$/, "Z") ?? null,
    ...(extra.permissions ? { permissions: extra.permissions } : {}),
  };
}

export function installation(base: string, app: AppSettings, item: Installation, account: Account) {
  const targetPath =
    account.type === "Organization"
      ? `organizations/${account.login}/settings/installations/${item.id}`
      : `settings/installations/${item.id}`;
  return {
    id: item.id,
    client_id: app.clientId,
    account: simpleUser(base, account),
    repository_selection: item.repositorySelection,
    access_tokens_url: `${base}/app/installations/${item.id}/access_tokens`,
    repositories_url: `${base}/installation/repositories`,
    html_url: `${base}/${targetPath}`,
    app_id: app.id,
    app_slug: app.slug,
    target_id: account.id,
    target_type: account.type,
    permissions: item.permissions,
    events: APP_EVENTS,
    created_at: item.createdAt,
    updated_at: item.updatedAt,
    single_file_name: null,
    has_multiple_single_files: false,
    single_file_paths: [],
    suspended_by: null,
    suspended_at: item.suspendedAt,
  };
}

export function githubApp(base: string, app: AppSettings, installationsCount: number) {
  return {
    id: app.id,
    slug: app.slug,
    node_id: nodeId("Integration", app.id),
    client_id: app.clientId,
    owner: simpleUser(base, { login: "acme", id: 2001, type: "Organization" }),
    name: app.slug,
    description: "Memory for AI assistants, kept in your own GitHub repository.",
    external_url: app.callbackUrl,
    html_url: `${base}/apps/${app.slug}`,
    created_at: STAMP,
    updated_at: STAMP,
    permissions: { contents: "write", metadata: "read" } satisfies Permissions,
    events: APP_EVENTS,
    installations_count: installationsCount,
  };
}

/** The token's view of a repo: pull always, push only with `contents: write`. */
export function tokenRepoPermissions(permissions: Permissions): RepoPermissions {
  const write = permissions.contents === "write" || permissions.contents === "admin";
  return { admin: false, maintain: false, push: write, triage: false, pull: true };
}
