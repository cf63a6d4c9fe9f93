import { DurableObject } from "cloudflare:workers";
import { McpServer } from "@modelcontextprotocol/sdk/server/mcp.js";
import type { UserGithubConfig } from "../app/lib/db/schema";
import { reachesRepo, repoUnreachableError, type UserToken } from "../app/lib/github/app.server";
import { userHash } from "../app/lib/log.server";
import { type GitHubLink, GitHubUser, type LinkDecision, type SettledLink, type UserRepos } from "./github-user";
import { SERVER_INSTRUCTIONS } from "./mcp/guide";
import { progressEveryMs } from "./mcp/progress";
import { type McpGrant, McpSessions } from "./mcp/sessions";
import { type CtxWorkspace, registerCtxTools } from "./mcp/tools";
import type { BashInput } from "./workspace/bash-input";
import { clientTrailerName } from "./workspace/client-trailer";
import type { MarkdownCursor, MarkdownPage, PathRead, ReadInput, ReadPurpose } from "./workspace/files";
import type { HistoryInput, HistoryResult } from "./workspace/history";
import { personAccessError } from "./workspace/problems";
import type { TokenTarget } from "./workspace/repo-token";
import type { SearchInput, SearchResult } from "./workspace/search";
import type { WebActionOutcome } from "./workspace/web-actions";
import {
  type BashOutcome,
  type InstructionsOutcome,
  type ReadOutcome,
  Workspace,
  type WorkspaceStats,
} from "./workspace/workspace";

const INSTALL_STATE_TTL_MS = 10 * 60 * 1000;

export type InstallStateCheck = "valid" | "unknown" | "expired" | "other-session";

type StoredInstallState = { sessionId: string; expiresAt: number };

/**
 * One user's workspace, addressed by `idFromName(userId)`. It serves every MCP session of
 * that user and owns their config, installation token and sandbox, so two users never share
 * state and one user's git work runs in one place.
 */
export class UserWorkspace extends DurableObject<Env> {
  #workspace: Workspace | undefined;
  #mcp: McpSessions | undefined;
  #github: GitHubUser | undefined;
  /** The user's id as logs show it (userHash). */
  #logId: Promise<string> | undefined;

  /** `/mcp`, after the Worker validated the token: Streamable HTTP. `requestId`: for its log lines. */
  async mcpStreamableHttp(request: Request, grant: McpGrant, streamId: string, requestId: string): Promise<Response> {
    return this.#sessions().streamableHttp(request, grant, streamId, requestId);
  }

  /** `GET /sse`: opens a legacy SSE session. */
  async mcpOpenSse(grant: McpGrant, streamId: string, requestId: string): Promise<Response> {
    return this.#sessions().openSse(grant, streamId, "/sse/message", requestId);
  }

  /** `POST /sse/message`: one message of a legacy SSE session. */
  async mcpPostSse(sessionId: string, grant: McpGrant, body: unknown, requestId: string): Promise<Response> {
    return this.#sessions().postSse(sessionId, grant, body, requestId);
  }

  /** The Worker saw the client of a stream hang up. */
  async mcpStreamClosed(streamId: string): Promise<void> {
    this.#sessions().streamClosed(streamId);
  }

  /** MCP sessions live in this object right now, by transport. */
  async mcpSessionCounts(): Promise<{ streamableHttp: number; sse: number }> {
    return this.#sessions().counts();
  }

  /** The user's GitHub config, read from Postgres once and kept until `reset` or `configChanged`. */
  async config(): Promise<UserGithubConfig | null> {
    return this.#ws().config();
  }

  /**
   * ctx_bash: runs a command in the user's clone; what it changed is committed and pushed, its
   * commit naming `client` in its trailer; `signal` cancels it; a reviewed OAuth client
   * (`clientId`) proposes instead (see Workspace.bash).
   */
  async bash(input: BashInput, signal?: AbortSignal, client?: string, clientId?: string): Promise<BashOutcome> {
    return this.#ws().bash(input, signal, client, clientId);
  }

  /** The person reverts a commit of the default branch from the web (see Workspace.revert). */
  async revert(sha: string): Promise<WebActionOutcome> {
    return this.#ws().revert(sha);
  }

  /** The person brings in a side branch ctx4-ai made, from the web (see Workspace.bringIn). */
  async bringIn(branch: string): Promise<WebActionOutcome> {
    return this.#ws().bringIn(branch);
  }

  /**
   * The read tools below read the user's clone; a reviewed OAuth client (`clientId`) with work
   * pending reads its proposal's clone (see Workspace.readClone).
   * ctx_instructions: the guide's material from the user's repo.
   */
  async instructions(clientId?: string): Promise<InstructionsOutcome> {
    return this.#ws().instructions(clientId);
  }

