import type { IncomingHttpHeaders, OutgoingHttpHeaders } from 'node:http';

/** Hop-by-hop headers (RFC 9110 §7.6.1): meaningful for one connection, never forwarded. */
const HOP_BY_HOP = ['connection', 'keep-alive', 'proxy-connection', 'te', 'trailer', 'upgrade', 'proxy-authenticate'];

/**
 * Never forwarded by the HTTP forwarder, whatever the direction: the hop-by-hop headers, plus
 * Transfer-Encoding (each side frames its own bodies) and Expect (the client connection has
 * answered `100-continue` itself: the backend would answer it a second time).
 */
export const NOT_FORWARDED: ReadonlySet<string> = new Set([...HOP_BY_HOP, 'transfer-encoding', 'expect']);

const ONLY_OPTION = /^\s*(?:keep-alive|close)\s*$/i;

/**
 * The extra header names a Connection header lists (RFC 9110 §7.6.1), lower-cased; undefined
 * in the common case where it lists only `close`/`keep-alive`/`upgrade` options, so callers
 * allocate nothing then.
 */
export function connectionListed(value: string | undefined): string[] | undefined {
  if (value === undefined || value === '' || ONLY_OPTION.test(value)) return undefined;
  let names: string[] | undefined;
  for (const token of value.split(',')) {
    const name = token.trim().toLowerCase();
    if (name === '' || name === 'close' || name === 'keep-alive' || name === 'upgrade') continue;
    (names ??= []).push(name);
  }
  return names;
}

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

/** Deletes hop-by-hop headers in place (WebSocket handshakes). Transfer-Encoding stays. */
export function stripHopByHop(headers: IncomingHttpHeaders | OutgoingHttpHeaders, keepUpgrade = false): void {
  for (const name of hopByHopNames(headers, keepUpgrade)) delete headers[name];
}
