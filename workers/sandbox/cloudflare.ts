import type { OutboundHandlerContext } from "@cloudflare/containers";
import { getSandbox, Sandbox as SandboxContainer } from "@cloudflare/sandbox";
import { logProblem } from "../../app/lib/log.server";
import { userWorkspace } from "../../app/lib/user-workspace.server";
import type { ExecRequest, ExecResult, SandboxBackend } from "./backend";
import { GIT_EGRESS_HOST } from "./git-egress";
// Kept as a .sh file so it reads (and lints) as shell; what it guarantees is written at its top.
import LIMITED_EXEC_SCRIPT from "./limited-exec.sh?raw";
import { sandboxFailure } from "./sandbox-errors";

/**
 * What we hand the SDK's `exec`: our script, run by a bash of its own. The SDK runs an exec's
 * command inside its session's one long-lived shell, as a group (`{ command; }`, so that `cd`
 * and `export` persist: cloudflare/sandbox-sdk docs/SESSION_EXECUTION.md, "Foreground"), where
 * the script's `exit`, `trap` and `exec` redirections would act on that shell and every later
 * exec. The script is ours and fixed; single quotes make it one word, run nothing on the way.
 */
const SDK_EXEC_COMMAND = inOwnBash(LIMITED_EXEC_SCRIPT, "ctx4-exec");

/** Whose sandbox sent a request out: set by the Worker (never by the container) with `setOutboundByHost`. */
type GitEgressParams = { userId: string };

/**
 * The handler the container runtime hands the sandbox's requests to {@link GIT_EGRESS_HOST}:
 * they go to the owner's workspace object, where the egress rule decides and the token is added.
 */
export async function routeGitEgress(
  request: Request,
  env: Env,
  ctx: OutboundHandlerContext<GitEgressParams>,
): Promise<Response> {
  return userWorkspace(env, ctx.params.userId).gitEgress(request);
}

/**
 * Each user's Cloudflare Sandbox container, exported as `Sandbox` (wrangler.toml's class). It
 * has no internet (`enableInternet = false`) and HTTPS is not intercepted, so nothing leaves it
 * but plain HTTP to {@link GIT_EGRESS_HOST}, which the runtime hands to `routeGitEgress` in the
 * Worker (@cloudflare/containers' outbound interception; its README, "Outbound Interception").
 * Everything else is refused by the runtime (520) or cannot connect at all.
 */
export class UserSandbox extends SandboxContainer<Env> {
  override enableInternet = false;
  override interceptHttps = false;

  static {
    // Assigned, not declared: the package registers handlers in its static setter.
    UserSandbox.outboundHandlers = { gitEgress: routeGitEgress };
  }
}

/** What we use of a Cloudflare Sandbox: running a command, routing its git egress, destroying it. */
export type CloudflareSandboxSurface = Pick<UserSandbox, "exec" | "destroy" | "setOutboundByHost">;

/**
 * How long an idle sandbox keeps running. Every change is pushed at the end of each command,
 * so sleeping loses nothing pushed; the cost of sleeping is the next cold start (container
 * start and a fresh clone). Twenty minutes covers the pauses of a conversation (reading,
 * thinking, a meeting) without paying for containers that nobody is talking to.
 */
export const SANDBOX_SLEEP_AFTER = "20m";

/** The container's working directory (the Dockerfile's WORKDIR): the clone lives under it. */
const WORKSPACE_DIR = "/workspace";

/** Extra time the SDK call gets beyond the command's own limit: the limit is enforced in the sandbox. */
const SDK_TIMEOUT_MARGIN_MS = 30_000;

const HEADER = /^(\d+) ([01]) (\d+) (\d+)\n/;

/** How long the exec that stops a command may take (it waits up to 2 s, then writes for up to 2 s). */
const CANCEL_TIMEOUT_MS = 10_000;

/**
 * Stops the command limited-exec.sh runs as CTX4_EXEC_ID (a UUID we made) by a line to the FIFO it
 * watches, waiting up to 2 s for it to appear when the cancel came before the command started.
 * The write gives up after 2 s: once the command has ended nobody reads the FIFO.
 */
const SDK_CANCEL_COMMAND = inOwnBash(
  `f=/tmp/ctx4-exec-$CTX4_EXEC_ID.cancel
for _ in $(seq 20); do [ -p "$f" ] && break; sleep 0.1; done
[ -p "$f" ] && timeout 2 bash --noprofile --norc -c 'echo >"$1"' ctx4-cancel "$f"
true`,
  "ctx4-cancel",
);

