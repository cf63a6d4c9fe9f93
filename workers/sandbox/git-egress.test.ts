import { describe, expect, it } from "vitest";
import {
  checkGitEgress,
  forwardGitEgress,
  GIT_EGRESS_HOST,
  type GitEgressVerdict,
  gitRemoteUrl,
  type PushedRef,
  refUpdateProblem,
} from "./git-egress";
import recorded from "./git-requests.fixture.json";
import { buildPack, commitContent, commitId, joinBytes } from "./test-pack";

const target = { fullName: "alice/ctx", cloneUrl: "https://github.com/alice/ctx.git", branch: "main" };
const TOKEN = "ghs_recordedTestToken0123456789abcdefABCD";

/** A request as git sent it (recorded from a real clone and push through the sandbox's proxy). */
function replay(entry: (typeof recorded.requests)[number], url = entry.url): Request {
  const body = entry.body ? Uint8Array.from(atob(entry.body), (char) => char.charCodeAt(0)) : undefined;
  return new Request(url, { method: entry.method, headers: entry.headers as Record<string, string>, body });
}

function allowed(verdict: GitEgressVerdict) {
  if (!verdict.allowed) throw new Error(`refused: ${verdict.reason}`);
  return verdict;
}

/** GitHub at the network edge: records what it was sent and answers `answer`. */
function github(answer: () => Response = () => new Response("ok", { headers: { "content-type": "text/plain" } })) {
  const sent: Request[] = [];
  const fetcher = (async (input: RequestInfo | URL, init?: RequestInit) => {
    sent.push(new Request(input, init));
    return answer();
  }) as typeof fetch;
  return { sent, fetcher };
}

