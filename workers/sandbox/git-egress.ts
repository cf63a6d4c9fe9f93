import { descendsFrom, packCommits } from "./pack-commits";
import { packetText, readPackets } from "./pkt-line";

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

/**
 * The repo the route leads to: `owner/repo` as GitHub names it, its real HTTPS clone URL, and
 * the branch our sync pushes.
 */
export type GitEgressTarget = { fullName: string; cloneUrl: string; branch: string };

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

/** One ref update a push asks for; `old` or `new` is all zeros for none (a creation, a deletion). */
export type RefUpdate = { ref: string; old: string; new: string };

/** A ref update as GitHub answered it (`report-status`): `ok`, or refused with `reason`. */
export type PushedRef = RefUpdate & { ok: boolean; reason?: string };

const NO_SHA = /^0+$/;

/**
 * What one sync may do beyond updating its branch and creating `ctx4-ai/` side branches:
 * `replace`, its branch is a client's proposal (`ctx4-ai/review-…`), ctx4-ai's own, rebased as
 * the default branch moves, so it may be replaced rather than only fast-forwarded;
 * `deletable`, the one ref it may delete (a proposal the person approved or rejected).
 */
export type PushRules = { replace?: boolean; deletable?: string };

/**
 * Why a push may not make `update`, or undefined when it may. Our sync pushes only to the
 * branch it syncs (the user's, or a proposal's) and creates side branches under
 * `refs/heads/ctx4-ai/`: nothing deletes a ref (but `rules.deletable`), creates a tag, or
 * touches another branch. When GitHub had the branch when we last saw it (`branchExisted`), it
 * is not created again: it was renamed or deleted meanwhile, and a new branch of the old name
 * would take work away from the default branch.
 */
export function refUpdateProblem(
  update: RefUpdate,
  branch: string,
  branchExisted = false,
  rules: PushRules = {},
): string | undefined {
  if (NO_SHA.test(update.new)) {
    return update.ref === rules.deletable ? undefined : `deleting ${update.ref} is not allowed`;
  }
  if (update.ref === `refs/heads/${branch}`) {
    if (branchExisted && NO_SHA.test(update.old)) {
      return `${branch} is gone from GitHub (renamed or deleted), so it is not created again`;
    }
    return undefined;
  }
  if (update.ref.startsWith("refs/heads/ctx4-ai/") && NO_SHA.test(update.old)) return undefined;
  return `pushing to ${update.ref} is not allowed (only ${branch}, and new branches under ctx4-ai/)`;
}

/** The largest push the route reads and passes on: a memory is notes, not media. */
export const MAX_PUSH_BYTES = 64 * 1024 * 1024;

/** Request headers git's smart HTTP needs; anything else the sandbox sends stays behind. */
const FORWARDED_REQUEST_HEADERS = ["accept", "content-type", "content-encoding", "git-protocol", "user-agent"];
/** Response headers git reads. */
const FORWARDED_RESPONSE_HEADERS = ["content-type", "cache-control", "expires", "pragma"];

export type ForwardOptions = {
  /** The installation token, added as git's Basic credential. */
  token: string;
  /** The branch our sync pushes: a push may update it and create side branches, nothing else. */
  branch: string;
  /** GitHub had `branch` when last seen: a push may not create it (see {@link refUpdateProblem}). */
  branchExisted?: boolean;
  /** What this sync may do besides (see {@link PushRules}). */
  rules?: PushRules;
  /** Told every ref a push asked for and what GitHub answered: the record of what landed. */
  onPushed?: (refs: PushedRef[]) => void;
  /** Told why a request was refused here (git shows only the status). */
  onRefused?: (reason: string) => void;
  fetcher?: typeof fetch;
};

/**
 * Sends an allowed request to GitHub with the token as git's Basic credential
 * (`x-access-token:<token>`, as GitHub documents for installation tokens:
 * https://docs.github.com/en/apps/creating-github-apps/authenticating-with-a-github-app/authenticating-as-a-github-app-installation#about-authentication-as-a-github-app-installation).
 * A push is read first: one that would delete a ref or touch a ref other than the branch and
 * new `ctx4-ai/` side branches (beyond `options.rules`) is refused (403) before anything is sent, and GitHub's
 * report of which refs it updated goes to `onPushed`
 * (https://git-scm.com/docs/pack-protocol#_reference_update_request_and_packfile_transfer).
 * Redirects are not followed, and a redirect answer is refused (502): following one could
 * carry the token, or the user's data, to another place.
 */
