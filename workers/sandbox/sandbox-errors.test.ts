import {
  ContainerUnavailableError,
  type ContainerUnavailableReason,
  OperationInterruptedError,
  RPCTransportError,
  type RPCTransportErrorKind,
  SessionTerminatedError,
} from "@cloudflare/sandbox";
import { describe, expect, it } from "vitest";
import { acrossRpc } from "../../tests/workerd/across-rpc";
import { SandboxFailure, sandboxFailure } from "./sandbox-errors";

const at = new Date().toISOString();

/** As the SDK builds it for a platform admission failure (`buildContainerUnavailableError`). */
function unavailable(reason: ContainerUnavailableReason, message: string) {
  const context = { reason, retryable: true as const, originalMessage: message };
  return new ContainerUnavailableError({
    code: "CONTAINER_UNAVAILABLE",
    message,
    context,
    httpStatus: 503,
    timestamp: at,
  });
}

/** As the SDK's `translateRPCError` builds it. */
function transport(kind: RPCTransportErrorKind, message: string) {
  return new RPCTransportError({
    code: "RPC_TRANSPORT_ERROR",
    message,
    context: { kind, originalMessage: message, errorName: "Error" },
    httpStatus: 503,
    timestamp: at,
  });
}

/**
 * An error of one of the SDK's classes it does not export (SandboxError, ValidationFailedError…):
 * such a class only sets `name` and keeps the rest in `errorResponse`, which Workers RPC drops.
 */
function named(name: string, message: string) {
  const error = new Error(message);
  error.name = name;
  return error;
}

const MAX_INSTANCES =
  "Maximum number of running container instances exceeded. Try again later, or try configuring a higher value for max_instances";

describe("sandbox failures in words the person can act on", () => {
  it("says that the service has no free sandbox when max_instances is reached, however it arrives", async () => {
    const thrown = unavailable("max_container_instances_exceeded", MAX_INSTANCES);
    for (const error of [thrown, await acrossRpc(thrown)]) {
      const failure = sandboxFailure(error);
      expect(failure.kind).toBe("capacity");
      expect(failure.message).toMatch(/^ctx4-ai has no free sandbox right now/);
      expect(failure.message).toContain(
        "This is ctx4-ai's capacity, not a problem with your memory or your repository",
      );
      expect(failure.message).toContain("Try again in a minute.");
      expect(failure.message).toContain("ContainerUnavailableError");
      expect(failure.commandMayHaveRun).toBe(false);
    }
    // The platform's and @cloudflare/containers' own messages, with no SDK class around them.
    for (const message of [
      "There is no Container instance available at this time, try again later",
      "there is no container instance that can be provided to this durable object",
      "You are requesting too many containers per second",
    ]) {
      expect(sandboxFailure(await acrossRpc(new Error(message))).kind, message).toBe("capacity");
    }
    expect(sandboxFailure(unavailable("no_container_instance_available", "no instance")).kind).toBe("capacity");
  });

  it("asks to try again in a few seconds while the container starts", async () => {
    const starting = unavailable("container_starting", "Container is unavailable");
    for (const error of [
      starting,
      await acrossRpc(starting),
      // What the HTTP transport throws once its 120 s of retries of the 503 are spent.
      await acrossRpc(named("SandboxError", "Container is starting. Please retry in a moment.")),
    ]) {
      const failure = sandboxFailure(error);
      expect(failure.kind).toBe("not-ready");
      expect(failure.message).toContain("was starting or restarting and was not ready in time");
      expect(failure.message).toContain("Try the same call again in a few seconds.");
    }
  });

  it("says the sandbox went away during the call and that nothing pushed is lost", async () => {
    const interrupted = new OperationInterruptedError({
      code: "OPERATION_INTERRUPTED",
      message: "Sandbox operation sandbox.exec was interrupted while the platform was updating the sandbox runtime",
      context: {
        reason: "runtime_replaced",
        operation: "sandbox.exec",
        phase: "durable_object_call",
        admitted: "unknown",
        retryable: false,
      },
      httpStatus: 409,
      timestamp: at,
    });
    const terminated = new SessionTerminatedError({
      code: "SESSION_TERMINATED",
      message: "Session ended",
      context: { sessionId: "s", exitCode: 137 },
      httpStatus: 410,
      timestamp: at,
    });
    for (const error of [
      interrupted,
      await acrossRpc(terminated),
      await acrossRpc(named("SessionDestroyedError", "destroyed")),
      transport("peer_closed", "WebSocket closed: 1006"),
      await acrossRpc(new Error("Network connection lost.")),
    ]) {
      const failure = sandboxFailure(error);
      expect(failure.kind, failure.source).toBe("interrupted");
      expect(failure.message).toContain("The sandbox stopped during this call");
      expect(failure.message).toContain("Nothing already pushed to GitHub is lost");
      expect(failure.commandMayHaveRun).toBe(true);
    }
  });

  it("tells a failed connection from a bug of ours, and says which is ours", async () => {
    expect(sandboxFailure(transport("connection_failed", "WebSocket connection failed.")).kind).toBe("unreachable");
    expect(sandboxFailure(await acrossRpc(named("ServiceNotRespondingError", "no"))).kind).toBe("unreachable");
    for (const error of [
      await acrossRpc(named("ValidationFailedError", "timeoutMs must be a number")),
      transport("invalid_frame", "bad frame"),
      await acrossRpc(named("SandboxError", "Container failed to start due to a permanent error. Check your config.")),
      await acrossRpc(new Error("Containers have not been enabled for this Durable Object class.")),
    ]) {
      const failure = sandboxFailure(error);
      expect(failure.kind, failure.source).toBe("our-bug");
      expect(failure.message).toMatch(/^This is a bug in ctx4-ai, not a problem with your command or your memory/);
      expect(failure.message).toContain("Trying again will not help");
    }
  });

  it("names an error it does not know by its class, never by its message", async () => {
    const failure = sandboxFailure(await acrossRpc(named("CommandError", "bash: echo my-api-key-123 failed")));
    expect(failure.kind).toBe("unknown");
    expect(failure.message).toContain("(CommandError)");
    expect(failure.message).not.toContain("my-api-key-123");
    expect(sandboxFailure("a string").message).toContain("(no error name)");
    for (const error of [unavailable("max_container_instances_exceeded", MAX_INSTANCES), new Error("x y z")]) {
      expect(sandboxFailure(error).message).not.toContain(error.message);
    }
    const mapped = sandboxFailure(new TypeError("boom"));
    expect(sandboxFailure(mapped)).toBe(mapped);
    expect(mapped).toBeInstanceOf(SandboxFailure);
    expect(mapped.source).toBe("TypeError");
  });
});
