import type { Transport } from "@modelcontextprotocol/sdk/shared/transport.js";
import {
  isJSONRPCErrorResponse,
  isJSONRPCNotification,
  isJSONRPCRequest,
  isJSONRPCResultResponse,
  type JSONRPCMessage,
  type RequestId,
} from "@modelcontextprotocol/sdk/types.js";
import { currentRequest, inRequest, type LogOutcome, type RequestLog, writeLog } from "../../app/lib/log.server";

/** JSON-RPC error codes (JSON-RPC 2.0 §5.1, MCP's -32002 for an unknown resource) as log classes. */
const RPC_ERRORS: Record<number, string> = {
  [-32700]: "rpc_parse_error",
  [-32600]: "rpc_invalid_request",
  [-32601]: "rpc_method_not_found",
  [-32602]: "rpc_invalid_params",
  [-32603]: "rpc_internal_error",
  [-32002]: "rpc_resource_not_found",
};

type Pending = { id: RequestId; log: RequestLog; name: string; tool?: string; started: number };

/**
 * `transport`, with one `mcp` log line for each message its client sends: a request's when its
 * answer is sent (method, tool, duration, outcome: a JSON-RPC error is refused, an internal one
 * and a tool result marked as an error are errors, with the failure the tool met when known), a
 * notification's when it arrives, and a request's when its client cancels it (the SDK sends no
 * answer then). Each request is handled in a log context of its own, within the HTTP request's
 * ({@link inRequest}: id, user, client), so a failure is noted for its own line.
 */
export function loggedTransport<T extends Transport>(transport: T): T {
  const pending = new Map<RequestId, Pending>();
  const received = (message: JSONRPCMessage, handle: () => void) => {
    const request = currentRequest();
    const log: RequestLog = { requestId: request?.requestId ?? "", user: request?.user, client: request?.client };
    if (isJSONRPCNotification(message)) {
      writeLine(log, message.method, "ok");
      const cancelled = message.method === "notifications/cancelled" ? message.params?.requestId : undefined;
      const call = typeof cancelled === "string" || typeof cancelled === "number" ? pending.get(cancelled) : undefined;
      if (call) {
        pending.delete(call.id);
        writeCall(call, "error", "cancelled");
      }
    }
    if (!isJSONRPCRequest(message)) return handle();
    const name = message.params?.name;
    pending.set(message.id, {
      id: message.id,
      log,
      name: message.method,
      tool: message.method === "tools/call" && typeof name === "string" ? name : undefined,
      started: Date.now(),
    });
    inRequest(log, handle);
  };
  const answered = (message: JSONRPCMessage) => {
    const isError = isJSONRPCErrorResponse(message);
    if (!isError && !isJSONRPCResultResponse(message)) return;
    const call = message.id === undefined ? undefined : pending.get(message.id);
    if (!call) return;
    pending.delete(call.id);
    if (isError) {
      const code = message.error.code;
      writeCall(call, code === -32603 ? "error" : "refused", RPC_ERRORS[code] ?? `rpc_${code}`);
    } else if (message.result.isError === true) writeCall(call, "error", call.log.failure ?? "tool_error");
    else writeCall(call, "ok");
  };
  return new Proxy(transport, {
    get(target, property) {
      if (property === "send") {
        return (message: JSONRPCMessage, options?: Parameters<Transport["send"]>[1]) => {
          answered(message);
          return target.send(message, options);
        };
      }
      const value = Reflect.get(target, property, target);
      return typeof value === "function" ? value.bind(target) : value;
    },
    set(target, property, value) {
      if (property !== "onmessage" || typeof value !== "function") return Reflect.set(target, property, value, target);
      const onmessage = value as NonNullable<Transport["onmessage"]>;
      target.onmessage = (message, extra) => received(message, () => onmessage(message, extra));
      return true;
    },
  });
}

function writeCall(call: Pending, outcome: LogOutcome, errorClass?: string) {
  writeLine(call.log, call.name, outcome, { tool: call.tool, ms: Date.now() - call.started, errorClass });
}

function writeLine(
  log: RequestLog,
  name: string,
  outcome: LogOutcome,
  more: { tool?: string; ms?: number; errorClass?: string } = {},
) {
  writeLog({ event: "mcp", requestId: log.requestId, user: log.user, client: log.client, name, outcome, ...more });
}
