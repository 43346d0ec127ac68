import type { IncomingHttpHeaders, OutgoingHttpHeaders } from 'node:http';

/** Hop-by-hop headers (RFC 9110 §7.6.1): meaningful for one connection, never forwarded. */
const HOP_BY_HOP = ['connection', 'keep-alive', 'proxy-connection', 'te', 'trailer', 'upgrade', 'proxy-authenticate'];

/**
 * The header names not to forward: the hop-by-hop ones and those the Connection header lists.
 * `keepUpgrade` keeps Connection/Upgrade for a WebSocket handshake, which must reach the peer.
 */
export function hopByHopNames(headers: IncomingHttpHeaders | OutgoingHttpHeaders, keepUpgrade = false): Set<string> {
  const names = new Set<string>();
  const connection = headers['connection'];
  if (typeof connection === 'string' && connection !== '') {
    for (const token of connection.split(',')) {
      const name = token.trim().toLowerCase();
      if (name && !(keepUpgrade && name === 'upgrade') && name !== 'transfer-encoding') names.add(name);
    }
  }
  for (const name of HOP_BY_HOP) {
    if (keepUpgrade && (name === 'connection' || name === 'upgrade')) continue;
    names.add(name);
  }
  return names;
}

/** Deletes hop-by-hop headers in place. Transfer-Encoding stays: Node re-frames request bodies itself. */
export function stripHopByHop(headers: IncomingHttpHeaders | OutgoingHttpHeaders, keepUpgrade = false): void {
  for (const name of hopByHopNames(headers, keepUpgrade)) delete headers[name];
}
