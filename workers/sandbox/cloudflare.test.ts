import { runInDurableObject } from "cloudflare:test";
import { env, exports, RpcStub, RpcTarget } from "cloudflare:workers";
import { ContainerUnavailableError } from "@cloudflare/sandbox";
import { describe, expect, it, vi } from "vitest";
import { findBotIdentity, mintRepoToken } from "../../app/lib/github/app.server";
import { connectedUser, workspaceOf } from "../../tests/workerd/connected-user";
import { bashResultText } from "../mcp/format";
import { runInClone } from "../workspace/command";
import { LEFTOVER_MESSAGE, syncClone } from "../workspace/sync";
import { Workspace } from "../workspace/workspace";
import { type CloudflareSandboxSurface, routeGitEgress, sandboxBackendOver, UserSandbox } from "./cloudflare";
import { checkGitEgress, forwardGitEgress, GIT_EGRESS_HOST, refusedEgress } from "./git-egress";
import { type GitEgressHandler, localSandbox } from "./local";

type ExecCall = { command: string; options: Parameters<CloudflareSandboxSurface["exec"]>[1] };

const closedRoute: GitEgressHandler = async () => new Response("closed", { status: 403 });

/**
 * The SDK's foreground exec as its container runs it (cloudflare/sandbox-sdk,
 * docs/SESSION_EXECUTION.md and packages/sandbox-container/src/session.ts): the command inside
 * a group in the session's one long-lived shell, its output to files. Whatever the command
 * leaves in that shell (a trap, an open descriptor, a variable, or the shell gone) would reach
 * every later exec, so after the group the shell says it is alive and what changed. The shell
 * lists its own descriptors with a glob: an `ls` child would race the shell closing its end of
 * the command substitution's pipe and see a descriptor that is not left over.
 */
function inSdkShell(command: string): string {
  return `ctx4_sdk_dir=$(mktemp -d); printf -v ctx4_sdk_fds '%s ' /proc/$$/fd/*
{
${command}
ctx4_sdk_code=$?
} </dev/null >"$ctx4_sdk_dir/out" 2>"$ctx4_sdk_dir/err"
cat "$ctx4_sdk_dir/out"; cat "$ctx4_sdk_dir/err" >&2; rm -rf "$ctx4_sdk_dir"
ctx4_sdk_left="$(trap -p)$(compgen -v | grep -v '^ctx4_sdk_' | grep '^ctx4_')"
printf -v ctx4_sdk_now '%s ' /proc/$$/fd/*
[ "$ctx4_sdk_now" = "$ctx4_sdk_fds" ] || ctx4_sdk_left+=" descriptors"
printf '\n${SDK_SHELL_MARK} %s' "$ctx4_sdk_left" >&2
exit "$ctx4_sdk_code"`;
}
const SDK_SHELL_MARK = "ctx4-sdk-shell-alive";

/**
 * A stand-in for the SDK's sandbox: it takes exactly what the real `exec` takes and runs the
 * command as the SDK does ({@link inSdkShell}) with real bash on the local sandbox host, with
 * `/workspace` mapped to the sandbox's folder, and fails when the command harmed the SDK's
 * shell; git's requests to the egress host reach `gitEgress`, as the runtime hands them to the
 * Worker. It keeps no output limit of its own, as the SDK keeps none.
 */
function stubSdk(gitEgress: GitEgressHandler = closedRoute) {
  const host = localSandbox(
    { hostUrl: env.SANDBOX_HOST_URL, secret: env.SANDBOX_HOST_SECRET },
    crypto.randomUUID(),
    gitEgress,
  );
  const calls: ExecCall[] = [];
  const routes: unknown[][] = [];
  const surface: CloudflareSandboxSurface = {
    async setOutboundByHost(...args: unknown[]) {
      routes.push(args);
    },
    async exec(command, options) {
      calls.push({ command, options });
      const cwd = (options?.cwd ?? "/workspace").replace(/^\/workspace\/?/, "");
      const commandEnv = Object.fromEntries(
        Object.entries(options?.env ?? {}).filter((entry): entry is [string, string] => entry[1] !== undefined),
      );
      const result = await host.exec({
        command: inSdkShell(command),
        cwd: cwd || undefined,
        env: commandEnv,
        timeoutMs: options?.timeout ?? 600_000,
        maxOutputBytes: 100 * 1024 * 1024,
      });
      const [stderr = "", left] = result.stderr.split(`\n${SDK_SHELL_MARK} `);
      if (left === undefined) throw new Error("The command ended the SDK's shell.");
      if (left) throw new Error(`The command left state in the SDK's shell: ${left}`);
      return {
        success: result.exitCode === 0,
        exitCode: result.exitCode ?? -1,
        stdout: result.stdout,
        stderr,
        command,
        duration: 0,
        timestamp: new Date().toISOString(),
      };
    },
    destroy: () => host.destroy(),
  };
  return { backend: sandboxBackendOver(surface, "user-1"), surface, calls, routes };
}