describe("the git egress rule", () => {
  it("lets the selected repo's recorded clone and push requests out, to GitHub, with the token", async () => {
    expect(recorded.requests.map((entry) => entry.name)).toEqual([
      "clone: ref advertisement",
      "clone: fetch pack",
      "push: ref advertisement",
      "push: send pack",
    ]);
    const upstreams = [
      "https://github.com/alice/ctx.git/info/refs?service=git-upload-pack",
      "https://github.com/alice/ctx.git/git-upload-pack",
      "https://github.com/alice/ctx.git/info/refs?service=git-receive-pack",
      "https://github.com/alice/ctx.git/git-receive-pack",
    ];
    for (const [index, entry] of recorded.requests.entries()) {
      const request = replay(entry);
      const verdict = allowed(checkGitEgress(request.method, request.url, target));
      expect(verdict.upstream).toBe(upstreams[index]);

      const { sent, fetcher } = github();
      const response = await forwardGitEgress(request, verdict, { token: TOKEN, branch: "main", fetcher });
      expect(response.status).toBe(200);
      const [out] = sent;
      if (!out) throw new Error("nothing sent");
      expect(out.url).toBe(upstreams[index]);
      expect(out.method).toBe(entry.method);
      expect(out.headers.get("authorization")).toBe(`Basic ${btoa(`x-access-token:${TOKEN}`)}`);
      expect(out.redirect).toBe("manual");
      expect(new Uint8Array(await out.arrayBuffer())).toEqual(
        Uint8Array.from(atob(entry.body), (char) => char.charCodeAt(0)),
      );
      // Only what git's protocol needs is passed on.
      const names = [...out.headers.keys()].sort();
      expect(
        names.every((name) => ["accept", "authorization", "content-type", "git-protocol", "user-agent"].includes(name)),
      ).toBe(true);
    }
  });

  it("names the sandbox's remote on the egress host, and compares owner and repo as GitHub does", () => {
    expect(gitRemoteUrl("alice/ctx")).toBe(`http://${GIT_EGRESS_HOST}/alice/ctx.git`);
    const upper = checkGitEgress(
      "GET",
      `http://${GIT_EGRESS_HOST}/Alice/CTX/info/refs?service=git-upload-pack`,
      target,
    );
    expect(allowed(upper).upstream).toBe("https://github.com/alice/ctx.git/info/refs?service=git-upload-pack");
  });

  it("refuses another repo, another host, another path or method, and extra parts of the URL", () => {
    const refused: [string, string][] = [
      // the same recorded requests for another repo of the same owner, or another owner
      ...recorded.requests.map((entry): [string, string] => [
        entry.method,
        entry.url.replace("alice/ctx", "alice/other"),
      ]),
      ...recorded.requests.map((entry): [string, string] => [
        entry.method,
        entry.url.replace("alice/ctx", "mallory/ctx"),
      ]),
      // other hosts, ports and schemes
      ["GET", "https://github.com/alice/ctx.git/info/refs?service=git-upload-pack"],
      ["POST", "http://github.com/alice/ctx.git/git-receive-pack"],
      ["GET", "http://api.github.com/repos/alice/ctx"],
      ["GET", `https://${GIT_EGRESS_HOST}/alice/ctx.git/info/refs?service=git-upload-pack`],
      ["GET", `http://${GIT_EGRESS_HOST}:8080/alice/ctx.git/info/refs?service=git-upload-pack`],
      ["GET", "http://127.0.0.1:4010/alice/ctx.git/info/refs?service=git-upload-pack"],
      ["GET", `http://x-access-token:guess@${GIT_EGRESS_HOST}/alice/ctx.git/info/refs?service=git-upload-pack`],
      // a push (or anything) to another path of the repo, or the dumb protocol
      ["POST", `http://${GIT_EGRESS_HOST}/alice/ctx.git/objects/info/packs`],
      ["GET", `http://${GIT_EGRESS_HOST}/alice/ctx.git/HEAD`],
      ["POST", `http://${GIT_EGRESS_HOST}/alice/ctx.git/info/lfs/objects/batch`],
      ["POST", `http://${GIT_EGRESS_HOST}/alice/ctx.git/git-receive-pack/extra`],
      ["POST", `http://${GIT_EGRESS_HOST}/alice/ctx.git/../other.git/git-receive-pack`],
      ["POST", `http://${GIT_EGRESS_HOST}/alice%2Fctx.git/git-receive-pack`],
      ["POST", `http://${GIT_EGRESS_HOST}/alice/ctx.git/git-receive-pack?service=x`],
      ["POST", `http://${GIT_EGRESS_HOST}/alice/ctx.git/info/refs?service=git-receive-pack`],
      ["GET", `http://${GIT_EGRESS_HOST}/alice/ctx.git/git-upload-pack`],
      ["GET", `http://${GIT_EGRESS_HOST}/alice/ctx.git/info/refs`],
      ["GET", `http://${GIT_EGRESS_HOST}/alice/ctx.git/info/refs?service=git-upload-archive`],
      ["GET", `http://${GIT_EGRESS_HOST}/alice/ctx.git/info/refs?service=git-upload-pack&service=git-receive-pack`],
      ["GET", "not a url"],
    ];
    for (const [method, url] of refused) {
      const verdict = checkGitEgress(method, url, target);
      expect(verdict.allowed, `${method} ${url}`).toBe(false);
    }
  });

  it("does not follow a redirect from GitHub, and gives git no part of it", async () => {
    for (const status of [301, 302, 303, 307, 308]) {
      const { sent, fetcher } = github(
        () => new Response(null, { status, headers: { location: "https://evil.example/alice/ctx.git/info/refs" } }),
      );
      const request = replay(recorded.requests[0] as (typeof recorded.requests)[number]);
      const response = await forwardGitEgress(request, allowed(checkGitEgress("GET", request.url, target)), {
        token: TOKEN,
        branch: "main",
        fetcher,
      });
      expect(response.status).toBe(502);
      expect(response.headers.get("location")).toBeNull();
      expect(await response.text()).not.toContain("evil.example");
      expect(sent).toHaveLength(1);
    }
  });

  it("passes GitHub's answer back with only the headers git reads", async () => {
    const { fetcher } = github(
      () =>
        new Response("refs", {
          status: 200,
          headers: {
            "content-type": "application/x-git-upload-pack-advertisement",
            "set-cookie": "session=1",
            "x-github-request-id": "abc",
          },
        }),
    );
    const request = replay(recorded.requests[0] as (typeof recorded.requests)[number]);
    const response = await forwardGitEgress(request, allowed(checkGitEgress("GET", request.url, target)), {
      token: TOKEN,
      branch: "main",
      fetcher,
    });
    expect(response.headers.get("content-type")).toBe("application/x-git-upload-pack-advertisement");
    expect(response.headers.get("set-cookie")).toBeNull();
    expect(await response.text()).toBe("refs");
  });
});

