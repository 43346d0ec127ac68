import type { IncomingMessage } from 'node:http';
import type { MatchRequest } from '../rules/types.js';

/** The routing view of a request: host without port, lower-cased; path and query split once. */
export function toMatchRequest(req: IncomingMessage, clientIp: string): MatchRequest {
  let url = req.url ?? '/';
  let hostHeader = req.headers.host ?? '';
  // Absolute-form request targets (GET http://host/path) carry the host themselves.
  if (url.charCodeAt(0) !== 47 /* / */ && /^https?:\/\//i.test(url)) {
    const u = new URL(url);
    hostHeader = u.host;
    url = `${u.pathname}${u.search}`;
  }
  const q = url.indexOf('?');
  return {
    host: hostOnly(hostHeader),
    path: q < 0 ? url : url.slice(0, q),
    rawQuery: q < 0 ? '' : url.slice(q + 1),
    method: req.method ?? 'GET',
    headers: req.headers,
    clientIp,
  };
}

function hostOnly(host: string): string {
  const lower = host.toLowerCase();
  if (lower.startsWith('[')) {
    const end = lower.indexOf(']');
    return end > 0 ? lower.slice(0, end + 1) : lower;
  }
  const colon = lower.lastIndexOf(':');
  return colon >= 0 ? lower.slice(0, colon) : lower;
}