type ExecOptions = ExecCall["options"];
/** What the stand-in throws for one exec: before running it (nothing ran) or after (it ran, its answer is lost). */
type Fault = { before?: unknown; after?: unknown };

/**
 * The Sandbox Durable Object as a user's object reaches it: a stub over Workers RPC, so what
 * it throws arrives as the runtime delivers it, and through the SDK's own `getSandbox`
 * wrapper. Its commands run on the {@link stubSdk} stand-in; `fault` picks what to throw.
 */
class SandboxObjectStandIn extends RpcTarget {
  readonly #surface: CloudflareSandboxSurface;
  readonly #fault: (options: ExecOptions) => Fault | undefined;
  constructor(surface: CloudflareSandboxSurface, fault: (options: ExecOptions) => Fault | undefined) {
    super();
    this.#surface = surface;
    this.#fault = fault;
  }
  async execWithSessionToken(command: string, _sessionId: string, options: ExecOptions) {
    const fault = this.#fault(options);
    if (fault?.before) throw fault.before;
    const result = await this.#surface.exec(command, options);
    if (fault?.after) throw await fault.after;
    return result;
  }
  async setOutboundByHost(host: string, method: string, params: { userId: string }) {
    await this.#surface.setOutboundByHost(host, method, params);
  }
  async destroy() {
    await this.#surface.destroy();
  }
}

/**
 * A user's workspace, with their object's storage, whose sandbox is the production backend
 * (`SANDBOX_BACKEND = "cloudflare"`) over {@link SandboxObjectStandIn}.
 */
function workspaceOverSdk(
  storage: DurableObjectStorage,
  userId: string,
  fault: (options: ExecOptions) => Fault | undefined,
): Workspace {
  const { surface } = stubSdk((request) => workspace.gitEgress(request));
  const stub = new RpcStub(new SandboxObjectStandIn(surface, fault));
  const namespace = { idFromName: (name: string) => name, get: () => stub } as unknown as Env["Sandbox"];
  const workspace = new Workspace(storage, { ...env, SANDBOX_BACKEND: "cloudflare", Sandbox: namespace }, userId, () =>
    Promise.resolve(),
  );
  return workspace;
}

