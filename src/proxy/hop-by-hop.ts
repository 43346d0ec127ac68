import type { IncomingHttpHeaders, OutgoingHttpHeaders } from 'node:http';

/** Hop-by-hop headers (RFC 9110 §7.6.1): meaningful for one connection, never forwarded. */
const HOP_BY_HOP = ['connection', 'keep-alive', 'proxy-connection', 'te', 'trailer', 'upgrade', 'proxy-authenticate'];

/**
 * Removes hop-by-hop headers and those the Connection header names. `keepUpgrade` leaves
 * Connection/Upgrade for a WebSocket handshake, which must reach the server.
 * Transfer-Encoding is left to Node, which re-frames the body itself.
 */
export function stripHopByHop(headers: IncomingHttpHeaders | OutgoingHttpHeaders, keepUpgrade = false): void {
  const connection = headers['connection'];
  if (typeof connection === 'string' && connection !== '') {
    for (const token of connection.split(',')) {
      const name = token.trim().toLowerCase();
      if (name && !(keepUpgrade && name === 'upgrade') && name !== 'transfer-encoding') delete headers[name];
    }
  }
  for (const name of HOP_BY_HOP) {
    if (keepUpgrade && (name === 'connection' || name === 'upgrade')) continue;
    delete headers[name];
  }
}