  /** ctx_search: git grep over the user's clone. */
  async search(input: SearchInput, clientId?: string): Promise<ReadOutcome<SearchResult>> {
    return this.#ws().search(input, clientId);
  }

  /** ctx_history: the user's recent commits, or one commit's diff. */
  async history(input: HistoryInput, clientId?: string): Promise<ReadOutcome<HistoryResult>> {
    return this.#ws().history(input, clientId);
  }

  /** ctx_read (`tool`) and resources/read (`resource`): one path of the user's clone, read only. */
  async read(input: ReadInput, purpose?: ReadPurpose, clientId?: string): Promise<ReadOutcome<PathRead>> {
    return this.#ws().read(input, purpose, clientId);
  }

  /** resources/list: one page of the memory's Markdown files from `cursor` on. */
  async markdown(cursor?: MarkdownCursor, clientId?: string): Promise<ReadOutcome<MarkdownPage>> {
    return this.#ws().markdown(cursor, clientId);
  }

  /**
   * A request git made in this user's sandbox, handed over by the container runtime (through
   * `UserSandbox`) or the local sandbox host: the egress rule decides, and adds the token.
   */
  async gitEgress(request: Request): Promise<Response> {
    return this.#ws().gitEgress(request);
  }

  /** The person approves a reviewed client's proposal from Activity (see Workspace.approve). */
  async approve(branch: string): Promise<WebActionOutcome> {
    return this.#ws().approve(branch);
  }

  /** The person rejects a reviewed client's proposal from Activity (see Workspace.reject). */
  async reject(branch: string): Promise<WebActionOutcome> {
    return this.#ws().reject(branch);
  }

  /** Review mode for OAuth client `clientId`, chosen on the consent page or `/me`. */
  async setReviewed(clientId: string, on: boolean): Promise<void> {
    return this.#ws().setReviewed(clientId, on);
  }

  /** Which of `clientIds` the person reviews (for `/me`). */
  async reviewedClients(clientIds: string[]): Promise<string[]> {
    const ws = this.#ws();
    const reviewed = await Promise.all(clientIds.map((id) => ws.reviewed(id)));
    return clientIds.filter((_, at) => reviewed[at]);
  }

  /** The web app's disconnect and change of repo: config, token, sandbox and clone start over. */
  async reset() {
    return this.#ws().reset();
  }

  /**
   * Account deletion: MCP streams still open are closed, GitHub revokes the person's user
   * token (`GitHubUser.revokeAll`), the sandbox is destroyed with its clone, MCP sessions, the
   * token, install states and every other key this object stored are deleted
   * (`ctx.storage.deleteAll()`), and what it kept in memory is dropped. Running it again is
   * harmless, so a deletion that failed part-way is retried from the start.
   * @throws when GitHub cannot be asked to revoke the token or the sandbox cannot be destroyed;
   * storage is then left as it was.
   */
  async erase(): Promise<void> {
    await this.#mcp?.closeAll();
    await this.#githubUser().revokeAll();
    await this.#ws().erase();
    await this.ctx.storage.deleteAll();
    this.#workspace = undefined;
    this.#mcp = undefined;
    this.#github = undefined;
  }

  /** GitHub changed the installation (webhook) or it was re-authorised: re-read config, keep the clone. */
  async configChanged(): Promise<void> {
    return this.#ws().configChanged();
  }

  /** Token mints, Postgres queries and sandbox calls since this object started. */
  async stats(): Promise<WorkspaceStats> {
    return this.#ws().stats();
  }

  /**
   * A `state` for GitHub's install page: random, single-use, valid for 10 minutes and only
   * for the sign-in session that asked for it. Kept here, in this user's own object, so a
   * state issued to another user is simply unknown.
   */
  async issueInstallState(sessionId: string): Promise<string> {
    const now = Date.now();
    const stored = await this.ctx.storage.list<StoredInstallState>({ prefix: "install-state:" });
    const expired = [...stored].filter(([, value]) => value.expiresAt <= now).map(([key]) => key);
    if (expired.length > 0) await this.ctx.storage.delete(expired);

    const state = base64url(crypto.getRandomValues(new Uint8Array(32)));
    await this.ctx.storage.put<StoredInstallState>(`install-state:${state}`, {
      sessionId,
      expiresAt: now + INSTALL_STATE_TTL_MS,
    });
    return state;
  }

  /** Checks a `state` that came back from GitHub, and uses it up whatever the outcome. */
  async consumeInstallState(state: string, sessionId: string): Promise<InstallStateCheck> {
    const key = `install-state:${state}`;
    const stored = await this.ctx.storage.get<StoredInstallState>(key);
    if (!stored) return "unknown";
    await this.ctx.storage.delete(key);
    if (stored.expiresAt <= Date.now()) return "expired";
    return stored.sessionId === sessionId ? "valid" : "other-session";
  }