describe("the Sandbox class", () => {
  it("registers the git egress handler with the package, and routes the git host to it for the owner only", async () => {
    // A static field would shadow the package's setter and register nothing.
    expect(UserSandbox.outboundHandlers).toEqual({ gitEgress: routeGitEgress });

    const { backend, routes } = stubSdk();
    await backend.exec({ command: "true", timeoutMs: 5_000, maxOutputBytes: 100 });
    await backend.exec({ command: "true", timeoutMs: 5_000, maxOutputBytes: 100 });
    expect(routes).toEqual([[GIT_EGRESS_HOST, "gitEgress", { userId: "user-1" }]]);
    await backend.destroy();
    await backend.exec({ command: "true", timeoutMs: 5_000, maxOutputBytes: 100 });
    expect(routes).toHaveLength(2);
  });

  it("hands a request to the git host, through the package's own proxy, to the owner's workspace", async () => {
    const { userId, repo } = await connectedUser();
    const proxy = exports.ContainerProxy({
      props: {
        containerId: env.Sandbox.idFromName(userId).toString(),
        className: "UserSandbox",
        enableInternet: false,
        interceptAll: true,
        outboundByHostOverrides: { [GIT_EGRESS_HOST]: { method: "gitEgress", params: { userId } } },
      },
    });
    // No sync of that user runs now, so their route is closed: the answer is their workspace's.
    const git = await proxy.fetch(`http://${GIT_EGRESS_HOST}/${repo.full_name}.git/info/refs?service=git-upload-pack`);
    expect(git.status).toBe(403);
    expect(await git.text()).toMatch(/only ctx4-ai's own sync talks to GitHub/);
    const elsewhere = await proxy.fetch("http://example.com/");
    expect(elsewhere.status).toBe(520);
  });
});

describe("the cloudflare sandbox backend", () => {
  it("passes the command, cwd and env as data, and returns exit code, stdout and stderr", async () => {
    const { backend, calls } = stubSdk();
    await backend.exec({ command: "mkdir -p sub", timeoutMs: 10_000, maxOutputBytes: 1000 });
    const result = await backend.exec({
      command: 'pwd; echo "$GREETING"; env | grep -c CTX4_EXEC || true; echo oops >&2; exit 3',
      cwd: "sub",
      env: { GREETING: "hello $(not run)" },
      timeoutMs: 10_000,
      maxOutputBytes: 1000,
    });
    expect(result).toMatchObject({ exitCode: 3, timedOut: false, stderr: "oops\n", stdoutTruncated: false });
    const [pwd, greeting, leaked] = result.stdout.split("\n");
    expect(pwd).toMatch(/\/sub$/);
    expect(greeting).toBe("hello $(not run)");
    expect(leaked).toBe("0");
    expect(calls[1]?.options).toMatchObject({
      cwd: "/workspace/sub",
      timeout: 40_000,
      env: { GREETING: "hello $(not run)" },
    });
    expect(calls[1]?.command).not.toContain("GREETING");
  });

  it("keeps the first bytes of each stream and counts the rest", async () => {
    const { backend } = stubSdk();
    const result = await backend.exec({
      command: "head -c 200000 /dev/zero | tr '\\0' a; head -c 3000 /dev/zero | tr '\\0' b >&2",
      timeoutMs: 10_000,
      maxOutputBytes: 1000,
    });
    expect(result).toMatchObject({
      exitCode: 0,
      stdout: "a".repeat(1000),
      stderr: "b".repeat(1000),
      stdoutTruncated: true,
      stderrTruncated: true,
      stdoutBytes: 200_000,
      stderrBytes: 3000,
    });
  });

  it("kills the command and everything it started at the time limit", async () => {
    const { backend } = stubSdk();
    // A name of its own, so that other tests' sleeps on this machine do not count.
    const marker = `ctx4-timeout-${crypto.randomUUID()}`;
    const started = Date.now();
    const result = await backend.exec({
      command: `(exec -a ${marker} sleep 30) & while :; do :; done`,
      timeoutMs: 1000,
      maxOutputBytes: 1000,
    });
    expect(result).toMatchObject({ exitCode: null, timedOut: true });
    expect(Date.now() - started).toBeLessThan(10_000);
    // Killed processes may linger as zombies (state Z) where PID 1 does not reap them.
    const left = await backend.exec({
      command: `for pid in $(pgrep -f '[${marker[0]}]${marker.slice(1)}'); do ps -o stat= -p "$pid" | grep -qv '^Z' && echo alive; done; echo checked`,
      timeoutMs: 5000,
      maxOutputBytes: 100,
    });
    expect(left.stdout).toBe("checked\n");
  });

  it("stops a cancelled command and everything it started, and answers once they are gone", async () => {
    const { backend, calls } = stubSdk();
    const marker = `ctx4-cancel-${crypto.randomUUID()}`;
    const cancel = new AbortController();
    const running = backend.exec({
      command: `touch started; (exec -a ${marker} sleep 300) & sleep 300; touch finished`,
      timeoutMs: 500_000,
      maxOutputBytes: 1000,
      signal: cancel.signal,
    });
    const exists = async (path: string) =>
      (await backend.exec({ command: `test -e ${path}`, timeoutMs: 5000, maxOutputBytes: 100 })).exitCode === 0;
    await vi.waitFor(async () => expect(await exists("started")).toBe(true), { timeout: 10_000 });
    cancel.abort();
    // Left running, it would answer after 300 s, past this test's time limit.
    expect(await running).toMatchObject({ exitCode: null, timedOut: false, cancelled: true });
    expect(await exists("finished")).toBe(false);
    const left = await backend.exec({
      command: `for pid in $(pgrep -f '[${marker[0]}]${marker.slice(1)}'); do ps -o stat= -p "$pid" | grep -qv '^Z' && echo alive; done; echo checked`,
      timeoutMs: 5000,
      maxOutputBytes: 100,
    });
    expect(left.stdout).toBe("checked\n");
    // The id the kill named is the one the command ran under, given as data.
    const ids = calls.map((call) => call.options?.env?.CTX4_EXEC_ID).filter(Boolean);
    expect(new Set(ids).size).toBeLessThan(ids.length);
  });

  it("does not wait for background jobs, and a quick exit 124 is not a timeout", async () => {
    const { backend } = stubSdk();
    const background = await backend.exec({
      command: "sleep 30 & echo started",
      timeoutMs: 20_000,
      maxOutputBytes: 100,
    });
    expect(background).toMatchObject({ exitCode: 0, stdout: "started\n" });
    const own = await backend.exec({ command: "exit 124", timeoutMs: 20_000, maxOutputBytes: 100 });
    expect(own).toMatchObject({ exitCode: 124, timedOut: false });
  });

  it("returns once the command has exited, whatever it left holding its output, with or without a PID namespace", async () => {
    const { backend } = stubSdk();
    const exec = (command: string, env?: Record<string, string>) =>
      backend.exec({ command, env, timeoutMs: 20_000, maxOutputBytes: 1000 });
    // Where the container refuses namespaces: an `unshare` first on PATH that fails once the
    // script has taken its input out of the environment (the host that stands in for the SDK
    // starts the script with the real one).
    const fake = '#!/bin/sh\n[ -n "$CTX4_EXEC_COMMAND" ] && exec "$REAL_UNSHARE" "$@"\nexit 1\n';
    const folder = (
      await exec(`mkdir -p bin && printf '%s' '${fake}' > bin/unshare && chmod +x bin/unshare && pwd`)
    ).stdout.trim();
    const noNamespaces = {
      PATH: `${folder}/bin:/usr/local/bin:/usr/bin:/bin`,
      REAL_UNSHARE: (await exec("command -v unshare")).stdout.trim(),
    };
    const leftovers = [
      "setsid sleep 600 &",
      "(setsid bash -c 'sleep 600' >&2 &)",
      "nohup sleep 600 >/dev/null 2>&1 &",
      "setsid bash -c 'sleep 600' 3>&2 >/dev/null 2>&1 &",
      "exec 1>&-; sleep 600 &",
      "setsid bash -c 'while :; do echo spam; sleep 0.01; done' &",
    ];
    for (const env of [undefined, noNamespaces]) {
      for (const leftover of leftovers) {
        const started = Date.now();
        const result = await exec(`echo own >&2\n${leftover}\nexit 5`, env);
        const latency = Date.now() - started;
        expect(result, leftover).toMatchObject({ exitCode: 5, timedOut: false, stderr: "own\n" });
        expect(latency, leftover).toBeLessThan(5_000);
      }
      const timedOut = await backend.exec({
        command: "setsid sleep 600 & echo started; sleep 600",
        env,
        timeoutMs: 1_000,
        maxOutputBytes: 1000,
      });
      expect(timedOut).toMatchObject({ exitCode: null, timedOut: true, stdout: "started\n" });
    }
  });

  it("carries the whole git workflow through the egress rule: clone, run, commit and push", async () => {
    const { repo, installation, control } = await connectedUser();
    const token = await mintRepoToken(env, installation.id, repo.id);
    const target = { repoId: repo.id, fullName: repo.full_name, cloneUrl: repo.clone_url, branch: "main" };
    const { backend } = stubSdk(async (request) => {
      const verdict = checkGitEgress(request.method, request.url, target);
      return verdict.allowed
        ? forwardGitEgress(request, verdict, { token: token.token, branch: "main" })
        : refusedEgress(verdict);
    });
    const identity = await findBotIdentity(env, token.token);
    const credentials = { token: async () => token.token, renew: async () => token.token };

    expect(await syncClone(backend, target, identity, credentials, "fetch")).toMatchObject({ cloned: {} });
    const run = await runInClone(backend, {
      command: "echo from-cloudflare > cf.md",
      identity,
      timeoutMs: 10_000,
      maxOutputBytes: 1000,
    });
    expect(run).toMatchObject({ exitCode: 0 });
    const pushed = await syncClone(backend, target, identity, credentials, "push-only", {
      commitMessage: "Via the cloudflare backend",
    });
    expect(pushed.committed?.files).toEqual(["A\tcf.md"]);
    expect(pushed.pushed).toBe(pushed.committed?.sha);
    expect(await control.readFile(repo.full_name, "cf.md")).toBe("from-cloudflare\n");
  });
});

describe("ctx_bash when the Cloudflare sandbox fails", () => {
  it("says the service has no free sandbox, with nothing run, and goes on once one is free", async () => {
    const { userId, repo, control } = await connectedUser();
    await runInDurableObject(workspaceOf(userId), async (_object, state) => {
      let fault: Fault | undefined;
      const workspace = workspaceOverSdk(state.storage, userId, () => fault);
      expect(await workspace.bash({ command: "echo kept > kept.md" })).toMatchObject({ publish: { state: "pushed" } });

      // As the SDK throws it once its retries are spent, for the platform's own message.
      const message =
        "Maximum number of running container instances exceeded. Try again later, or try configuring a higher value for max_instances";
      const context = { reason: "max_container_instances_exceeded" as const, retryable: true as const };
      fault = {
        before: new ContainerUnavailableError({
          code: "CONTAINER_UNAVAILABLE",
          message,
          context: { ...context, originalMessage: message },
          httpStatus: 503,
          timestamp: new Date().toISOString(),
        }),
      };
      const refused = bashResultText(await workspace.bash({ command: "echo new > new.md" }));
      expect(refused.isError).toBe(true);
      expect(refused.text).toMatch(/^Nothing ran\. ctx4-ai has no free sandbox right now/);
      expect(refused.text).toContain("This is ctx4-ai's capacity, not a problem with your memory or your repository");
      expect(refused.text).not.toContain("max_instances");
      expect(await control.readFile(repo.full_name, "new.md")).toBeUndefined();

      fault = undefined;
      const again = await workspace.bash({ command: "cat kept.md && echo new > new.md" });
      expect(again).toMatchObject({ ran: true, stdout: { text: "kept\n" }, publish: { state: "pushed" } });
      expect(await control.readFile(repo.full_name, "new.md")).toBe("new\n");
    });
  });

  it("says the sandbox stopped under the command, and the next call commits and pushes what it left", async () => {
    const { userId, repo, control } = await connectedUser();
    await runInDurableObject(workspaceOf(userId), async (_object, state) => {
      let interrupt = false;
      const workspace = workspaceOverSdk(state.storage, userId, (options) => {
        if (!interrupt || options?.env?.CTX4_COMMAND === undefined) return undefined;
        interrupt = false;
        // The runtime's words when the sandbox's object or container goes away under a call.
        return { after: new Error("Network connection lost.") };
      });
      expect(await workspace.bash({ command: "true" })).toMatchObject({ ran: true });

      interrupt = true;
      const lost = bashResultText(await workspace.bash({ command: "echo half > half.md", comment: "Half done" }));
      expect(lost.isError).toBe(true);
      expect(lost.text).toMatch(/^The command was sent to the sandbox, but its result never came back/);
      expect(lost.text).toContain("nothing it changed was committed or pushed by this call");
      expect(lost.text).toContain("Nothing already pushed to GitHub is lost");
      expect(await control.readFile(repo.full_name, "half.md")).toBeUndefined();

      const next = await workspace.bash({ command: "cat half.md" });
      expect(next).toMatchObject({ ran: true, stdout: { text: "half\n" }, commit: null });
      const [top] = await control.commits(repo.full_name);
      expect(top?.message).toBe(LEFTOVER_MESSAGE);
      expect(await control.readFile(repo.full_name, "half.md")).toBe("half\n");
    });
  });

  it("says the workspace was reset when the reset's destroy is what stopped the command", async () => {
    const { userId } = await connectedUser();
    await runInDurableObject(workspaceOf(userId), async (_object, state) => {
      let resetDuringCommand = false;
      const workspace: Workspace = workspaceOverSdk(state.storage, userId, (options) => {
        if (!resetDuringCommand || options?.env?.CTX4_COMMAND === undefined) return undefined;
        resetDuringCommand = false;
        return {
          after: (async () => {
            await workspace.reset();
            // What the SDK says of an operation pending when the sandbox was destroyed.
            return new Error("OperationInterruptedError: The sandbox was destroyed while the operation was pending.");
          })(),
        };
      });
      expect(await workspace.bash({ command: "true" })).toMatchObject({ ran: true });
      resetDuringCommand = true;
      const outcome = await workspace.bash({ command: "echo late > late.md" });
      expect(outcome).toMatchObject({
        ran: false,
        problem: expect.stringMatching(/^The workspace was reset while this ran/),
      });
      expect(outcome).not.toHaveProperty("interrupted");
    });
  });
});