export async function forwardGitEgress(
  request: Request,
  verdict: Extract<GitEgressVerdict, { allowed: true }>,
  options: ForwardOptions,
): Promise<Response> {
  const refuse = (status: number, reason: string) => {
    options.onRefused?.(reason);
    return refusal(status, reason);
  };
  const headers = new Headers({ authorization: `Basic ${btoa(`x-access-token:${options.token}`)}` });
  for (const name of FORWARDED_REQUEST_HEADERS) {
    const value = request.headers.get(name);
    if (value !== null) headers.set(name, value);
  }
  let body: ReadableStream<Uint8Array> | Uint8Array<ArrayBuffer> | null =
    request.method === "POST" ? request.body : null;
  let push: PushCommands | undefined;
  if (verdict.service === "git-receive-pack" && request.body) {
    if (request.headers.get("content-encoding")) return refuse(403, "a compressed push cannot be checked");
    const bytes = await readAtMost(request.body, MAX_PUSH_BYTES);
    if (!bytes) return refuse(413, `a push of more than ${MAX_PUSH_BYTES / 1024 / 1024} MiB is not taken`);
    const read = await readPush(bytes, options.branch, options.branchExisted, options.rules);
    if (typeof read === "string") return refuse(403, read);
    push = read;
    body = bytes;
  }
  const upstream = await (options.fetcher ?? fetch)(verdict.upstream, {
    method: request.method,
    headers,
    body,
    redirect: "manual",
  });
  if (upstream.status >= 300 && upstream.status < 400) {
    await upstream.body?.cancel();
    return refuse(502, "GitHub answered with a redirect, which ctx4-ai does not follow");
  }
  const responseHeaders = new Headers();
  for (const name of FORWARDED_RESPONSE_HEADERS) {
    const value = upstream.headers.get(name);
    if (value !== null) responseHeaders.set(name, value);
  }
  if (!push) return new Response(upstream.body, { status: upstream.status, headers: responseHeaders });
  // The report is small: read it whole, record it, and hand git the same bytes.
  const report = new Uint8Array(await upstream.arrayBuffer());
  options.onPushed?.(pushedRefs(push, upstream.ok ? report : new Uint8Array()));
  return new Response(report, { status: upstream.status, headers: responseHeaders });
}

type PushCommands = { updates: RefUpdate[]; sideBand: boolean };

/**
 * The ref updates of a receive-pack request (`<old> <new> <ref>` pkt-lines, the first with
 * `\0<capabilities>`, up to a flush; the packfile follows), checked: each must be one
 * {@link refUpdateProblem} allows, and an update of the branch must keep its history (the
 * commits in the pack lead from the new commit back to the old: a fast-forward, never a
 * force-push), unless it is a proposal's (`rules.replace`). Our sync pushes with `--no-thin`, so its packs carry every commit that shows
 * this. A string says why the push is refused.
 */
