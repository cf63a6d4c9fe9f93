/**
 * The key a rate limit counts a client's requests under: its IPv4 address, or the /64 network
 * of its IPv6 address (one customer's usual allocation, RFC 6177: keying full IPv6 addresses
 * would give one client 2^64 allowances). `address` is `CF-Connecting-IP`, which Cloudflare sets
 * on every request; without it, every such request shares the key "unknown".
 */
export function clientAddressKey(address: string | null): string {
  if (!address) return "unknown";
  // An IPv4-mapped IPv6 address (::ffff:192.0.2.1) is that IPv4 client.
  const mapped = /(?:^|:)(\d{1,3}(?:\.\d{1,3}){3})$/.exec(address);
  if (mapped?.[1]) return mapped[1];
  if (!address.includes(":")) return address;
  const [head = "", tail] = address.toLowerCase().split("::", 2);
  const headGroups = head ? head.split(":") : [];
  const tailGroups = tail ? tail.split(":") : [];
  const zeros = Array<string>(Math.max(0, 8 - headGroups.length - tailGroups.length)).fill("0");
  const groups = tail === undefined ? headGroups : [...headGroups, ...zeros, ...tailGroups];
  return `${groups
    .slice(0, 4)
    .map((group) => (Number.parseInt(group, 16) || 0).toString(16))
    .join(":")}::/64`;
}