const pkt = (payload: string | Uint8Array) => {
  const bytes = typeof payload === "string" ? new TextEncoder().encode(payload) : payload;
  const framed = new Uint8Array(bytes.length + 4);
  framed.set(new TextEncoder().encode((bytes.length + 4).toString(16).padStart(4, "0")));
  framed.set(bytes, 4);
  return framed;
};
/** GitHub's report-status answer inside side-band channel 1, as git asks for it. */
const sideBandReport = (...lines: string[]) =>
  joinBytes(pkt(joinBytes(new Uint8Array([1]), ...lines.map((line) => pkt(`${line}\n`)), "0000")), "0000");

const OLD = "e7342af55ab4391f97e2ac4361efd6248baf3bff";
const NEW = "055adb40593bbbf7cf1759d8cdc083d2093fff8c";
const ZERO = "0".repeat(40);

/** A push of `commands` (old, new, ref), with `pack` after them as git sends it. */
function pushRequest(commands: [string, string, string][], pack: Uint8Array = buildPack([])) {
  const lines = commands.map(([old, updated, ref], index) =>
    pkt(`${old} ${updated} ${ref}${index === 0 ? "\0 report-status side-band-64k agent=git/2.39.5" : ""}\n`),
  );
  return new Request(`http://${GIT_EGRESS_HOST}/alice/ctx.git/git-receive-pack`, {
    method: "POST",
    headers: { "content-type": "application/x-git-receive-pack-request" },
    body: joinBytes(...lines, "0000", pack),
  });
}

/** A pack holding one commit on top of `parent`, and that commit's id. */
async function commitOn(parent: string[], message = "a note") {
  const content = commitContent(parent, message);
  return { id: await commitId(content), pack: buildPack([{ type: "commit", content }]) };
}

