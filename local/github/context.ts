import { createJwtVerifier } from "./app-auth";
import { GitStore, ZERO_SHA as ZERO } from "./git-store";
import type { ResolvedOptions } from "./options";
import type { Account } from "./seed";
import * as shapes from "./shapes";
import { EmulatorState, type Installation, type Permissions, type Repo } from "./state";
import { WebhookSender } from "./webhooks";

/**
 * What every route module shares: options, state, the git store, the webhook sender, and the
 * JSON shapes bound to this server's origin. `base` is known only once the server listens.
 */
export class EmulatorContext {
  base = "";
  readonly state: EmulatorState;
  readonly git: GitStore;
  readonly webhooks: WebhookSender;
  readonly verifyJwt: ReturnType<typeof createJwtVerifier>;
  readonly bot: shapes.BotAccount;
  /** When each repo last received a push, for `pushed_at`; seeded repos count as pushed at creation. */
  private readonly pushedAt = new Map<number, string>();

  constructor(readonly options: ResolvedOptions) {
    this.state = new EmulatorState(options.dataDir);
    this.git = new GitStore(options.dataDir);
    this.webhooks = new WebhookSender({
      appId: options.app.id,
      secret: options.app.webhookSecret,
      url: options.app.webhookUrl,
      hookId: 400_000 + options.app.id,
    });
    this.verifyJwt = createJwtVerifier(options.app.id, options.app.publicKeyPem);
    this.bot = shapes.botAccount(options.app);
  }

  ownerOf(repo: Repo): Account {
    const owner = this.state.account(repo.owner);
    if (!owner) throw new Error(`repo ${repo.id} has no owner account`);
    return owner;
  }

  accountOf(installation: Installation): Account {
    const account = this.state.account(installation.account);
    if (!account) throw new Error(`installation ${installation.id} has no account`);
    return account;
  }

  markPushed(repo: Repo): void {
    this.pushedAt.set(repo.id, new Date().toISOString());
  }

  repoJson(repo: Repo, permissions?: Permissions) {
    const pushedAt = this.pushedAt.get(repo.id) ?? (repo.content === "empty" ? null : repo.createdAt);
    return shapes.repository(this.base, repo, this.ownerOf(repo), {
      pushedAt,
      size: pushedAt ? 1 : 0,
      defaultBranch: this.git.defaultBranch(repo),
      permissions: permissions ? shapes.tokenRepoPermissions(permissions) : undefined,
    });
  }

  installationJson(installation: Installation) {
    return shapes.installation(this.base, this.options.app, installation, this.accountOf(installation));
  }

  user(account: Account | shapes.BotAccount) {
    return shapes.simpleUser(this.base, account);
  }

  fullUser(account: Account | shapes.BotAccount) {
    return shapes.fullUser(this.base, account);
  }

  appJson() {
    return shapes.githubApp(this.base, this.options.app, this.state.allInstallations().length);
  }

  /** Who GitHub names as `sender` when an account's installation changes: the user, or an org's first owner. */
  actorFor(account: Account): Account {
    if (account.type === "User") return account;
    return this.state.account(account.owners[0] ?? "") ?? account;
  }

  /** Deletes an installation (its tokens die with it) and tells the App, as uninstalling on GitHub does. */
  uninstall(installation: Installation, sender?: Account) {
    const delivery = this.sendInstallationEvent(
      "deleted",
      installation,
      sender ?? this.actorFor(this.accountOf(installation)),
    );
    this.state.deleteInstallation(installation);
    return delivery;
  }

  /** The short repo form GitHub puts in installation events. */
  private eventRepo(repo: Repo) {
    return {
      id: repo.id,
      node_id: shapes.nodeId("Repository", repo.id),
      name: repo.name,
      full_name: `${repo.owner}/${repo.name}`,
      private: true,
    };
  }

  sendInstallationEvent(
    action: "created" | "deleted" | "suspend" | "unsuspend",
    installation: Installation,
    sender: Account,
  ) {
    return this.webhooks.send("installation", {
      action,
      installation: this.installationJson(installation),
      repositories: this.state.reachableRepos(installation).map((repo) => this.eventRepo(repo)),
      requester: null,
      sender: this.user(sender),
    });
  }

  sendRepositoriesEvent(installation: Installation, change: { added: Repo[]; removed: Repo[] }, sender: Account) {
    const deliveries = [];
    for (const [action, repos] of [
      ["added", change.added],
      ["removed", change.removed],
    ] as const) {
      if (repos.length === 0) continue;
      deliveries.push(
        this.webhooks.send("installation_repositories", {
          action,
          installation: this.installationJson(installation),
          repository_selection: installation.repositorySelection,
          repositories_added: action === "added" ? repos.map((repo) => this.eventRepo(repo)) : [],
          repositories_removed: action === "removed" ? repos.map((repo) => this.eventRepo(repo)) : [],
          requester: null,
          sender: this.user(sender),
        }),
      );
    }
    return deliveries;
  }

  /**
   * One `push` delivery per changed ref, to the installation that reaches the repo (GitHub
   * sends App webhooks only for repos an installation of the App can see).
   */
  async sendPushEvents(
    repo: Repo,
    gitDir: string,
    before: Map<string, string>,
    after: Map<string, string>,
    pusher: { sender: Account | shapes.BotAccount; name: string; email: string | null },
  ): Promise<void> {
    const installation = this.state.installationOn(repo.owner);
    const reaches = installation && this.state.reachableRepos(installation).some((r) => r.id === repo.id);
    const refs = new Set([...before.keys(), ...after.keys()]);
    for (const ref of refs) {
      const old = before.get(ref) ?? ZERO;
      const now = after.get(ref) ?? ZERO;
      if (old === now) continue;
      this.markPushed(repo);
      if (!installation || !reaches || installation.suspendedAt) continue;
      const commits = now === ZERO ? [] : await this.git.commitsBetween(gitDir, old, now);
      const forced = old !== ZERO && now !== ZERO && !(await this.git.isAncestor(gitDir, old, now));
      const toPayload = (commit: (typeof commits)[number]) => ({
        id: commit.sha,
        distinct: true,
        message: commit.message,
        timestamp: commit.author.date,
        url: `${this.base}/${repo.owner}/${repo.name}/commit/${commit.sha}`,
        author: { name: commit.author.name, email: commit.author.email },
        committer: { name: commit.committer.name, email: commit.committer.email },
        added: commit.added,
        removed: commit.removed,
        modified: commit.modified,
      });
      const last = commits.at(-1);
      this.webhooks.send("push", {
        ref,
        before: old,
        after: now,
        repository: this.repoJson(repo),
        pusher: { name: pusher.name, email: pusher.email },
        sender: this.user(pusher.sender),
        installation: { id: installation.id, node_id: shapes.nodeId("Installation", installation.id) },
        created: old === ZERO,
        deleted: now === ZERO,
        forced,
        base_ref: null,
        compare: `${this.base}/${repo.owner}/${repo.name}/compare/${old.slice(0, 12)}...${now.slice(0, 12)}`,
        commits: commits.map(toPayload),
        head_commit: last ? toPayload(last) : null,
      });
    }
  }
}