async function readPush(
  bytes: Uint8Array,
  branch: string,
  branchExisted = false,
  rules: PushRules = {},
): Promise<PushCommands | string> {
  const read = readPackets(bytes, { stopAtFlush: true });
  if (read?.packets.at(-1) !== "flush") return "not a push git's protocol describes";
  const updates: RefUpdate[] = [];
  let capabilities = "";
  for (const packet of read.packets.slice(0, -1)) {
    const parsed = typeof packet === "string" ? undefined : parseCommand(packet);
    if (!parsed) return "a push may only hold ref updates";
    updates.push(parsed.update);
    capabilities ||= parsed.capabilities;
  }
  const problem = updates.map((update) => refUpdateProblem(update, branch, branchExisted, rules)).find(Boolean);
  if (problem) return problem;
  const replaced = (update: RefUpdate) => rules.replace === true && update.ref === `refs/heads/${branch}`;
  const moves = updates.filter(
    (update) => !NO_SHA.test(update.old) && !NO_SHA.test(update.new) && update.old !== update.new && !replaced(update),
  );
  if (moves.length > 0) {
    const commits = await packCommits(bytes.subarray(read.end)).catch(() => undefined);
    if (!commits) return "the pack of this push cannot be read, so it cannot be checked";
    for (const update of moves) {
      const branchName = update.ref.replace(/^refs\/heads\//, "");
      const kept = descendsFrom(commits, update.new, update.old);
      if (kept === "no") return `this push would rewrite the history of ${branchName}; ctx4-ai never force-pushes`;
      if (kept === "unknown") {
        return `this push builds on commits it does not carry, so it cannot be shown to keep the history of ${branchName}`;
      }
    }
  }
  return { updates, sideBand: /(^| )side-band(-64k)?( |$)/.test(capabilities) };
}

/** The whole stream, or undefined (and the rest left unread) once it passes `limit` bytes. */
async function readAtMost(
  stream: ReadableStream<Uint8Array>,
  limit: number,
): Promise<Uint8Array<ArrayBuffer> | undefined> {
  const reader = stream.getReader();
  const chunks: Uint8Array[] = [];
  let length = 0;
  for (let chunk = await reader.read(); !chunk.done; chunk = await reader.read()) {
    chunks.push(chunk.value);
    length += chunk.value.length;
    if (length > limit) {
      await reader.cancel();
      return undefined;
    }
  }
  return concat(chunks);
}

function parseCommand(packet: Uint8Array): { update: RefUpdate; capabilities: string } | undefined {
  const [command = "", capabilities = ""] = packetText(packet).split("\0");
  const match = /^([0-9a-f]{40}|[0-9a-f]{64}) ([0-9a-f]{40}|[0-9a-f]{64}) (refs\/\S+)$/.exec(command);
  if (!match) return undefined;
  const [, old = "", updated = "", ref = ""] = match;
  return { update: { ref, old, new: updated }, capabilities };
}

/**
 * Each update of `push` with GitHub's verdict from its report-status answer (inside side-band
 * channel 1 when git asked for side-band): `ok <ref>` or `ng <ref> <reason>`. An update the
 * report does not mention did not happen.
 */
function pushedRefs(push: PushCommands, report: Uint8Array): PushedRef[] {
  let payload = report;
  if (push.sideBand) {
    const parts = (readPackets(report)?.packets ?? []).filter(
      (packet): packet is Uint8Array => typeof packet !== "string" && packet[0] === 1,
    );
    payload = concat(parts.map((part) => part.subarray(1)));
  }
  const verdicts = new Map<string, { ok: boolean; reason?: string }>();
  for (const packet of readPackets(payload)?.packets ?? []) {
    if (typeof packet === "string") continue;
    const line = packetText(packet);
    const ok = /^ok (\S+)$/.exec(line);
    const ng = /^ng (\S+) (.*)$/.exec(line);
    if (ok?.[1]) verdicts.set(ok[1], { ok: true });
    else if (ng?.[1]) verdicts.set(ng[1], { ok: false, reason: ng[2] });
  }
  return push.updates.map((update) => ({
    ...update,
    ...(verdicts.get(update.ref) ?? { ok: false, reason: "not reported" }),
  }));
}

/** The parts joined into one array, each byte copied once. */
function concat(parts: Uint8Array[]): Uint8Array<ArrayBuffer> {
  const joined = new Uint8Array(parts.reduce((sum, part) => sum + part.length, 0));
  let offset = 0;
  for (const part of parts) {
    joined.set(part, offset);
    offset += part.length;
  }
  return joined;
}

function refusal(status: number, reason: string): Response {
  return new Response(`ctx4-ai: ${reason}.\n`, { status });
}

/** The plain-text answer git shows for a refused request. */
export function refusedEgress(verdict: Extract<GitEgressVerdict, { allowed: false }>): Response {
  return refusal(verdict.status, verdict.reason);
}

function allow(target: GitEgressTarget, suffix: string, service: GitService): GitEgressVerdict {
  return { allowed: true, upstream: `${target.cloneUrl.replace(/\/+$/, "")}${suffix}`, service };
}

function refuse(status: 403 | 404 | 405, reason: string): GitEgressVerdict {
  return { allowed: false, status, reason };
}
