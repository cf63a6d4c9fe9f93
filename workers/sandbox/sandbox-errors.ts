import {
  ContainerUnavailableError,
  OperationInterruptedError,
  RPCTransportError,
  SessionTerminatedError,
} from "@cloudflare/sandbox";

/**
 * What a failure of the Cloudflare sandbox means for the person, whatever the SDK called it:
 * - `not-ready`: the container was starting or restarting and did not become ready in time.
 * - `capacity`: the platform had no container instance for us (`max_instances` reached, or
 *   no instance free where the object runs).
 * - `interrupted`: the container or its shell went away during the call (restart, replacement
 *   after a deploy, crash).
 * - `unreachable`: the connection to the container failed.
 * - `our-bug`: the SDK refused the request ctx4-ai made, or the deployment is misconfigured.
 * - `unknown`: anything else.
 */
export type SandboxFailureKind = "not-ready" | "capacity" | "interrupted" | "unreachable" | "our-bug" | "unknown";

/**
 * A failure of the sandbox, in words the AI can pass on, with nothing of the SDK's message in
 * it (that may quote the command or the container's ids): only the SDK's class name and code.
 */
export class SandboxFailure extends Error {
  override readonly name = "SandboxFailure";
  constructor(
    readonly kind: SandboxFailureKind,
    /** The SDK's class name and error code, as far as they are known: `ContainerUnavailableError, CONTAINER_UNAVAILABLE`. */
    readonly source: string,
  ) {
    super(describe(kind, source));
  }

  /**
   * Whether a command sent to the sandbox may have run in part: the container accepted the
   * request and went away, or nobody can tell. Not for a container that never came up or a
   * request the SDK refused.
   */
  get commandMayHaveRun(): boolean {
    return this.kind === "interrupted" || this.kind === "unreachable" || this.kind === "unknown";
  }
}

/**
 * The platform's own words when it has no container instance to give (the Containers runtime
 * and @cloudflare/containers 0.3.7 `NO_CONTAINER_INSTANCE_ERROR` / `RATE_LIMITED_ERROR`, as
 * listed by @cloudflare/sandbox 0.12.10 `CONTAINER_UNAVAILABLE_SIGNATURES`). Matched on the
 * message only because the platform gives nothing else; lowercase substrings.
 */
const CAPACITY_MESSAGES = [
  "there is no container instance that can be provided to this durable object",
  "there is no container instance available at this time",
  "maximum number of running container instances exceeded",
  "you are requesting too many containers per second",
];

/**
 * Platform messages of a Durable Object or container going away under a call (@cloudflare/sandbox
 * 0.12.10 `isPlatformTransientError`'s patterns; the getSandbox wrapper turns them into an
 * `OperationInterruptedError`, these are for a call that bypassed it).
 */
const INTERRUPTED_MESSAGES =
  /network connection lost|reset because its code was updated|this script has been upgraded/i;

/** By the SDK's class name, for an error that carries no usable `code` (see `sandboxFailure`). */
const KIND_BY_CLASS: Record<string, SandboxFailureKind> = {
  ContainerUnavailableError: "not-ready",
  OperationInterruptedError: "interrupted",
  SessionTerminatedError: "interrupted",
  SessionDestroyedError: "interrupted",
  RPCTransportError: "interrupted",
  ServiceNotRespondingError: "unreachable",
  ValidationFailedError: "our-bug",
  InvalidPortError: "our-bug",
  SessionAlreadyExistsError: "our-bug",
  InvalidBackupConfigError: "our-bug",
  InvalidMountConfigError: "our-bug",
  MissingCredentialsError: "our-bug",
  SandboxSecurityError: "our-bug",
};

/**
 * By the SDK's `ErrorCode` (@cloudflare/sandbox 0.12.10, shared/errors/codes): what the codes
 * of the classes above become when only the code is known, and the codes whose class is the
 * generic `SandboxError`/`CommandError`.
 */
const KIND_BY_CODE: Record<string, SandboxFailureKind> = {
  CONTAINER_UNAVAILABLE: "not-ready",
  OPERATION_INTERRUPTED: "interrupted",
  SESSION_TERMINATED: "interrupted",
  SESSION_DESTROYED: "interrupted",
  RPC_TRANSPORT_ERROR: "interrupted",
  SERVICE_NOT_RESPONDING: "unreachable",
  VALIDATION_FAILED: "our-bug",
  INVALID_COMMAND: "our-bug",
  INVALID_JSON_RESPONSE: "our-bug",
  INVALID_PORT: "our-bug",
  INVALID_PORT_NUMBER: "our-bug",
  SESSION_ALREADY_EXISTS: "our-bug",
};

/**
 * The SDK's `INTERNAL_ERROR` messages of a container start (@cloudflare/sandbox 0.12.10,
 * `Sandbox.containerFetch`): the HTTP transport retries the 503 "is starting" answer for up to
 * 120 s and then throws it; a permanent start failure (bad image, config) is ours to fix.
 */
const STILL_STARTING = "container is starting. please retry in a moment.";
const PERMANENT_START_FAILURE = "container failed to start due to a permanent error";

