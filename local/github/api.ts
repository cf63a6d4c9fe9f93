import type { IncomingMessage, ServerResponse } from "node:http";
import { z } from "zod";
import { authenticated as authenticatedCaller, reachableBy, userRepos } from "./access";
import type { EmulatorContext } from "./context";
import { identify } from "./credentials";
import { type Route, readJson, route, sendError, sendJson } from "./http";
import { paginate } from "./pagination";
import { type Installation, type Permissions, permissionsSchema, type Repo } from "./state";

/** The REST endpoints our code calls, with GitHub's shapes, status codes and error messages. */

const DOC = {
  app: "https://docs.github.com/rest/apps/apps#get-the-authenticated-app",
  installations: "https://docs.github.com/rest/apps/apps#list-installations-for-the-authenticated-app",
  installation: "https://docs.github.com/rest/apps/apps#get-an-installation-for-the-authenticated-app",
  deleteInstallation: "https://docs.github.com/rest/apps/apps#delete-an-installation-for-the-authenticated-app",
  accessToken: "https://docs.github.com/rest/apps/apps#create-an-installation-access-token-for-an-app",
  installationRepos:
    "https://docs.github.com/rest/apps/installations#list-repositories-accessible-to-the-app-installation",
  revokeToken: "https://docs.github.com/rest/apps/installations#revoke-an-installation-access-token",
  repo: "https://docs.github.com/rest/repos/repos#get-a-repository",
  renameBranch: "https://docs.github.com/rest/branches/branches#rename-a-branch",
  user: "https://docs.github.com/rest/users/users#get-a-user",
  authenticatedUser: "https://docs.github.com/rest/users/users#get-the-authenticated-user",
  userInstallations:
    "https://docs.github.com/rest/apps/installations#list-app-installations-accessible-to-the-user-access-token",
  userInstallationRepos:
    "https://docs.github.com/rest/apps/installations#list-repositories-accessible-to-the-user-access-token",
};

const LEVEL = { read: 1, write: 2, admin: 3 } as const;

const renameBranchBodySchema = z.object({ new_name: z.string().min(1).max(255) });

const accessTokenBodySchema = z.object({
  repositories: z.array(z.string().min(1)).max(500).optional(),
  repository_ids: z.array(z.number().int()).max(500).optional(),
  permissions: permissionsSchema.optional(),
});