describe("a push through the route", () => {
  const push = allowed(checkGitEgress("POST", `http://${GIT_EGRESS_HOST}/alice/ctx.git/git-receive-pack`, target));

  it("may update the branch and create ctx4-ai side branches, and nothing else", () => {
    expect(refUpdateProblem({ ref: "refs/heads/main", old: OLD, new: NEW }, "main")).toBeUndefined();
    expect(refUpdateProblem({ ref: "refs/heads/main", old: ZERO, new: NEW }, "main")).toBeUndefined();
    // A branch GitHub had is not made again once it is gone (renamed on GitHub, say).
    expect(refUpdateProblem({ ref: "refs/heads/main", old: ZERO, new: NEW }, "main", true)).toMatch(/is gone/);
    expect(refUpdateProblem({ ref: "refs/heads/main", old: OLD, new: NEW }, "main", true)).toBeUndefined();
    expect(refUpdateProblem({ ref: "refs/heads/ctx4-ai/conflict-1", old: ZERO, new: NEW }, "main")).toBeUndefined();
    const refused: [string, string, string][] = [
      ["refs/heads/main", OLD, ZERO],
      ["refs/heads/ctx4-ai/conflict-1", OLD, NEW],
      ["refs/heads/ctx4-ai/conflict-1", OLD, ZERO],
      ["refs/heads/other", ZERO, NEW],
      ["refs/heads/other", OLD, ZERO],
      ["refs/tags/v1", ZERO, NEW],
      ["refs/heads/mainly", ZERO, NEW],
    ];
    for (const [ref, old, updated] of refused) {
      expect(refUpdateProblem({ ref, old, new: updated }, "main"), `${ref} ${old} ${updated}`).toBeDefined();
    }
  });

  it("sends the whole recorded push, and records what GitHub says it updated", async () => {
    const recordedPush = recorded.requests[3] as (typeof recorded.requests)[number];
    const pushed: PushedRef[] = [];
    const { sent, fetcher } = github(
      () =>
        new Response(sideBandReport("unpack ok", "ok refs/heads/main"), {
          headers: { "content-type": "application/x-git-receive-pack-result" },
        }),
    );
    const response = await forwardGitEgress(replay(recordedPush), push, {
      token: TOKEN,
      branch: "main",
      fetcher,
      onPushed: (refs) => pushed.push(...refs),
    });
    expect(response.status).toBe(200);
    expect(new Uint8Array(await response.arrayBuffer())).toEqual(sideBandReport("unpack ok", "ok refs/heads/main"));
    expect(new Uint8Array(await (sent[0] as Request).arrayBuffer())).toEqual(
      Uint8Array.from(atob(recordedPush.body), (char) => char.charCodeAt(0)),
    );
    expect(pushed).toEqual([{ ref: "refs/heads/main", old: OLD, new: NEW, ok: true }]);
  });

  it("records refusals and what GitHub left unmentioned as not landed", async () => {
    const pushed: PushedRef[] = [];
    const { fetcher } = github(() => new Response(sideBandReport("unpack ok", "ng refs/heads/main non-fast-forward")));
    const next = await commitOn([OLD]);
    await forwardGitEgress(
      pushRequest(
        [
          [OLD, next.id, "refs/heads/main"],
          [ZERO, next.id, "refs/heads/ctx4-ai/conflict-2"],
        ],
        next.pack,
      ),
      push,
      { token: TOKEN, branch: "main", fetcher, onPushed: (refs) => pushed.push(...refs) },
    );
    expect(pushed).toEqual([
      { ref: "refs/heads/main", old: OLD, new: next.id, ok: false, reason: "non-fast-forward" },
      { ref: "refs/heads/ctx4-ai/conflict-2", old: ZERO, new: next.id, ok: false, reason: "not reported" },
    ]);
  });

  it("lets the branch move forward only: a push that would rewrite its history is refused before it is sent", async () => {
    const forward = await commitOn([OLD]);
    const { sent, fetcher } = github(() => new Response(sideBandReport("unpack ok", "ok refs/heads/main")));
    const ok = await forwardGitEgress(pushRequest([[OLD, forward.id, "refs/heads/main"]], forward.pack), push, {
      token: TOKEN,
      branch: "main",
      fetcher,
    });
    expect(ok.status).toBe(200);
    expect(sent).toHaveLength(1);

    const rewrites = [
      await commitOn([], "a new history"),
      await commitOn([NEW], "on top of something else"),
      // The old commit's history with one commit left out, as a reset and force-push gives it.
      { id: NEW, pack: buildPack([]) },
    ];
    const reasons: string[] = [];
    const told: string[] = [];
    for (const rewrite of rewrites) {
      const { sent: none, fetcher: refusing } = github();
      const response = await forwardGitEgress(pushRequest([[OLD, rewrite.id, "refs/heads/main"]], rewrite.pack), push, {
        token: TOKEN,
        branch: "main",
        fetcher: refusing,
        onRefused: (reason) => told.push(`ctx4-ai: ${reason}.\n`),
      });
      expect(response.status).toBe(403);
      reasons.push(await response.text());
      expect(none).toHaveLength(0);
    }
    expect(told).toEqual(reasons);
    expect(reasons).toEqual([
      "ctx4-ai: this push would rewrite the history of main; ctx4-ai never force-pushes.\n",
      "ctx4-ai: this push builds on commits it does not carry, so it cannot be shown to keep the history of main.\n",
      "ctx4-ai: this push builds on commits it does not carry, so it cannot be shown to keep the history of main.\n",
    ]);
    // The branch's first commit and new side branches need no history to keep.
    const first = await commitOn([]);
    const created = await forwardGitEgress(
      pushRequest(
        [
          [ZERO, first.id, "refs/heads/main"],
          [ZERO, first.id, "refs/heads/ctx4-ai/conflict-3"],
        ],
        first.pack,
      ),
      push,
      { token: TOKEN, branch: "main", fetcher },
    );
    expect(created.status).toBe(200);
  });

  it("lets a proposal's sync replace that proposal branch only, and delete only the ref it is told to", async () => {
    const proposal = "ctx4-ai/review-0123456789abcdef";
    const rules = { replace: true };
    const rebased = await commitOn([NEW], "the proposal, rebased");
    const send = async (commands: [string, string, string][], pack: Uint8Array, options: object) => {
      const { sent, fetcher } = github(() => new Response(sideBandReport("unpack ok", `ok ${commands[0]?.[2]}`)));
      const response = await forwardGitEgress(pushRequest(commands, pack), push, {
        token: TOKEN,
        branch: proposal,
        fetcher,
        ...options,
      });
      return { status: response.status, sent: sent.length };
    };
    // The proposal moves to its commits rebased on the default branch: not a fast-forward, allowed.
    expect(await send([[OLD, rebased.id, `refs/heads/${proposal}`]], rebased.pack, { rules })).toEqual({
      status: 200,
      sent: 1,
    });
    // Without the rule, the same push is a rewrite and is refused.
    expect(await send([[OLD, rebased.id, `refs/heads/${proposal}`]], rebased.pack, {})).toEqual({
      status: 403,
      sent: 0,
    });
    // A proposal's sync never reaches the default branch, even as a fast-forward.
    const forward = await commitOn([OLD]);
    expect(await send([[OLD, forward.id, "refs/heads/main"]], forward.pack, { rules })).toEqual({
      status: 403,
      sent: 0,
    });
    // Deleting: the one ref named, nothing else.
    const deletable = `refs/heads/${proposal}`;
    expect(refUpdateProblem({ ref: deletable, old: OLD, new: ZERO }, "main", true, { deletable })).toBeUndefined();
    expect(refUpdateProblem({ ref: "refs/heads/main", old: OLD, new: ZERO }, "main", true, { deletable })).toMatch(
      /deleting/,
    );
    expect(
      refUpdateProblem({ ref: "refs/heads/ctx4-ai/review-ffffffffffffffff", old: OLD, new: ZERO }, "main", true, {
        deletable,
      }),
    ).toMatch(/deleting/);
    expect(await send([[OLD, ZERO, deletable]], buildPack([]), { branch: "main", rules: { deletable } })).toEqual({
      status: 200,
      sent: 1,
    });
  });

  it("refuses, before sending anything, a push that deletes or touches another ref, or that it cannot read", async () => {
    const cases: Request[] = [
      pushRequest([[OLD, ZERO, "refs/heads/main"]]),
      pushRequest([
        [OLD, NEW, "refs/heads/main"],
        [ZERO, NEW, "refs/tags/sneaky"],
      ]),
      pushRequest([[OLD, NEW, "refs/heads/someone-elses"]]),
      new Request(push.upstream, { method: "POST", body: "PACK without commands" }),
      pushRequest([[OLD, NEW, "refs/heads/main"]], new TextEncoder().encode("PACK but not one")),
      new Request(push.upstream, { method: "POST", body: joinBytes(pkt("shallow 0123\n"), "0000") }),
      new Request(push.upstream, {
        method: "POST",
        headers: { "content-encoding": "gzip" },
        body: joinBytes(pkt(`${OLD} ${NEW} refs/heads/main\0 report-status\n`), "0000"),
      }),
    ];
    for (const request of cases) {
      const { sent, fetcher } = github();
      const response = await forwardGitEgress(request, push, { token: TOKEN, branch: "main", fetcher });
      expect(response.status).toBe(403);
      expect(sent).toHaveLength(0);
    }
  });
});