/** `script` as one command for the SDK's `exec`, run by a bash of its own (see SDK_EXEC_COMMAND). */
function inOwnBash(script: string, name: string): string {
  return `bash --noprofile --norc -c '${script.replaceAll("'", "'\\''")}' ${name}`;
}

/** A user's Cloudflare Sandbox container, addressed by their user id. */
export function cloudflareSandbox(namespace: DurableObjectNamespace<UserSandbox>, userId: string): SandboxBackend {
  // A fresh shell per command (no default session): nothing set by one command leaks into the
  // next, exactly as on the local sandbox host.
  return sandboxBackendOver(
    getSandbox(namespace, userId, { sleepAfter: SANDBOX_SLEEP_AFTER, enableDefaultSession: false }),
    userId,
  );
}

/**
 * The backend over the SDK's surface; separate from `cloudflareSandbox` so tests can give it a
 * stub. Before its first command it routes the container's {@link GIT_EGRESS_HOST} to
 * `gitEgress` with the owner's id (kept by the sandbox's object across restarts), again after
 * a destroy. What the SDK throws becomes a SandboxFailure (sandbox-errors.ts).
 */
export function sandboxBackendOver(sandbox: CloudflareSandboxSurface, userId: string): SandboxBackend {
  let routed: Promise<void> | undefined;
  const route = () => {
    routed ??= sandbox.setOutboundByHost<GitEgressParams>(GIT_EGRESS_HOST, "gitEgress", { userId }).catch((error) => {
      routed = undefined;
      throw error;
    });
    return routed;
  };
  return {
    async exec({ signal, ...request }: ExecRequest): Promise<ExecResult> {
      await route().catch((error: unknown) => {
        throw sandboxFailure(error);
      });
      // The SDK's own `signal` only stops waiting for the exec; the command would run on. So a
      // second exec tells limited-exec.sh to kill the command's process group (see
      // SDK_CANCEL_COMMAND), and this exec answers as usual once the command is gone.
      const execId = crypto.randomUUID();
      let cancelRequested = false;
      const cancel = () => {
        cancelRequested = true;
        sandbox
          .exec(SDK_CANCEL_COMMAND, { env: { CTX4_EXEC_ID: execId }, timeout: CANCEL_TIMEOUT_MS })
          .catch((error) => logProblem("sandbox_cancel", error));
      };
      signal?.addEventListener("abort", cancel, { once: true });
      let result: Awaited<ReturnType<CloudflareSandboxSurface["exec"]>>;
      try {
        if (signal?.aborted) cancel();
        result = await sandbox.exec(SDK_EXEC_COMMAND, {
          cwd: request.cwd ? `${WORKSPACE_DIR}/${request.cwd}` : WORKSPACE_DIR,
          env: {
            ...request.env,
            CTX4_EXEC_COMMAND: request.command,
            CTX4_EXEC_TIMEOUT_MS: String(request.timeoutMs),
            CTX4_EXEC_MAX_OUTPUT_BYTES: String(request.maxOutputBytes),
            CTX4_EXEC_OFFLINE: request.offline ? "1" : "0",
            CTX4_EXEC_ID: execId,
          },
          timeout: request.timeoutMs + SDK_TIMEOUT_MARGIN_MS,
        });
      } catch (error) {
        throw sandboxFailure(error);
      } finally {
        signal?.removeEventListener("abort", cancel);
      }
      const header = HEADER.exec(result.stdout);
      if (!header) {
        throw new Error(
          `The sandbox could not run the command (exit ${result.exitCode}): ${result.stderr.slice(0, 500)}`,
        );
      }
      const [, code = "0", timedOut, stdoutRest = "0", stderrRest = "0"] = header;
      const stdout = result.stdout.slice(header[0].length);
      // Killed on request: SIGKILL's 137, from timeout's group going down.
      const cancelled = cancelRequested && timedOut === "0" && code === "137";
      return {
        exitCode: timedOut === "1" || cancelled ? null : Number(code),
        timedOut: timedOut === "1",
        cancelled,
        stdout,
        stderr: result.stderr,
        stdoutTruncated: Number(stdoutRest) > 0,
        stderrTruncated: Number(stderrRest) > 0,
        stdoutBytes: byteLength(stdout) + Number(stdoutRest),
        stderrBytes: byteLength(result.stderr) + Number(stderrRest),
      };
    },
    async destroy(): Promise<void> {
      routed = undefined;
      await sandbox.destroy();
    },
  };
}

const byteLength = (text: string) => new TextEncoder().encode(text).byteLength;
