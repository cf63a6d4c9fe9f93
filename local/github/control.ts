import type { IncomingMessage, ServerResponse } from "node:http";
import { z } from "zod";
import { checkLocalRequest } from "../guard";
import type { EmulatorContext } from "./context";
import { type Route, readJson, route, sendError, sendJson } from "./http";
import { type Account, FIRST_CREATED_REPO_ID } from "./seed";
import type { Installation, Repo } from "./state";

/**
 * The emulator's own API for tests and the dev launcher, under `/_emulator/`, apart from the
 * GitHub-shaped routes. It does what a person would do on github.com (install, change repos,
 * suspend, uninstall, commit in the web editor) and lets tests look inside. Every route needs
 * a loopback Host and the local stack secret.
 */

/** Paths and names go into a `git fast-import` stream: control characters there could forge commands. */
const noControl = (text: string) => !/\p{Cc}/u.test(text);
const pathSchema = z
  .string()
  .refine(noControl, "no control characters")
  .regex(/^[^/"\\][^\\]*$/, "a relative path")
  .refine((path) => !path.endsWith("/") && path.split("/").every((part) => part && part !== "." && part !== ".."), {
    message: "a relative path without empty, . or .. segments",
  });
const refSchema = z.string().regex(/^(?!-)[A-Za-z0-9._/-]{1,200}$/, "a branch, tag or commit");
const personPart = z
  .string()
  .min(1)
  .refine(noControl, "no control characters")
  .regex(/^[^<>]+$/, "no angle brackets");
const repoNameSchema = z
  .string()
  .regex(/^[A-Za-z0-9._-]{1,100}$/)
  .refine((name) => name !== "." && name !== "..");
const selectionSchema = z.object({
  repository_selection: z.enum(["all", "selected"]).default("selected"),
  repositories: z.array(z.string()).default([]),
});

const loginSchema = z.string().regex(/^[A-Za-z0-9](?:[A-Za-z0-9-]{0,38})$/, "a GitHub login");
const createAccountSchema = z.object({
  login: loginSchema,
  type: z.enum(["User", "Organization"]).default("User"),
  owners: z.array(loginSchema).default([]),
  members: z.array(loginSchema).default([]),
});
const createRepoSchema = z.object({
  owner: z.string(),
  name: repoNameSchema,
  content: z.enum(["ctx", "readme", "empty"]).default("empty"),
  description: z.string().max(350).default(""),
});
const createInstallationSchema = selectionSchema.extend({ account: z.string(), sender: z.string().optional() });
const updateReposSchema = selectionSchema.extend({ sender: z.string().optional() });
const senderSchema = z.object({ sender: z.string().optional() });
const revokeSchema = z.object({ token: z.string().min(1) });
const codeSchema = z.object({ login: z.string() });
const commitSchema = z.object({
  branch: refSchema.default("main"),
  from: refSchema.optional(),
  message: z.string().min(1),
  author: z.object({ name: personPart, email: personPart }),
  files: z
    .record(pathSchema, z.string().nullable())
    .refine((files) => Object.keys(files).length > 0, "at least one file"),
  sender: z.string().optional(),
});

const COLLABORATOR_PATH = /^\/_emulator\/repos\/([^/]+)\/([^/]+)\/collaborators\/([^/]+)$/;

export function controlRoutes(ctx: EmulatorContext): Route[] {
  const guarded =
    (handler: (request: IncomingMessage, response: ServerResponse, params: string[]) => Promise<void> | void) =>
    (request: IncomingMessage, response: ServerResponse, params: string[]) => {
      const verdict = checkLocalRequest(request, ctx.options.localSecret);
      if (!verdict.ok) return sendError(response, verdict.status, verdict.message);
      return handler(request, response, params);
    };
  const control = (method: string, path: RegExp, handler: Parameters<typeof guarded>[0]) =>
    route(method, path, guarded(handler));

  const findRepo = (response: ServerResponse, owner: string, name: string): Repo | undefined => {
    const repo = ctx.state.repo(owner, name);
    if (!repo) sendError(response, 404, `No repository ${owner}/${name}`);
    return repo;
  };
  const findInstallation = (response: ServerResponse, id: string): Installation | undefined => {
    const found = ctx.state.installation(Number(id));
    if (!found) sendError(response, 404, `No installation ${id}`);
    return found;
  };
  const findAccount = (response: ServerResponse, login: string): Account | undefined => {
    const account = ctx.state.account(login);
    if (!account) sendError(response, 404, `No account ${login}`);
    return account;
  };
  /** Repo names of one account to ids; undefined (and a 422 sent) when one is not that account's. */
  const repoIds = (response: ServerResponse, account: Account, names: string[]): number[] | undefined => {
    const ids: number[] = [];
    for (const name of names) {
      const repo = ctx.state.repo(account.login, name);
      if (!repo) return void sendError(response, 422, `${account.login} has no repository ${name}`);
      ids.push(repo.id);
    }
    return ids;
  };
  /** Grants a user access to one repo, or takes it away, as the repo's settings on github.com do. */
  const setCollaborator =
    (granted: boolean) =>
    (_request: IncomingMessage, response: ServerResponse, [owner = "", name = "", login = ""]: string[]) => {
      const repo = findRepo(response, owner, name);
      const user = repo && findAccount(response, login);
      if (!repo || !user) return;
      if (user.type !== "User") return sendError(response, 422, `${user.login} is not a user`);
      ctx.state.setCollaborator(repo, user, granted);
      response.writeHead(204).end();
    };
  const senderFor = (login: string | undefined, account: Account): Account =>
    (login ? ctx.state.account(login) : undefined) ?? ctx.actorFor(account);

  return [
    control("GET", /^\/_emulator\/accounts$/, (_request, response) =>
      sendJson(
        response,
        200,
        [...ctx.state.accounts.values()].map((account) => ({
          ...account,
          repositories: ctx.state.reposOf(account.login).map((repo) => repo.name),
        })),
      ),
    ),

    control("POST", /^\/_emulator\/accounts$/, async (request, response) => {
      const body = await readJson(request, createAccountSchema);
      if (ctx.state.account(body.login)) return sendError(response, 422, `${body.login} already exists`);
      if (body.type === "User" && body.owners.length + body.members.length > 0) {
        return sendError(response, 422, "users have no owners or members");
      }
      sendJson(
        response,
        201,
        ctx.state.createAccount(body.login, body.type, { owners: body.owners, members: body.members }),
      );
    }),

    control("POST", /^\/_emulator\/repos$/, async (request, response) => {
      const body = await readJson(request, createRepoSchema);
      const owner = findAccount(response, body.owner);
      if (!owner) return;
      if (ctx.state.repo(owner.login, body.name))
        return sendError(response, 422, "name already exists on this account");
      const repo = ctx.state.createRepo(owner, body.name, body.content, body.description);
      await ctx.git.ensure(repo);
      sendJson(response, 201, ctx.repoJson(repo));
    }),

    control("DELETE", /^\/_emulator\/repos\/([^/]+)\/([^/]+)$/, async (_request, response, [owner = "", name = ""]) => {
      const repo = findRepo(response, owner, name);
      if (!repo) return;
      if (repo.id < FIRST_CREATED_REPO_ID) return sendError(response, 422, "seeded repositories cannot be deleted");
      ctx.state.deleteRepo(repo);
      await ctx.git.remove(repo);
      response.writeHead(204).end();
    }),

    control("PUT", COLLABORATOR_PATH, setCollaborator(true)),
    control("DELETE", COLLABORATOR_PATH, setCollaborator(false)),

    control("GET", /^\/_emulator\/installations$/, (_request, response) =>
      sendJson(
        response,
        200,
        ctx.state.allInstallations().map((item) => ctx.installationJson(item)),
      ),
    ),

    control("POST", /^\/_emulator\/installations$/, async (request, response) => {
      const body = await readJson(request, createInstallationSchema);
      const account = findAccount(response, body.account);
      if (!account) return;
      if (ctx.state.installationOn(account.login)) {
        return sendError(response, 422, `${account.login} already has an installation of this App`);
      }
      const ids = repoIds(response, account, body.repositories);
      if (!ids) return;
      const installation = ctx.state.createInstallation(account, body.repository_selection, ids);
      ctx.sendInstallationEvent("created", installation, senderFor(body.sender, account));
      sendJson(response, 201, ctx.installationJson(installation));
    }),

    control("PUT", /^\/_emulator\/installations\/(\d+)\/repositories$/, async (request, response, [id = ""]) => {
      const body = await readJson(request, updateReposSchema);
      const installation = findInstallation(response, id);
      if (!installation) return;
      const account = ctx.accountOf(installation);
      const ids = repoIds(response, account, body.repositories);
      if (!ids) return;
      const change = ctx.state.updateInstallationRepos(installation, body.repository_selection, ids);
      ctx.sendRepositoriesEvent(installation, change, senderFor(body.sender, account));
      sendJson(response, 200, {
        installation: ctx.installationJson(installation),
        added: change.added.map((repo) => repo.name),
        removed: change.removed.map((repo) => repo.name),
      });
    }),

    control("POST", /^\/_emulator\/installations\/(\d+)\/(suspend|unsuspend)$/, async (request, response, params) => {
      const [id = "", action = ""] = params;
      const body = await readJson(request, senderSchema);
      const installation = findInstallation(response, id);
      if (!installation) return;
      ctx.state.setSuspended(installation, action === "suspend");
      const sender = senderFor(body.sender, ctx.accountOf(installation));
      ctx.sendInstallationEvent(action === "suspend" ? "suspend" : "unsuspend", installation, sender);
      sendJson(response, 200, ctx.installationJson(installation));
    }),

    control("DELETE", /^\/_emulator\/installations\/(\d+)$/, (_request, response, [id = ""]) => {
      const installation = findInstallation(response, id);
      if (!installation) return;
      ctx.uninstall(installation);
      response.writeHead(204).end();
    }),

    control("POST", /^\/_emulator\/tokens\/revoke$/, async (request, response) => {
      const body = await readJson(request, revokeSchema);
      sendJson(response, 200, { revoked: ctx.state.revokeToken(body.token) });
    }),

    control("POST", /^\/_emulator\/oauth\/codes$/, async (request, response) => {
      const body = await readJson(request, codeSchema);
      const user = findAccount(response, body.login);
      if (!user) return;
      if (user.type !== "User") return sendError(response, 422, `${user.login} is not a user`);
      sendJson(response, 201, { code: ctx.state.issueCode(user.login, ctx.options.app.clientId) });
    }),

    control("POST", /^\/_emulator\/repos\/([^/]+)\/([^/]+)\/commits$/, async (request, response, params) => {
      const [owner = "", name = ""] = params;
      const body = await readJson(request, commitSchema);
      const repo = findRepo(response, owner, name);
      if (!repo) return;
      const sender = senderFor(body.sender, ctx.ownerOf(repo));
      const gitDir = await ctx.git.ensure(repo);
      const sha = await ctx.git.withLock(repo, async () => {
        const before = await ctx.git.refs(gitDir);
        const created = await ctx.git.commit(gitDir, body);
        await ctx.sendPushEvents(repo, gitDir, before, await ctx.git.refs(gitDir), {
          sender,
          name: sender.login,
          email: `${sender.login}@users.noreply.github.com`,
        });
        return created;
      });
      sendJson(response, 201, { sha, branch: body.branch });
    }),

    control("GET", /^\/_emulator\/repos\/([^/]+)\/([^/]+)\/branches\/(.+)$/, async (_request, response, params) => {
      const [owner = "", name = "", branch = ""] = params;
      const repo = findRepo(response, owner, name);
      if (!repo) return;
      const sha = refSchema.safeParse(branch).success
        ? await ctx.git.head(await ctx.git.ensure(repo), branch)
        : undefined;
      if (!sha) return sendError(response, 404, `No branch ${branch}`);
      sendJson(response, 200, { name: branch, sha });
    }),

    control("GET", /^\/_emulator\/repos\/([^/]+)\/([^/]+)\/commits$/, async (request, response, params) => {
      const [owner = "", name = ""] = params;
      const repo = findRepo(response, owner, name);
      if (!repo) return;
      const url = new URL(request.url ?? "/", ctx.base);
      const ref = url.searchParams.get("ref") ?? "main";
      const gitDir = await ctx.git.ensure(repo);
      const head = refSchema.safeParse(ref).success ? await ctx.git.head(gitDir, ref) : undefined;
      if (!head) return sendError(response, 404, `No branch ${ref}`);
      const limit = Math.min(100, Number(url.searchParams.get("limit")) || 20);
      const commits = await ctx.git.commitsBetween(gitDir, "0".repeat(40), head, limit);
      sendJson(response, 200, commits.reverse());
    }),

    control("GET", /^\/_emulator\/repos\/([^/]+)\/([^/]+)\/contents\/(.+)$/, async (request, response, params) => {
      const [owner = "", name = "", path = ""] = params;
      const repo = findRepo(response, owner, name);
      if (!repo) return;
      const ref = new URL(request.url ?? "/", ctx.base).searchParams.get("ref") ?? "main";
      const valid = pathSchema.safeParse(path).success && refSchema.safeParse(ref).success;
      const content = valid ? await ctx.git.readFile(await ctx.git.ensure(repo), ref, path) : undefined;
      if (!content) return sendError(response, 404, `No file ${path} at ${ref}`);
      response.writeHead(200, { "content-type": "text/plain; charset=utf-8", "content-length": content.length });
      response.end(content);
    }),

    control("GET", /^\/_emulator\/deliveries$/, async (_request, response) => {
      await ctx.webhooks.idle();
      sendJson(response, 200, ctx.webhooks.list());
    }),
  ];
}
