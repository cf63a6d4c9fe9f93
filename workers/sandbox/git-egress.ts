/**
 * The one way out of a user's sandbox: git's smart HTTP requests for the user's own repo.
 *
 * Git in the sandbox holds no credential. Its remote is `http://github.ctx4.internal/<owner>/<repo>.git`,
 * a host that exists only inside our route: the Cloudflare container runtime hands its requests to
 * the Worker (`outboundByHost`), the local sandbox host relays them to the Worker the same way.
 * Here the Worker decides whether a request may go out and, if so, sends it to GitHub with the
 * installation token added. Everything else is refused.
 *
 * Git's smart HTTP protocol: https://git-scm.com/docs/http-protocol (the three requests below
 * are all a clone, fetch or push makes).
 */

/** The host git in the sandbox talks to. Plain HTTP: the request never leaves the runtime unencrypted. */
export const GIT_EGRESS_HOST = "github.ctx4.internal";

/** The repo the route leads to: `owner/repo` as GitHub names it, and its real HTTPS clone URL. */
export type GitEgressTarget = { fullName: string; cloneUrl: string };

export type GitService = "git-upload-pack" | "git-receive-pack";

/** `allowed`: send to `upstream` with the credential. Otherwise answer `status` with `reason` and send nothing. */
export type GitEgressVerdict =
  | { allowed: true; upstream: string; service: GitService }
  | { allowed: false; status: 403 | 404 | 405; reason: string };

/** The clone's remote URL for `owner/repo`: what git in the sandbox is configured with. */
export function gitRemoteUrl(fullName: string): string {
  return `http://${GIT_EGRESS_HOST}/${fullName}.git`;
}

const SERVICES = new Set<string>(["git-upload-pack", "git-receive-pack"]);
// GitHub's names: owner letters, digits and '-'; repo letters, digits, '.', '_' and '-'.
const GIT_PATH = /^\/([A-Za-z0-9-]+)\/([A-Za-z0-9._-]+?)(?:\.git)?\/(info\/refs|git-upload-pack|git-receive-pack)$/;

/**
 * Whether `method url` is one of the smart HTTP requests of `target`'s repo:
 * `GET …/info/refs?service=git-upload-pack|git-receive-pack`, `POST …/git-upload-pack`,
 * `POST …/git-receive-pack`, on {@link GIT_EGRESS_HOST} over plain HTTP, nothing else in the URL.
 * Owner and repo compare case-insensitively, as GitHub's do.
 */
export function checkGitEgress(method: string, url: string, target: GitEgressTarget): GitEgressVerdict {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return refuse(403, "not a URL");
  }
  if (parsed.protocol !== "http:" || parsed.hostname !== GIT_EGRESS_HOST || parsed.port !== "") {
    return refuse(403, `the sandbox may reach ${GIT_EGRESS_HOST} only, not ${parsed.host || url}`);
  }
  if (parsed.username || parsed.password || parsed.hash)
    return refuse(403, "credentials and fragments are not allowed");
  const match = GIT_PATH.exec(parsed.pathname);
  if (!match) return refuse(404, "only git's smart HTTP requests are allowed");
  const [, owner = "", repo = "", action = ""] = match;
  if (`${owner}/${repo}`.toLowerCase() !== target.fullName.toLowerCase()) {
    return refuse(403, `the sandbox may reach ${target.fullName} only`);
  }
  const query = [...parsed.searchParams];
  if (action === "info/refs") {
    if (method !== "GET") return refuse(405, "info/refs is read with GET");
    const [name, service = ""] = query.length === 1 ? (query[0] ?? []) : [];
    if (name !== "service" || !SERVICES.has(service)) {
      return refuse(403, "info/refs needs service=git-upload-pack or service=git-receive-pack, and nothing else");
    }
    return allow(target, `/info/refs?service=${service}`, service as GitService);
  }
  if (method !== "POST") return refuse(405, `${action} takes POST`);
  if (query.length > 0) return refuse(403, `${action} takes no query`);
  return allow(target, `/${action}`, action as GitService);
}

/** Request headers git's smart HTTP needs; anything else the sandbox sends stays behind. */
const FORWARDED_REQUEST_HEADERS = ["accept", "content-type", "content-encoding", "git-protocol", "user-agent"];
/** Response headers git reads. */
const FORWARDED_RESPONSE_HEADERS = ["content-type", "cache-control", "expires", "pragma"];

/**
 * Sends an allowed request to GitHub with `token` as git's Basic credential
 * (`x-access-token:<token>`, as GitHub documents for installation tokens:
 * https://docs.github.com/en/apps/creating-github-apps/authenticating-with-a-github-app/authenticating-as-a-github-app-installation#about-authentication-as-a-github-app-installation).
 * Redirects are not followed, and a redirect answer is refused (502): following one could
 * carry the token, or the user's data, to another place.
 */
export async function forwardGitEgress(
  request: Request,
  verdict: Extract<GitEgressVerdict, { allowed: true }>,
  token: string,
  fetcher: typeof fetch = fetch,
): Promise<Response> {
  const headers = new Headers({ authorization: `Basic ${btoa(`x-access-token:${token}`)}` });
  for (const name of FORWARDED_REQUEST_HEADERS) {
    const value = request.headers.get(name);
    if (value !== null) headers.set(name, value);
  }
  const upstream = await fetcher(verdict.upstream, {
    method: request.method,
    headers,
    body: request.method === "POST" ? request.body : undefined,
    redirect: "manual",
  });
  if (upstream.status >= 300 && upstream.status < 400) {
    await upstream.body?.cancel();
    return new Response("GitHub answered with a redirect, which ctx4-ai does not follow.\n", { status: 502 });
  }
  const responseHeaders = new Headers();
  for (const name of FORWARDED_RESPONSE_HEADERS) {
    const value = upstream.headers.get(name);
    if (value !== null) responseHeaders.set(name, value);
  }
  return new Response(upstream.body, { status: upstream.status, headers: responseHeaders });
}

/** The plain-text answer git shows for a refused request. */
export function refusedEgress(verdict: Extract<GitEgressVerdict, { allowed: false }>): Response {
  return new Response(`ctx4-ai: ${verdict.reason}.\n`, { status: verdict.status });
}

function allow(target: GitEgressTarget, suffix: string, service: GitService): GitEgressVerdict {
  return { allowed: true, upstream: `${target.cloneUrl.replace(/\/+$/, "")}${suffix}`, service };
}

function refuse(status: 403 | 404 | 405, reason: string): GitEgressVerdict {
  return { allowed: false, status, reason };
}
