import { packetText, readPackets } from "../sandbox/pkt-line";

/**
 * Where `branch` stands on GitHub, from git's smart HTTP ref advertisement: one request from
 * the object, nothing downloaded, no sandbox involved. Returns the sha, null when the branch
 * does not exist, or undefined when GitHub did not answer usefully (the caller then syncs the
 * clone, which reports the actual problem).
 */
export async function remoteBranchHead(cloneUrl: string, branch: string, token: string) {
  let response: Response;
  try {
    response = await fetch(`${cloneUrl.replace(/\/+$/, "")}/info/refs?service=git-upload-pack`, {
      headers: { authorization: `Basic ${btoa(`x-access-token:${token}`)}`, "user-agent": "git/ctx4-ai" },
      // As on the egress route: a redirect could carry the token elsewhere.
      redirect: "manual",
    });
  } catch {
    return undefined;
  }
  if (!response.ok) {
    await response.body?.cancel();
    return undefined;
  }
  const refs = advertisedRefs(new Uint8Array(await response.arrayBuffer()));
  return refs && (refs.get(`refs/heads/${branch}`) ?? null);
}

/** Ref name → sha from a pkt-line advertisement, or undefined if it is not one. */
export function advertisedRefs(bytes: Uint8Array): Map<string, string> | undefined {
  const read = readPackets(bytes);
  if (!read || read.end !== bytes.length) return undefined;
  const refs = new Map<string, string>();
  for (const packet of read.packets) {
    if (typeof packet === "string") continue;
    const ref = /^([0-9a-f]{40}|[0-9a-f]{64}) ([^\0]+)/.exec(packetText(packet));
    if (ref?.[1] && ref[2]) refs.set(ref[2], ref[1]);
  }
  return refs;
}
