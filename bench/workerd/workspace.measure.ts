import { env } from "cloudflare:workers";
import { describe, it } from "vitest";
import { mintRepoToken } from "../../app/lib/github/app.server";
import { connectedUser, saveConfig, workspaceOf } from "../../tests/workerd/connected-user";
import { checkGitEgress, forwardGitEgress, gitRemoteUrl, refusedEgress } from "../../workers/sandbox/git-egress";
import { type GitEgressHandler, localSandbox } from "../../workers/sandbox/local";
import { ms, ratio, summarise } from "../stats";

const WARM_CALLS = 300;
const COUNTED_CALLS = 500;
const COLD_RUNS = 10;

// Inside workerd, clocks move in whole milliseconds (they advance with I/O), so medians and
// p99s are whole milliseconds; means come from the total time and are exact to the sample.
const now = () => Date.now();
// The sandbox host alone: no git route behind it unless one is given.
const hostOf = (
  sandboxId: string,
  gitEgress: GitEgressHandler = async () => new Response("no git route here", { status: 403 }),
) => localSandbox({ hostUrl: env.SANDBOX_HOST_URL, secret: env.SANDBOX_HOST_SECRET }, sandboxId, gitEgress);
const print = (title: string, lines: string[]) => console.log([`\n== ${title}`, ...lines].join("\n"));

describe("workspace benchmarks", () => {
  it("warm ctx_bash 'true': through the object vs straight to the sandbox host", async () => {
    const { workspace, userId } = await connectedUser();
    const host = hostOf(userId);
    const direct = () => host.exec({ command: "true", timeoutMs: 60_000, maxOutputBytes: 50_000 });
    await workspace.bash({ command: "true" });
    for (let call = 0; call < 20; call += 1) {
      await workspace.bash({ command: "true" });
      await direct();
    }
    const throughObject: number[] = [];
    const straight: number[] = [];
    for (let call = 0; call < WARM_CALLS; call += 1) {
      let started = now();
      const result = await workspace.bash({ command: "true" });
      throughObject.push(now() - started);
      if (!result.ran || result.exitCode !== 0) throw new Error("ctx_bash failed");
      started = now();
      await direct();
      straight.push(now() - started);
    }
    const object = summarise(throughObject);
    const hostOnly = summarise(straight);
    print(`warm ctx_bash "true", ${WARM_CALLS} calls each, interleaved`, [
      `through the object:    median ${ms(object.median)}  p99 ${ms(object.p99)}  mean ${ms(object.mean)}`,
      `straight to the host:  median ${ms(hostOnly.median)}  p99 ${ms(hostOnly.p99)}  mean ${ms(hostOnly.mean)}`,
      `ratio:                 median ${ratio(object.median, hostOnly.median)}  p99 ${ratio(object.p99, hostOnly.p99)}  mean ${ratio(object.mean, hostOnly.mean)}  (goal < 1.3x)`,
    ]);
  });

  it(`token mints and Postgres queries per ${COUNTED_CALLS} warm calls`, async () => {
    const { workspace } = await connectedUser();
    await workspace.bash({ command: "true" });
    const cold = await workspace.stats();
    for (let call = 0; call < COUNTED_CALLS; call += 1) await workspace.bash({ command: "true" });
    const warm = await workspace.stats();
    print(`counts over ${COUNTED_CALLS} warm calls (after one cold call)`, [
      `cold call:  ${cold.tokenMints} token mint, ${cold.postgresQueries} Postgres query, ${cold.sandboxExecs} sandbox execs`,
      `warm calls: ${warm.tokenMints - cold.tokenMints} token mints, ${warm.postgresQueries - cold.postgresQueries} Postgres queries, ${warm.sandboxExecs - cold.sandboxExecs} sandbox execs, ${warm.remoteChecks - cold.remoteChecks} checks of GitHub's branch, ${warm.gitSyncs - cold.gitSyncs} fetches  (goal: 1 mint in all, 0 queries)`,
    ]);
  });

  it("cold first call vs a plain git clone of the same repo", async () => {
    const template = await connectedUser();
    const big = await connectedUser("empty");
    // A bigger memory: 40 commits of 25 notes (1000 files, about 2.5 MB) pushed through ctx_bash.
    const grow = await big.workspace.bash({
      command: [
        "for c in $(seq 1 40); do mkdir -p knowledge/$c",
        "  for f in $(seq 1 25); do head -c 1800 /dev/urandom | base64 > knowledge/$c/note-$f.md; done",
        '  git add -A && git commit -qm "Notes $c"; done',
      ].join("\n"),
      timeoutSeconds: 300,
    });
    if (!grow.ran || grow.publish.state !== "pushed") throw new Error("could not grow the repo");

    for (const [label, user] of [
      ["ctx template (12 files, 1 commit)", template],
      ["bigger repo (1000 files, 40 commits)", big],
    ] as const) {
      const cold: number[] = [];
      const plain: number[] = [];
      for (let run = 0; run < COLD_RUNS; run += 1) {
        const userId = crypto.randomUUID();
        await saveConfig(userId, user.installation.id, user.login, user.repo);
        let started = now();
        const first = await workspaceOf(userId).bash({ command: "true" });
        cold.push(now() - started);
        if (!first.ran) throw new Error(first.problem);

        // The same way out as the product's clone: through the egress route, which adds the token.
        const { token } = await mintRepoToken(env, user.installation.id, user.repo.id);
        const target = { fullName: user.repo.full_name, cloneUrl: user.repo.clone_url, branch: "main" };
        const host = hostOf(crypto.randomUUID(), async (request) => {
          const verdict = checkGitEgress(request.method, request.url, target);
          return verdict.allowed
            ? forwardGitEgress(request, verdict, { token, branch: "main" })
            : refusedEgress(verdict);
        });
        started = now();
        const clone = await host.exec({
          command: 'git clone -q "$URL" repo',
          env: { URL: gitRemoteUrl(user.repo.full_name) },
          timeoutMs: 120_000,
          maxOutputBytes: 10_000,
        });
        plain.push(now() - started);
        if (clone.exitCode !== 0) throw new Error(clone.stderr);
        await host.destroy();
      }
      const first = summarise(cold);
      const clone = summarise(plain);
      print(`cold first call vs plain git clone, ${label}, ${COLD_RUNS} runs each`, [
        `cold ctx_bash "true": median ${ms(first.median)}  p99 ${ms(first.p99)}  mean ${ms(first.mean)}`,
        `plain git clone:      median ${ms(clone.median)}  p99 ${ms(clone.p99)}  mean ${ms(clone.mean)}`,
        `ratio:                median ${ratio(first.median, clone.median)}  mean ${ratio(first.mean, clone.mean)}  (goal < 1.5x)`,
      ]);
    }
  });
});
