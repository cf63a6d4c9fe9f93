/**
 * Secrets shaped as the providers issue them, for the secret scan's tests. They are made at run
 * time from random bytes, so that none is ever in the repo (and none is real).
 */
const randomText = (length: number, alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789") =>
  Array.from(crypto.getRandomValues(new Uint8Array(length)), (byte) => alphabet[byte % alphabet.length]).join("");

export const githubToken = () => `ghp_${randomText(36)}`;
export const slackToken = () =>
  `xoxb-${randomText(12, "0123456789")}-${randomText(13, "0123456789")}-${randomText(24)}`;
export const awsPair = () => ({
  id: `AKIA${randomText(16, "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567")}`,
  secret: randomText(40, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789/+"),
});

export async function privateKeyPem(): Promise<string> {
  const pair = await crypto.subtle.generateKey(
    { name: "RSASSA-PKCS1-v1_5", modulusLength: 2048, publicExponent: new Uint8Array([1, 0, 1]), hash: "SHA-256" },
    true,
    ["sign", "verify"],
  );
  if (!("privateKey" in pair)) throw new Error("no key pair");
  const der = new Uint8Array((await crypto.subtle.exportKey("pkcs8", pair.privateKey)) as ArrayBuffer);
  const body = btoa(String.fromCharCode(...der)).replace(/.{64}/g, "$&\n");
  return `-----BEGIN PRIVATE KEY-----\n${body.trimEnd()}\n-----END PRIVATE KEY-----\n`;
}

/** A file written by a command, its text passed as data (base64), never as shell code. */
export const write = (path: string, text: string) =>
  `mkdir -p "$(dirname ${path})" && printf %s ${btoa(text)} | base64 -d > ${path}`;
