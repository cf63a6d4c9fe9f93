import type { IncomingMessage, ServerResponse } from "node:http";
import { z } from "zod";
import { type AuthenticatedCaller, visibleRepo } from "./access";
import type { EmulatorContext } from "./context";
import {
  aheadBehind,
  commitIds,
  diffFiles,
  EMPTY_TREE,
  entryAt,
  type FileChange,
  hasCommits,
  isRefName,
  isRepoPath,
  listTree,
  mergeBase,
  mergeTrees,
  moveBranch,
  type RawCommit,
  readBlob,
  readCommits,
  resolveCommit,
  resolveTree,
  type TreeEntry,
  writeCommit,
} from "./git-objects";
import { linkHeader, type Route, readJson, route, sendError, sendJson } from "./http";
import { paginate } from "./pagination";
import type { Repo } from "./state";

/**
 * GitHub's REST endpoints on a repository's content: list and get commits, compare, contents,
 * trees, branches and merge, read from the bare repo with GitHub's shapes, paging and errors.
 * Who may call them is as for `GET /repos/{owner}/{repo}`: a token that reaches the repo.
 */

const DOC = {
  listCommits: "https://docs.github.com/rest/commits/commits#list-commits",
  getCommit: "https://docs.github.com/rest/commits/commits#get-a-commit",
  compare: "https://docs.github.com/rest/commits/commits#compare-two-commits",
  contents: "https://docs.github.com/rest/repos/contents#get-repository-content",
  tree: "https://docs.github.com/rest/git/trees#get-a-tree",
  branches: "https://docs.github.com/rest/branches/branches#list-branches",
  merge: "https://docs.github.com/rest/branches/branches#merge-a-branch",
};

/** GitHub returns a file's content inline up to 1 MB; larger files (to 100 MB) come with `encoding: "none"`. */
const INLINE_CONTENT_BYTES = 1024 * 1024;
/** A commit's `files[]` holds at most 300 per page (`page` walks further), 3000 in all. */
const FILES_PER_PAGE = 300;
const MAX_FILES = 3000;
/** Compare lists at most 250 commits. */
const MAX_COMPARE_COMMITS = 250;

const mergeBodySchema = z.object({
  base: z.string().min(1),
  head: z.string().min(1),
  commit_message: z.string().optional(),
});

const EMPTY_REPO = "Git Repository is empty.";

