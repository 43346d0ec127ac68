import type { IncomingHttpHeaders } from 'node:http';
import type { ForwardInfo } from './forwarded-headers.js';
import { connectionListed, NOT_FORWARDED } from './hop-by-hop.js';

/** Bits for the X-Forwarded-* / X-Real-Ip a trusted peer already sent (kept as they are). */
const PROTO = 1;
const HOST = 2;
const PORT = 4;
const REAL_IP = 8;
const FORWARDED_BIT: ReadonlyMap<string, number> = new Map([
  ['x-forwarded-for', 0],
  ['x-forwarded-proto', PROTO],
  ['x-forwarded-host', HOST],
  ['x-forwarded-port', PORT],
  ['x-real-ip', REAL_IP],
]);

/**
 * The headers to send upstream, as the flat `[name, value, …]` list undici takes, built once
 * per request and reused by every attempt: the client's headers minus the hop-by-hop ones
 * (and those its Connection header lists), Host only with `passHost` (else undici sends the
 * server's host:port), then X-Forwarded-For/Proto/Host/Port and X-Real-Ip. Forwarded headers
 * of an untrusted peer are dropped, never believed; a trusted peer's are kept and its
 * X-Forwarded-For is appended to. Same rules as setForwardedHeaders.
 */
export function upstreamRequestHeaders(headers: IncomingHttpHeaders, info: ForwardInfo, passHost: boolean): string[] {
  const listed = connectionListed(headers.connection);
  const out: string[] = [];
  let priorFor: string | undefined;
  let present = 0;
  for (const name in headers) {
    const value = headers[name];
    if (value === undefined || NOT_FORWARDED.has(name)) continue;
    if (name === 'host' && !passHost) continue;
    const bit = FORWARDED_BIT.get(name);
    if (bit !== undefined) {
      if (!info.trusted) continue;
      if (bit === 0) {
        priorFor = value as string;
        continue;
      }
      present |= bit;
    }
    if (listed !== undefined && listed.includes(name)) continue;
    if (typeof value === 'string') out.push(name, value);
    else for (const v of value) out.push(name, v);
  }
  out.push('x-forwarded-for', priorFor ? `${priorFor}, ${info.peer}` : info.peer);
  if ((present & PROTO) === 0) out.push('x-forwarded-proto', info.proto);
  if ((present & HOST) === 0 && headers.host !== undefined) out.push('x-forwarded-host', headers.host);
  if ((present & PORT) === 0) out.push('x-forwarded-port', String(info.port));
  if ((present & REAL_IP) === 0) out.push('x-real-ip', info.clientIp);
  return out;
}