/** Messages of configuration errors the runtime raises before any container exists (@cloudflare/containers 0.3.7). */
const MISCONFIGURED = "containers have not been enabled for this durable object class";

/**
 * The SandboxFailure for an error the Cloudflare sandbox SDK threw at us.
 *
 * The SDK's errors are thrown inside the Sandbox Durable Object and reach our object over
 * Workers RPC, which keeps only the message and a standard error type's name
 * (developers.cloudflare.com/workers/runtime-apis/rpc/error-handling/): a
 * `ContainerUnavailableError` arrives as a plain `Error` whose message workerd prefixes with
 * the class name (`ContainerUnavailableError: …`, observed with workerd 1.20260426), without
 * its `code` or `context` (its own properties are `stack`, `message` and `remote` only, as
 * reported in cloudflare/containers issue 45). So an error is known by, in order: the SDK's
 * class where it survived (the getSandbox wrapper makes an `OperationInterruptedError` on our
 * side), its `code`, the class name in its message, and the platform's own messages. Classes
 * of SDK features we do not use (processes, files, git, ports, backups) fall under `unknown`.
 */
export function sandboxFailure(error: unknown): SandboxFailure {
  if (error instanceof SandboxFailure) return error;
  const message = error instanceof Error ? error.message : String(error);
  const lower = message.toLowerCase();
  const className =
    error instanceof Error && error.name !== "Error" ? error.name : /^([A-Z][A-Za-z]*Error): /.exec(message)?.[1];
  const code = sdkCode(error);
  const source = [className, code].filter(Boolean).join(", ") || "no error name";

  if (CAPACITY_MESSAGES.some((text) => lower.includes(text))) return new SandboxFailure("capacity", source);
  if (error instanceof ContainerUnavailableError) {
    const reason = error.reason;
    const noInstance = reason === "max_container_instances_exceeded" || reason === "no_container_instance_available";
    return new SandboxFailure(noInstance ? "capacity" : "not-ready", `${source}, ${reason}`);
  }
  if (error instanceof RPCTransportError) {
    // A peer that closed or a session disposed mid-call is the container going away; a frame
    // the SDK cannot read means the image and the SDK disagree, which is ours to fix.
    const kind: SandboxFailureKind =
      error.kind === "invalid_frame" || error.kind === "protocol_error"
        ? "our-bug"
        : error.kind === "peer_closed" || error.kind === "session_disposed"
          ? "interrupted"
          : "unreachable";
    return new SandboxFailure(kind, `${source}, ${error.kind}`);
  }
  if (error instanceof OperationInterruptedError || error instanceof SessionTerminatedError) {
    return new SandboxFailure("interrupted", source);
  }
  const known = (code && KIND_BY_CODE[code]) || (className && KIND_BY_CLASS[className]);
  if (known) return new SandboxFailure(known, source);
  if (lower.includes(STILL_STARTING)) return new SandboxFailure("not-ready", source);
  if (lower.includes(PERMANENT_START_FAILURE) || lower.includes(MISCONFIGURED)) {
    return new SandboxFailure("our-bug", source);
  }
  if (INTERRUPTED_MESSAGES.test(message)) return new SandboxFailure("interrupted", source);
  return new SandboxFailure("unknown", source);
}

/** The SDK's `code` of an error thrown in our own isolate (a `SandboxError` keeps it in `errorResponse`). */
function sdkCode(error: unknown): string | undefined {
  if (typeof error !== "object" || error === null || !("code" in error)) return undefined;
  const code = error.code;
  return typeof code === "string" && /^[A-Z_]+$/.test(code) ? code : undefined;
}

/** What happened and what the person can do, per kind; `source` names the SDK's error for a report. */
function describe(kind: SandboxFailureKind, source: string): string {
  switch (kind) {
    case "not-ready":
      return `The sandbox that runs commands was starting or restarting and was not ready in time (${source}). Try the same call again in a few seconds.`;
    case "capacity":
      return `ctx4-ai has no free sandbox right now: all of the service's sandboxes are in use (${source}). This is ctx4-ai's capacity, not a problem with your memory or your repository, which are untouched. Try again in a minute.`;
    case "interrupted":
      return `The sandbox stopped during this call: it was restarted or replaced, as happens when ctx4-ai is updated (${source}). Nothing already pushed to GitHub is lost: the next call brings the clone up to date with GitHub first, and commits and pushes whatever a command left in it, if the sandbox kept it.`;
    case "unreachable":
      return `ctx4-ai could not reach the sandbox: the connection to it failed (${source}). Try again in a few seconds.`;
    case "our-bug":
      return `This is a bug in ctx4-ai, not a problem with your command or your memory: the sandbox refused the request ctx4-ai made, or ctx4-ai's sandboxes are misconfigured (${source}). Trying again will not help; please report it to ctx4-ai with this error name.`;
    case "unknown":
      return `The sandbox failed in a way ctx4-ai does not recognise (${source}). Try again in a few seconds; if it keeps failing, report it to ctx4-ai with this error name.`;
  }
}
