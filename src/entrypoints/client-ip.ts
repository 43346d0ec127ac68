import { isIP } from 'node:net';

/** `::ffff:10.0.0.1` → `10.0.0.1`, so IPv4 rules and hashes see one form. */
export function normalizeIp(address: string | undefined): string {
  if (!address) return '';
  return address.startsWith('::ffff:') && isIP(address.slice(7)) === 4 ? address.slice(7) : address;
}

/**
 * The real client: the socket peer, unless the peer is trusted, in which case the first
 * untrusted hop of X-Forwarded-For, read from the right (the nearest hop first). A malformed
 * entry stops the walk at the last hop we could vouch for.
 */
export function clientIpOf(peer: string, forwardedFor: string | string[] | undefined, isTrusted: (ip: string) => boolean): string {
  if (!forwardedFor || !isTrusted(peer)) return peer;
  const hops = (Array.isArray(forwardedFor) ? forwardedFor.join(',') : forwardedFor).split(',');
  let candidate = peer;
  for (let i = hops.length - 1; i >= 0; i--) {
    const hop = normalizeIp(stripPort(hops[i]!.trim()));
    if (isIP(hop) === 0) return candidate;
    candidate = hop;
    if (!isTrusted(hop)) return hop;
  }
  return candidate;
}

function stripPort(hop: string): string {
  if (hop.startsWith('[')) {
    const end = hop.indexOf(']');
    return end > 0 ? hop.slice(1, end) : hop;
  }
  const colon = hop.indexOf(':');
  return colon > 0 && hop.indexOf(':', colon + 1) < 0 ? hop.slice(0, colon) : hop;
}
