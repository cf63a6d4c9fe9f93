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
  const decoder = new TextDecoder();
  const refs = new Map<string, string>();
  let offset = 0;
  while (offset + 4 <= bytes.length) {
    const length = Number.parseInt(decoder.decode(bytes.subarray(offset, offset + 4)), 16);
    if (Number.isNaN(length) || (length > 0 && length < 4) || offset + length > bytes.length) return undefined;
    if (length === 0) {
      offset += 4;
      continue;
    }
    const line = decoder.decode(bytes.subarray(offset + 4, offset + length)).replace(/\n$/, "");
    offset += length;
    const ref = /^([0-9a-f]{40}|[0-9a-f]{64}) ([^\0]+)/.exec(line);
    if (ref?.[1] && ref[2]) refs.set(ref[2], ref[1]);
  }
  return offset === bytes.length ? refs : undefined;
}
