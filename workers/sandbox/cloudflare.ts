import type { OutboundHandlerContext } from "@cloudflare/containers";
import { getSandbox, Sandbox as SandboxContainer } from "@cloudflare/sandbox";
import { userWorkspace } from "../../app/lib/user-workspace.server";
import type { ExecRequest, ExecResult, SandboxBackend } from "./backend";
import { GIT_EGRESS_HOST } from "./git-egress";

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

/**
 * Gives a command the same limits the local sandbox host gives it: it runs in its own
 * process group, which is killed when the time limit passes and when the command ends (so
 * background jobs never outlive their exec); each stream keeps only its first bytes and
 * counts the rest, read to the end so the command never blocks on a full pipe. The first line
 * of stdout is ours: exit code, timed out, bytes past the cap on stdout and stderr. The
 * command and its limits arrive as environment variables, never spliced into this text.
 */
const LIMITED_EXEC_SCRIPT = `
ctx4_command=$CTX4_EXEC_COMMAND ctx4_limit=$CTX4_EXEC_TIMEOUT_MS ctx4_cap=$CTX4_EXEC_MAX_OUTPUT_BYTES
ctx4_offline=$CTX4_EXEC_OFFLINE
unset CTX4_EXEC_COMMAND CTX4_EXEC_TIMEOUT_MS CTX4_EXEC_MAX_OUTPUT_BYTES CTX4_EXEC_OFFLINE
exec 3>&2 2>/dev/null
ctx4_dir=$(mktemp -d) || exit 125
trap 'rm -rf "$ctx4_dir"' EXIT
mkfifo "$ctx4_dir/out" "$ctx4_dir/err" || exit 125
ctx4_keep() { head -c "$ctx4_cap" >"$1.kept"; wc -c >"$1.rest"; }
ctx4_keep "$ctx4_dir/out" <"$ctx4_dir/out" &
ctx4_keep "$ctx4_dir/err" <"$ctx4_dir/err" &
# A PID namespace of its own where the container allows it: when the command's shell exits the
# kernel kills every process left in it, even one that left the process group (setsid), and it
# sees only its own processes in /proc. Offline, a network namespace too: no network at all, not
# even the sandbox's control plane on localhost.
ctx4_namespace=(unshare --pid --fork --kill-child --mount-proc)
[ "$ctx4_offline" = 1 ] && ctx4_namespace+=(--net)
"\${ctx4_namespace[@]}" true 2>/dev/null || ctx4_namespace=(unshare --pid --fork --kill-child --mount-proc)
"\${ctx4_namespace[@]}" true 2>/dev/null || ctx4_namespace=()
ctx4_start=\${EPOCHREALTIME/./}
timeout -k 1 "$((ctx4_limit / 1000)).$(printf '%03d' $((ctx4_limit % 1000)))" "\${ctx4_namespace[@]}" bash --noprofile --norc -c "$ctx4_command" \\
  </dev/null >"$ctx4_dir/out" 2>"$ctx4_dir/err" &
ctx4_runner=$!
wait "$ctx4_runner"
ctx4_code=$?
ctx4_elapsed_ms=$(( (\${EPOCHREALTIME/./} - ctx4_start) / 1000 ))
kill -KILL -- "-$ctx4_runner"
wait
ctx4_timed_out=0
if [ "$ctx4_elapsed_ms" -ge "$ctx4_limit" ] && { [ "$ctx4_code" = 124 ] || [ "$ctx4_code" = 137 ]; }; then
  ctx4_timed_out=1
fi
printf '%s %s %s %s\\n' "$ctx4_code" "$ctx4_timed_out" "$(cat "$ctx4_dir/out.rest")" "$(cat "$ctx4_dir/err.rest")"
cat "$ctx4_dir/out.kept"
cat "$ctx4_dir/err.kept" >&3
`;

const HEADER = /^(\d+) ([01]) (\d+) (\d+)\n/;

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
 * a destroy.
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
    async exec(request: ExecRequest): Promise<ExecResult> {
      await route();
      const result = await sandbox.exec(LIMITED_EXEC_SCRIPT, {
        cwd: request.cwd ? `${WORKSPACE_DIR}/${request.cwd}` : WORKSPACE_DIR,
        env: {
          ...request.env,
          CTX4_EXEC_COMMAND: request.command,
          CTX4_EXEC_TIMEOUT_MS: String(request.timeoutMs),
          CTX4_EXEC_MAX_OUTPUT_BYTES: String(request.maxOutputBytes),
          CTX4_EXEC_OFFLINE: request.offline ? "1" : "0",
        },
        timeout: request.timeoutMs + SDK_TIMEOUT_MARGIN_MS,
      });
      const header = HEADER.exec(result.stdout);
      if (!header) {
        throw new Error(
          `The sandbox could not run the command (exit ${result.exitCode}): ${result.stderr.slice(0, 500)}`,
        );
      }
      const [, code = "0", timedOut, stdoutRest = "0", stderrRest = "0"] = header;
      const stdout = result.stdout.slice(header[0].length);
      return {
        exitCode: timedOut === "1" ? null : Number(code),
        timedOut: timedOut === "1",
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