export function apiRoutes(ctx: EmulatorContext): Route[] {
  const url = (request: IncomingMessage) => new URL(request.url ?? "/", ctx.base);

  /** Runs `handler` only for a valid App JWT; anything else gets GitHub's 401. */
  const asApp =
    (handler: (request: IncomingMessage, response: ServerResponse, params: string[]) => Promise<void> | void) =>
    (request: IncomingMessage, response: ServerResponse, params: string[]) => {
      const caller = identify(ctx, request);
      const verdict = caller.kind === "jwt" ? ctx.verifyJwt(caller.jwt) : undefined;
      if (!verdict?.ok) return sendError(response, 401, verdict?.message ?? "A JSON web token could not be decoded");
      return handler(request, response, params);
    };

  const authenticated = (request: IncomingMessage, response: ServerResponse) =>
    authenticatedCaller(ctx, request, response);

  const findInstallation = (response: ServerResponse, id: string, docs: string): Installation | undefined => {
    const found = /^\d+$/.test(id) ? ctx.state.installation(Number(id)) : undefined;
    if (!found) sendError(response, 404, "Not Found", docs);
    return found;
  };

  return [
    route(
      "GET",
      /^\/app$/,
      asApp((_request, response) => sendJson(response, 200, ctx.appJson())),
    ),

    route(
      "GET",
      /^\/app\/installations$/,
      asApp((request, response) => {
        const all = ctx.state.allInstallations().map((item) => ctx.installationJson(item));
        sendJson(response, 200, paginate(url(request), all, response));
      }),
    ),

    route(
      "GET",
      /^\/app\/installations\/([^/]+)$/,
      asApp((_request, response, [id = ""]) => {
        const installation = findInstallation(response, id, DOC.installation);
        if (installation) sendJson(response, 200, ctx.installationJson(installation));
      }),
    ),

    route(
      "DELETE",
      /^\/app\/installations\/([^/]+)$/,
      asApp((_request, response, [id = ""]) => {
        const installation = findInstallation(response, id, DOC.deleteInstallation);
        if (!installation) return;
        ctx.uninstall(installation);
        response.writeHead(204).end();
      }),
    ),

    route(
      "POST",
      /^\/app\/installations\/([^/]+)\/access_tokens$/,
      asApp(async (request, response, [id = ""]) => {
        const installation = findInstallation(response, id, DOC.accessToken);
        if (!installation) return;
        const body = await readJson(request, accessTokenBodySchema);
        if (installation.suspendedAt)
          return sendError(response, 403, "This installation has been suspended", DOC.accessToken);

        const reachable = ctx.state.reachableRepos(installation);
        const narrowed = body.repositories !== undefined || body.repository_ids !== undefined;
        let repos = reachable;
        if (narrowed) {
          const byName = (body.repositories ?? []).map((name) =>
            reachable.find((r) => r.name.toLowerCase() === name.toLowerCase()),
          );
          const byId = (body.repository_ids ?? []).map((repoId) => reachable.find((r) => r.id === repoId));
          const wanted = [...byName, ...byId];
          if (wanted.some((repo) => !repo)) {
            return sendError(
              response,
              422,
              "There is at least one repository that does not exist or is not accessible to the parent installation.",
              DOC.accessToken,
            );
          }
          repos = [...new Map(wanted.map((repo) => [repo?.id, repo as Repo])).values()];
        }

        const permissions = body.permissions ?? installation.permissions;
        if (!withinGrant(permissions, installation.permissions)) {
          return sendError(
            response,
            422,
            "The permissions requested are not granted to this installation.",
            DOC.accessToken,
          );
        }

        const { token, record } = ctx.state.issueToken(
          {
            kind: "installation",
            installationId: installation.id,
            permissions,
            repositoryIds: narrowed ? repos.map((repo) => repo.id) : undefined,
          },
          ctx.options.tokenTtlSeconds,
        );
        sendJson(response, 201, {
          token,
          expires_at: new Date(record.expiresAt).toISOString().replace(/\.\d+Z$/, "Z"),
          permissions,
          repository_selection: narrowed ? "selected" : installation.repositorySelection,
          ...(narrowed ? { repositories: repos.map((repo) => ctx.repoJson(repo)) } : {}),
        });
      }),
    ),

    route("GET", /^\/users\/([^/]+)$/, (_request, response, [login = ""]) => {
      if (login.toLowerCase() === ctx.bot.login.toLowerCase()) return sendJson(response, 200, ctx.fullUser(ctx.bot));
      const account = ctx.state.account(login);
      if (!account) return sendError(response, 404, "Not Found", DOC.user);
      sendJson(response, 200, ctx.fullUser(account));
    }),

    route("GET", /^\/installation\/repositories$/, (request, response) => {
      const caller = authenticated(request, response);
      if (!caller) return;
      if (caller.kind !== "installation") {
        return sendError(
          response,
          403,
          "You must authenticate with an installation access token in order to list repositories for an installation.",
          DOC.installationRepos,
        );
      }
      const installation = ctx.state.installation(caller.record.installationId ?? 0);
      const repos = ctx.state.tokenRepos(caller.record);
      const page = paginate(url(request), repos, response);
      sendJson(response, 200, {
        total_count: repos.length,
        repository_selection: caller.record.repositoryIds ? "selected" : installation?.repositorySelection,
        repositories: page.map((repo) => ctx.repoJson(repo, caller.record.permissions)),
      });
    }),

    route("DELETE", /^\/installation\/token$/, (request, response) => {
      const caller = authenticated(request, response);
      if (!caller) return;
      if (caller.kind !== "installation") return sendError(response, 401, "Bad credentials", DOC.revokeToken);
      ctx.state.revokeToken(caller.token);
      response.writeHead(204).end();
    }),

    route("GET", /^\/repos\/([^/]+)\/([^/]+)$/, (request, response, [owner = "", name = ""]) => {
      const caller = authenticated(request, response);
      if (!caller) return;
      const repo = ctx.state.repo(owner, name);
      // GitHub hides private repos a caller cannot see behind 404, never 403.
      if (!repo || !reachableBy(ctx, caller).some((r) => r.id === repo.id))
        return sendError(response, 404, "Not Found", DOC.repo);
      const permissions = caller.kind === "installation" ? caller.record.permissions : { contents: "write" as const };
      sendJson(response, 200, ctx.repoJson(repo, permissions));
    }),

    // Push access renames a branch, admin (the owner) the default one; an App needs the
    // Administration permission, which ours does not ask for.
    route(
      "POST",
      /^\/repos\/([^/]+)\/([^/]+)\/branches\/(.+)\/rename$/,
      async (request, response, [owner = "", name = "", branch = ""]) => {
        const caller = authenticated(request, response);
        if (!caller) return;
        const repo = ctx.state.repo(owner, name);
        const login = caller.kind === "user" ? caller.record.login : undefined;
        if (!repo || (login !== undefined && !ctx.state.canAccess(login, repo))) {
          return sendError(response, 404, "Not Found", DOC.renameBranch);
        }
        const from = decodeURIComponent(branch);
        const account = ctx.state.account(repo.owner);
        const admin =
          login !== undefined &&
          (repo.owner.toLowerCase() === login.toLowerCase() || (account?.owners.includes(login) ?? false));
        if (login === undefined || (from === ctx.git.defaultBranch(repo) && !admin)) {
          return sendError(response, 403, "Resource not accessible by integration", DOC.renameBranch);
        }
        const body = await readJson(request, renameBranchBodySchema);
        const sha = await ctx.git.renameBranch(repo, from, body.new_name);
        if (!sha) return sendError(response, 422, "Validation Failed", DOC.renameBranch);
        sendJson(response, 201, {
          name: body.new_name,
          commit: { sha, url: `${ctx.base}/repos/${repo.owner}/${repo.name}/commits/${sha}` },
          protected: false,
        });
      },
    ),

    route("GET", /^\/user$/, (request, response) => {
      const caller = authenticated(request, response);
      if (!caller) return;
      const account = caller.kind === "user" ? ctx.state.account(caller.record.login) : undefined;
      if (!account) return sendError(response, 403, "Resource not accessible by integration", DOC.authenticatedUser);
      sendJson(response, 200, ctx.fullUser(account));
    }),

    route("GET", /^\/user\/installations$/, (request, response) => {
      const caller = authenticated(request, response);
      if (!caller) return;
      if (caller.kind !== "user") {
        return sendError(
          response,
          403,
          "You must authenticate with an access token authorized to a GitHub App in order to list installations",
          DOC.userInstallations,
        );
      }
      const all = ctx.state.installationsVisibleTo(caller.record.login);
      const page = paginate(url(request), all, response);
      sendJson(response, 200, {
        total_count: all.length,
        installations: page.map((item) => ctx.installationJson(item)),
      });
    }),

    route("GET", /^\/user\/installations\/([^/]+)\/repositories$/, (request, response, [id = ""]) => {
      const caller = authenticated(request, response);
      if (!caller) return;
      if (caller.kind !== "user") {
        return sendError(
          response,
          403,
          "You must authenticate with an access token authorized to a GitHub App in order to list installations",
          DOC.userInstallationRepos,
        );
      }
      const installation = ctx.state.installationsVisibleTo(caller.record.login).find((item) => String(item.id) === id);
      if (!installation) return sendError(response, 404, "Not Found", DOC.userInstallationRepos);
      const repos = userRepos(ctx, caller.record.login, installation);
      const page = paginate(url(request), repos, response);
      sendJson(response, 200, {
        total_count: repos.length,
        repository_selection: installation.repositorySelection,
        repositories: page.map((repo) => ctx.repoJson(repo, { contents: "write" })),
      });
    }),
  ];
}

/** A token may ask for less than its installation holds, never more or anything else. */
function withinGrant(requested: Permissions, granted: Permissions): boolean {
  return Object.entries(requested).every(([name, level]) => {
    const held = granted[name];
    return held !== undefined && LEVEL[level] <= LEVEL[held];
  });
}