export function repoApiRoutes(ctx: EmulatorContext): Route[] {
  const url = (request: IncomingMessage) => new URL(request.url ?? "/", ctx.base);
  const api = (repo: Repo) => `${ctx.base}/repos/${repo.owner}/${repo.name}`;
  const web = (repo: Repo) => `${ctx.base}/${repo.owner}/${repo.name}`;
  const encodePath = (path: string) => path.split("/").map(encodeURIComponent).join("/");

  /** The GitHub user a commit email belongs to (noreply addresses, the bot's included), as GitHub links them. */
  const userOf = (email: string) => {
    const found = /^(?:\d+\+)?([^@]+)@users\.noreply\.github\.com$/i.exec(email);
    if (!found?.[1]) return null;
    if (found[1].toLowerCase() === ctx.bot.login.toLowerCase()) return ctx.user(ctx.bot);
    const account = ctx.state.account(found[1]);
    return account ? ctx.user(account) : null;
  };

  const commitJson = (repo: Repo, commit: RawCommit) => ({
    url: `${api(repo)}/commits/${commit.sha}`,
    sha: commit.sha,
    node_id: Buffer.from(`04:Commit${repo.id}:${commit.sha}`).toString("base64"),
    html_url: `${web(repo)}/commit/${commit.sha}`,
    comments_url: `${api(repo)}/commits/${commit.sha}/comments`,
    commit: {
      url: `${api(repo)}/git/commits/${commit.sha}`,
      author: commit.author,
      committer: commit.committer,
      message: commit.message,
      tree: { url: `${api(repo)}/git/trees/${commit.tree}`, sha: commit.tree },
      comment_count: 0,
      verification: { verified: false, reason: "unsigned", signature: null, payload: null, verified_at: null },
    },
    author: userOf(commit.author.email),
    committer: userOf(commit.committer.email),
    parents: commit.parents.map((sha) => ({
      url: `${api(repo)}/commits/${sha}`,
      html_url: `${web(repo)}/commit/${sha}`,
      sha,
    })),
  });

  const fileJson = (repo: Repo, ref: string, file: FileChange) => ({
    sha: file.sha,
    filename: file.filename,
    status: file.status,
    additions: file.additions,
    deletions: file.deletions,
    changes: file.additions + file.deletions,
    blob_url: `${web(repo)}/blob/${ref}/${encodePath(file.filename)}`,
    raw_url: `${web(repo)}/raw/${ref}/${encodePath(file.filename)}`,
    contents_url: `${api(repo)}/contents/${encodePath(file.filename)}?ref=${ref}`,
    ...(file.patch !== undefined ? { patch: file.patch } : {}),
    ...(file.previousFilename !== undefined ? { previous_filename: file.previousFilename } : {}),
  });

  const contentJson = (repo: Repo, ref: string, entry: TreeEntry) => {
    const type =
      entry.type === "tree"
        ? "dir"
        : entry.type === "commit"
          ? "submodule"
          : entry.mode === "120000"
            ? "symlink"
            : "file";
    const self = `${api(repo)}/contents/${encodePath(entry.path)}?ref=${encodeURIComponent(ref)}`;
    const git = `${api(repo)}/git/${entry.type === "tree" ? "trees" : "blobs"}/${entry.sha}`;
    const html = `${web(repo)}/${entry.type === "tree" ? "tree" : "blob"}/${ref}/${encodePath(entry.path)}`;
    return {
      type,
      size: entry.size ?? 0,
      name: entry.path.split("/").at(-1) ?? entry.path,
      path: entry.path,
      sha: entry.sha,
      url: self,
      git_url: git,
      html_url: html,
      download_url:
        type === "file" ? `${ctx.base}/${repo.owner}/${repo.name}/raw/${ref}/${encodePath(entry.path)}` : null,
      _links: { self, git, html },
    };
  };

  /** The repo's bare repository and the caller, once the caller may read it; GitHub's error sent otherwise. */
  const open = async (
    request: IncomingMessage,
    response: ServerResponse,
    owner: string,
    name: string,
    docs: string,
  ) => {
    const found = visibleRepo(ctx, request, response, owner, name, docs);
    if (!found) return undefined;
    return { ...found, gitDir: await ctx.git.ensure(found.repo) };
  };

  /** A commit with its stats and one page of its files, as "Get a commit" answers. */
  const fullCommit = async (
    request: IncomingMessage,
    response: ServerResponse,
    repo: Repo,
    gitDir: string,
    commit: RawCommit,
  ) => {
    const all = (await diffFiles(gitDir, commit.parents[0] ?? EMPTY_TREE, commit.sha)).slice(0, MAX_FILES);
    const address = url(request);
    const page = Number(address.searchParams.get("page")) || 1;
    const perPage = Math.min(FILES_PER_PAGE, Number(address.searchParams.get("per_page")) || FILES_PER_PAGE);
    const link = linkHeader(address, page, Math.max(1, Math.ceil(all.length / perPage)));
    if (link) response.setHeader("link", link);
    const additions = all.reduce((sum, file) => sum + file.additions, 0);
    const deletions = all.reduce((sum, file) => sum + file.deletions, 0);
    return {
      ...commitJson(repo, commit),
      stats: { total: additions + deletions, additions, deletions },
      files: all.slice((page - 1) * perPage, page * perPage).map((file) => fileJson(repo, commit.sha, file)),
    };
  };

  const mayWrite = (caller: AuthenticatedCaller) =>
    caller.kind === "user" ||
    (caller.kind === "installation" &&
      (caller.record.permissions?.contents === "write" || caller.record.permissions?.contents === "admin"));

  return [
    route("GET", /^\/repos\/([^/]+)\/([^/]+)\/commits$/, async (request, response, [owner = "", name = ""]) => {
      const found = await open(request, response, owner, name, DOC.listCommits);
      if (!found) return;
      const { repo, gitDir } = found;
      if (!(await hasCommits(gitDir))) return sendError(response, 409, EMPTY_REPO, DOC.listCommits);
      const params = url(request).searchParams;
      const ref = params.get("sha") || ctx.git.defaultBranch(repo);
      const head = await resolveCommit(gitDir, ref);
      if (!head) return sendError(response, 404, `No commit found for SHA: ${ref}`, DOC.listCommits);
      const path = params.get("path")?.replace(/^\/+|\/+$/g, "") || undefined;
      if (path !== undefined && !isRepoPath(path)) return sendJson(response, 200, []);
      const ids = paginate(url(request), await commitIds(gitDir, head, path), response);
      const commits = await readCommits(gitDir, ids);
      sendJson(
        response,
        200,
        commits.map((commit) => commitJson(repo, commit)),
      );
    }),

    route(
      "GET",
      /^\/repos\/([^/]+)\/([^/]+)\/commits\/(.+)$/,
      async (request, response, [owner = "", name = "", ref = ""]) => {
        const found = await open(request, response, owner, name, DOC.getCommit);
        if (!found) return;
        const { repo, gitDir } = found;
        if (!(await hasCommits(gitDir))) return sendError(response, 409, EMPTY_REPO, DOC.getCommit);
        const sha = await resolveCommit(gitDir, ref);
        const [commit] = sha ? await readCommits(gitDir, [sha]) : [];
        if (!commit) return sendError(response, 422, `No commit found for SHA: ${ref}`, DOC.getCommit);
        sendJson(response, 200, await fullCommit(request, response, repo, gitDir, commit));
      },
    ),

    route(
      "GET",
      /^\/repos\/([^/]+)\/([^/]+)\/compare\/(.+)$/,
      async (request, response, [owner = "", name = "", basehead = ""]) => {
        const found = await open(request, response, owner, name, DOC.compare);
        if (!found) return;
        const { repo, gitDir } = found;
        const [baseRef = "", headRef = ""] = basehead.split("...");
        const [base, head] = await Promise.all([resolveCommit(gitDir, baseRef), resolveCommit(gitDir, headRef)]);
        if (!base || !head) return sendError(response, 404, "Not Found", DOC.compare);
        const common = await mergeBase(gitDir, base, head);
        if (!common) {
          return sendError(response, 404, `No common ancestor between ${baseRef} and ${headRef}.`, DOC.compare);
        }
        const { ahead, behind } = await aheadBehind(gitDir, base, head);
        const ids = (await commitIds(gitDir, `${common}..${head}`)).reverse().slice(0, MAX_COMPARE_COMMITS);
        const [commits, [baseCommit], [baseOfMerge], files] = await Promise.all([
          readCommits(gitDir, ids),
          readCommits(gitDir, [base]),
          readCommits(gitDir, [common]),
          diffFiles(gitDir, common, head),
        ]);
        if (!baseCommit || !baseOfMerge) return sendError(response, 404, "Not Found", DOC.compare);
        const status = ahead && behind ? "diverged" : ahead ? "ahead" : behind ? "behind" : "identical";
        sendJson(response, 200, {
          url: `${api(repo)}/compare/${basehead}`,
          html_url: `${web(repo)}/compare/${basehead}`,
          permalink_url: `${web(repo)}/compare/${repo.owner}:${base.slice(0, 7)}...${repo.owner}:${head.slice(0, 7)}`,
          diff_url: `${web(repo)}/compare/${basehead}.diff`,
          patch_url: `${web(repo)}/compare/${basehead}.patch`,
          base_commit: commitJson(repo, baseCommit),
          merge_base_commit: commitJson(repo, baseOfMerge),
          status,
          ahead_by: ahead,
          behind_by: behind,
          total_commits: ahead,
          commits: commits.map((commit) => commitJson(repo, commit)),
          files: files.slice(0, MAX_FILES).map((file) => fileJson(repo, head, file)),
        });
      },
    ),

    route(
      "GET",
      /^\/repos\/([^/]+)\/([^/]+)\/contents(?:\/(.*))?$/,
      async (request, response, [owner = "", name = "", rawPath = ""]) => {
        const found = await open(request, response, owner, name, DOC.contents);
        if (!found) return;
        const { repo, gitDir } = found;
        if (!(await hasCommits(gitDir))) return sendError(response, 404, "This repository is empty.", DOC.contents);
        const ref = url(request).searchParams.get("ref") || ctx.git.defaultBranch(repo);
        const commit = await resolveCommit(gitDir, ref);
        if (!commit) return sendError(response, 404, `No commit found for the ref ${ref}`, DOC.contents);
        const path = rawPath.replace(/^\/+|\/+$/g, "");
        if (path !== "" && !isRepoPath(path)) return sendError(response, 404, "Not Found", DOC.contents);
        const entry: TreeEntry | undefined =
          path === ""
            ? { path: "", mode: "040000", type: "tree", sha: `${commit}^{tree}` }
            : await entryAt(gitDir, commit, path);
        if (!entry) return sendError(response, 404, "Not Found", DOC.contents);
        if (entry.type === "tree") {
          const children = await listTree(gitDir, path === "" ? commit : `${commit}:${path}`, false);
          return sendJson(
            response,
            200,
            children.map((child) =>
              contentJson(repo, ref, { ...child, path: path ? `${path}/${child.path}` : child.path }),
            ),
          );
        }
        const shape = contentJson(repo, ref, entry);
        if (entry.type === "commit") return sendJson(response, 200, shape);
        const bytes = await readBlob(gitDir, entry.sha);
        if (shape.type === "symlink") return sendJson(response, 200, { ...shape, target: bytes.toString("utf8") });
        const inline = bytes.length <= INLINE_CONTENT_BYTES;
        sendJson(response, 200, {
          ...shape,
          // GitHub wraps base64 at 60 characters, as its clients expect to strip.
          content: inline ? `${(bytes.toString("base64").match(/.{1,60}/g) ?? []).join("\n")}\n` : "",
          encoding: inline ? "base64" : "none",
        });
      },
    ),

    route(
      "GET",
      /^\/repos\/([^/]+)\/([^/]+)\/git\/trees\/(.+)$/,
      async (request, response, [owner = "", name = "", treeish = ""]) => {
        const found = await open(request, response, owner, name, DOC.tree);
        if (!found) return;
        const { repo, gitDir } = found;
        const recursive = Boolean(url(request).searchParams.get("recursive"));
        const sha = await resolveTree(gitDir, treeish);
        if (!sha) return sendError(response, 404, "Not Found", DOC.tree);
        const entries = await listTree(gitDir, sha, recursive);
        sendJson(response, 200, {
          sha,
          url: `${api(repo)}/git/trees/${sha}`,
          tree: entries.map((entry) => ({
            path: entry.path,
            mode: entry.mode,
            type: entry.type,
            sha: entry.sha,
            ...(entry.size !== undefined ? { size: entry.size } : {}),
            url: `${api(repo)}/git/${entry.type === "tree" ? "trees" : "blobs"}/${entry.sha}`,
          })),
          truncated: false,
        });
      },
    ),

    route("GET", /^\/repos\/([^/]+)\/([^/]+)\/branches$/, async (request, response, [owner = "", name = ""]) => {
      const found = await open(request, response, owner, name, DOC.branches);
      if (!found) return;
      const { repo, gitDir } = found;
      const refs = await ctx.git.refs(gitDir);
      const branches = [...refs]
        .filter(([ref]) => ref.startsWith("refs/heads/"))
        .map(([ref, sha]) => ({
          name: ref.slice("refs/heads/".length),
          commit: { sha, url: `${api(repo)}/commits/${sha}` },
          protected: false,
        }))
        .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
      sendJson(response, 200, paginate(url(request), branches, response));
    }),

    route("POST", /^\/repos\/([^/]+)\/([^/]+)\/merges$/, async (request, response, [owner = "", name = ""]) => {
      const found = await open(request, response, owner, name, DOC.merge);
      if (!found) return;
      const { repo, gitDir, caller } = found;
      if (!mayWrite(caller)) return sendError(response, 403, "Resource not accessible by integration", DOC.merge);
      const body = await readJson(request, mergeBodySchema);
      const author =
        caller.kind === "user"
          ? { name: caller.record.login, email: `${caller.record.login}@users.noreply.github.com` }
          : { name: ctx.bot.login, email: `${ctx.bot.id}+${ctx.bot.login}@users.noreply.github.com` };
      const outcome = await ctx.git.withLock(repo, async () => {
        const base = isRefName(body.base) ? await ctx.git.head(gitDir, body.base) : undefined;
        if (!base) return { status: 404, message: "Base does not exist" } as const;
        const head = await resolveCommit(gitDir, body.head);
        if (!head) return { status: 404, message: "Head does not exist" } as const;
        if (await ctx.git.isAncestor(gitDir, head, base)) return { status: 204 } as const;
        const tree = await mergeTrees(gitDir, base, head);
        if (tree === "conflict") return { status: 409, message: "Merge conflict" } as const;
        const before = await ctx.git.refs(gitDir);
        const sha = await writeCommit(gitDir, {
          tree,
          parents: [base, head],
          message: body.commit_message ?? `Merge ${body.head} into ${body.base}`,
          author,
        });
        if (!(await moveBranch(gitDir, body.base, sha, base)))
          return { status: 409, message: "Merge conflict" } as const;
        const sender = caller.kind === "user" ? ctx.state.account(caller.record.login) : undefined;
        await ctx.sendPushEvents(repo, gitDir, before, await ctx.git.refs(gitDir), {
          sender: sender ?? ctx.bot,
          name: author.name,
          email: author.email,
        });
        return { status: 201, sha } as const;
      });
      if (outcome.status === 204) return void response.writeHead(204).end();
      if (outcome.status !== 201) return sendError(response, outcome.status, outcome.message, DOC.merge);
      const [commit] = await readCommits(gitDir, [outcome.sha]);
      if (!commit) throw new Error("the merge commit vanished");
      sendJson(response, 201, await fullCommit(request, response, repo, gitDir, commit));
    }),
  ];
}
