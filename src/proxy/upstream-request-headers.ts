import type { ForwardInfo } from './forwarded-headers.js';
import { connectionListed, NOT_FORWARDED } from './hop-by-hop.js';

/** Bits for the X-Forwarded-* / X-Real-Ip a trusted peer already sent (kept as they are). */
const FOR = 16;
const PROTO = 1;
const HOST = 2;
const PORT = 4;
const REAL_IP = 8;
const FORWARDED_BIT: ReadonlyMap<string, number> = new Map([
  ['x-forwarded-for', FOR],
  ['x-forwarded-proto', PROTO],
  ['x-forwarded-host', HOST],
  ['x-forwarded-port', PORT],
  ['x-real-ip', REAL_IP],
]);

/** Lengths of every name that needs a look (lower-cased compare); any other name passes as is. */
const CHECKED_LENGTHS = new Set([...NOT_FORWARDED, ...FORWARDED_BIT.keys(), 'host'].map((name) => name.length));

/**
 * The header lines to send upstream (`Name: value\r\n` each, names as the client sent them),
 * built once per request and reused by every attempt: the client's headers minus the
 * hop-by-hop ones (and those its Connection header lists), Transfer-Encoding and Expect (the
 * forwarder frames the body itself and has answered `100-continue`), and Host (the forwarder
 * writes it: the client's with passHostHeader, else the server's), then
 * X-Forwarded-For/Proto/Host/Port and X-Real-Ip. Forwarded headers of an untrusted peer are
 * dropped, never believed; a trusted peer's are kept and its X-Forwarded-For is appended to.
 * `host` is the client's Host header ('' when absent).
 */
export function upstreamRequestHeaders(raw: readonly string[], host: string, info: ForwardInfo): string {
  let listed: string[] | undefined;
  let out = '';
  let priorFor: string | undefined;
  let present = 0;
  for (let i = 0; i < raw.length; i += 2) {
    const name = raw[i]!;
    const value = raw[i + 1]!;
    if (CHECKED_LENGTHS.has(name.length)) {
      const lower = name.toLowerCase();
      if (NOT_FORWARDED.has(lower)) {
        if (lower === 'connection') listed = connectionListed(value);
        continue;
      }
      if (lower === 'host') continue;
      const bit = FORWARDED_BIT.get(lower);
      if (bit !== undefined) {
        if (!info.trusted) continue;
        if (bit === FOR) {
          priorFor = priorFor === undefined ? value : `${priorFor}, ${value}`;
          continue;
        }
        present |= bit;
      }
    }
    out += `${name}: ${value}\r\n`;
  }
  if (listed !== undefined) out = dropListed(out, listed);
  out += `X-Forwarded-For: ${priorFor ? `${priorFor}, ${info.peer}` : info.peer}\r\n`;
  if ((present & PROTO) === 0) out += `X-Forwarded-Proto: ${info.proto}\r\n`;
  if ((present & HOST) === 0 && host !== '') out += `X-Forwarded-Host: ${host}\r\n`;
  if ((present & PORT) === 0) out += `X-Forwarded-Port: ${info.port}\r\n`;
  if ((present & REAL_IP) === 0) out += `X-Real-Ip: ${info.clientIp}\r\n`;
  return out;
}

/** Removes the lines of the headers a Connection header named (rare). */
function dropListed(lines: string, listed: readonly string[]): string {
  let kept = '';
  for (const line of lines.split('\r\n')) {
    if (line === '') continue;
    const name = line.slice(0, line.indexOf(':')).toLowerCase();
    if (!listed.includes(name)) kept += `${line}\r\n`;
  }
  return kept;
}