  /** The callback verified a link to GitHub: held until the person confirms it on our page. */
  async holdGitHubLink(link: GitHubLink, token: UserToken, sessionId: string): Promise<string> {
    return this.#githubUser().hold(link, token, sessionId);
  }

  /** The person pressed Link or Cancel on the confirmation page. */
  async settleGitHubLink(id: string, sessionId: string, decision: LinkDecision): Promise<SettledLink> {
    return this.#githubUser().settle(id, sessionId, decision);
  }

  /** The installation's repos this person's GitHub account can open (their user token stays here). */
  async githubUserRepos(installationId: number): Promise<UserRepos> {
    return this.#githubUser().repos(installationId);
  }

  /** The person disconnected GitHub: their user token goes too. */
  async forgetGitHubUser(): Promise<void> {
    return this.#githubUser().forget();
  }

  #githubUser(): GitHubUser {
    this.#github ??= new GitHubUser(this.ctx.storage, this.env);
    return this.#github;
  }

  #sessions(): McpSessions {
    this.#mcp ??= new McpSessions(
      this.ctx.storage,
      (grant) => this.#mcpServer(grant),
      () => (this.#logId ??= userHash(this.env, this.#userId())),
    );
    return this.#mcp;
  }

  /** One SDK server per session; they all share this object's workspace. */
  #mcpServer(grant: McpGrant): McpServer {
    // `logging`: a call's outcome its client did not see is also sent as a log message.
    // `resources.listChanged`: every session hears when the memory moved (resourceListChanged).
    const server = new McpServer(
      { name: "ctx4-ai", version: "1.0.0" },
      { instructions: SERVER_INSTRUCTIONS, capabilities: { logging: {}, resources: { listChanged: true } } },
    );
    registerCtxTools(server, this.#clientView(grant.clientId), {
      canWrite: grant.scopes.includes("ctx:write"),
      calls: this.#sessions(),
      client: clientTrailerName(grant.clientName, grant.clientId),
      progressEveryMs: progressEveryMs(this.env.MCP_PROGRESS_SECONDS),
    });
    return server;
  }

  /**
   * The workspace as one client's session uses it: its writes and reads go where its review
   * mode says, decided at each call, so a change on `/me` applies to open sessions too.
   */
  #clientView(clientId: string): CtxWorkspace {
    const ws = this.#ws();
    return {
      bash: (input, signal, client) => ws.bash(input, signal, client, clientId),
      instructions: () => ws.instructions(clientId),
      search: (input) => ws.search(input, clientId),
      history: (input) => ws.history(input, clientId),
      read: (input, purpose) => ws.read(input, purpose, clientId),
      markdown: (cursor) => ws.markdown(cursor, clientId),
    };
  }

  #ws(): Workspace {
    this.#workspace ??= new Workspace(
      this.ctx.storage,
      this.env,
      this.#userId(),
      (target) => this.#confirmRepoAccess(target),
      // Every session of this user, whichever made the change: their resource lists are stale.
      () => this.#mcp?.resourceListChanged(),
    );
    return this.#workspace;
  }

  /**
   * Throws unless the person's own GitHub account can still open the repo through the
   * installation: the tools act for them with the App's token, which an organisation taking
   * away their access does not touch. Checked for everyone, personal installations included:
   * whose account an installation is on is not stored, and a repo of another person's account
   * can be shared with them as collaborator, exactly as in an organisation. When GitHub leaves
   * the repo out, the App is asked whether it still reaches the repo (and whether its
   * installation is gone or suspended), so the person is told the fix that applies.
   */
  async #confirmRepoAccess({ installationId, repoId }: TokenTarget): Promise<void> {
    const access = await this.#githubUser().canOpen(installationId, repoId);
    if (access === "can-open") return;
    // The App's own access first: a repo taken out of the installation, or an installation gone
    // or suspended, is the fix to name (reachesRepo throws the latter two).
    if (access === "no-access" && !(await reachesRepo(this.env, installationId, repoId))) throw repoUnreachableError();
    throw personAccessError(access, await this.#ws().config());
  }

  #userId(): string {
    const name = this.ctx.id.name;
    if (!name) throw new Error("UserWorkspace must be addressed with idFromName(userId)");
    return name;
  }
}

function base64url(bytes: Uint8Array): string {
  return btoa(String.fromCharCode(...bytes))
    .replaceAll("+", "-")
    .replaceAll("/", "_")
    .replaceAll("=", "");
}
