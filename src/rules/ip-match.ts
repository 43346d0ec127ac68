import { BlockList, isIP } from 'node:net';

/** Why `entry` is not an IP or CIDR, or undefined when it is fine. */
export function ipEntryError(entry: string): string | undefined {
  const slash = entry.indexOf('/');
  const address = slash === -1 ? entry : entry.slice(0, slash);
  const family = isIP(address);
  if (family === 0) return `invalid IP address or CIDR ${JSON.stringify(entry)}`;
  if (slash === -1) return undefined;
  const prefix = entry.slice(slash + 1);
  const max = family === 4 ? 32 : 128;
  if (!/^\d{1,3}$/.test(prefix) || Number(prefix) > max) {
    return `invalid CIDR ${JSON.stringify(entry)}: prefix length must be 0-${max}`;
  }
  return undefined;
}

/**
 * Builds a membership test over IPs and CIDRs (IPv4 and IPv6).
 * BlockList already treats `::ffff:a.b.c.d` and `a.b.c.d` as the same address, in both directions.
 */
export function createIpMatcher(cidrs: readonly string[]): (ip: string) => boolean {
  const list = new BlockList();
  for (const raw of cidrs) {
    const entry = raw.trim();
    const error = ipEntryError(entry);
    if (error !== undefined) throw new Error(error);
    const slash = entry.indexOf('/');
    if (slash === -1) {
      list.addAddress(entry, isIP(entry) === 4 ? 'ipv4' : 'ipv6');
    } else {
      const address = entry.slice(0, slash);
      list.addSubnet(address, Number(entry.slice(slash + 1)), isIP(address) === 4 ? 'ipv4' : 'ipv6');
    }
  }
  // A family guess from ':' avoids a full isIP parse per request; check() rejects garbage by itself.
  return (ip) => ip !== '' && list.check(ip, ip.includes(':') ? 'ipv6' : 'ipv4');
}
