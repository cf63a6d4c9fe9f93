import { checkGitEgress, forwardGitEgress, gitRemoteUrl, refusedEgress } from "../workers/sandbox/git-egress";
import { localSandbox } from "../workers/sandbox/local";

/**
 * A plain `git clone` of `repo` in a fresh sandbox of the local sandbox host, through the route
 * the product's own clone takes: git in the sandbox asks the host's egress relay, the relay hands
 * each request to its caller (here, standing in for the user's object), which checks it with
 * the Worker's rule and forwards it to GitHub with `token` added (workers/sandbox/git-egress.ts).
 * The sandbox is removed afterwards.
 * @returns the clone's duration in milliseconds, from the exec's request to its answer
 * @throws when git fails
 */
export async function timePlainClone(
  host: { url: string; localSecret: string },
  repo: { full_name: string; clone_url: string },
  token: string,
): Promise<number> {
  const target = { fullName: repo.full_name, cloneUrl: repo.clone_url, branch: "main" };
  // Node's fetch sends a streamed body (git's requests, the relayed answers) only when told it is half duplex.
  const fetcher: typeof fetch = (input, init) => fetch(input, { ...init, duplex: "half" });
  const sandbox = localSandbox(
    { hostUrl: host.url, secret: host.localSecret, fetcher },
    crypto.randomUUID(),
    async (request) => {
      const verdict = checkGitEgress(request.method, request.url, target);
      return verdict.allowed
        ? forwardGitEgress(request, verdict, { token, branch: "main", fetcher })
        : refusedEgress(verdict);
    },
  );
  try {
    const started = performance.now();
    const clone = await sandbox.exec({
      command: 'git clone -q "$URL" repo',
      env: { URL: gitRemoteUrl(repo.full_name) },
      timeoutMs: 300_000,
      maxOutputBytes: 10_000,
    });
    const elapsed = performance.now() - started;
    if (clone.exitCode !== 0) throw new Error(`git clone failed: ${clone.stderr.slice(0, 500)}`);
    return elapsed;
  } finally {
    await sandbox.destroy();
  }
}
