import { RpcStub, RpcTarget } from "cloudflare:workers";

/** Throws what it was given, when called over Workers RPC. */
class Thrower extends RpcTarget {
  readonly #error: unknown;
  constructor(error: unknown) {
    super();
    this.#error = error;
  }
  throw(): never {
    throw this.#error;
  }
}

/**
 * What a caller receives when a method it calls over Workers RPC throws `error`: workerd's
 * serialisation of it, as the SDK's errors reach a user's object from the Sandbox Durable Object
 * (developers.cloudflare.com/workers/runtime-apis/rpc/error-handling/). A stub of a local
 * `RpcTarget` goes through the same serialisation as a call to another object.
 */
export async function acrossRpc(error: unknown): Promise<unknown> {
  try {
    await new RpcStub(new Thrower(error)).throw();
  } catch (received) {
    return received;
  }
  throw new Error("The call over RPC did not throw.");
}
