import type { IncomingHttpHeaders } from 'node:http';
import type { RequestHead } from '../http1/request-head.js';
import type { MatchRequest } from '../rules/types.js';

/**
 * The routing view of a request: host without port, lower-cased; path and query split once;
 * the header object only built if a rule asks for it.
 */
class MatchView implements MatchRequest {
  readonly host: string;
  readonly path: string;
  readonly rawQuery: string;
  readonly method: string;

  constructor(
    private readonly head: RequestHead,
    readonly clientIp: string,
  ) {
    let url = head.url;
    let hostHeader = head.host;
    // Absolute-form request targets (GET http://host/path) carry the host themselves.
    if (url.charCodeAt(0) !== 47 /* / */ && /^https?:\/\//i.test(url)) {
      const u = new URL(url);
      hostHeader = u.host;
      url = `${u.pathname}${u.search}`;
    }
    const q = url.indexOf('?');
    this.host = hostOnly(hostHeader);
    this.path = q < 0 ? url : url.slice(0, q);
    this.rawQuery = q < 0 ? '' : url.slice(q + 1);
    this.method = head.method;
  }

  get headers(): IncomingHttpHeaders {
    return this.head.headers;
  }
}

/** Throws on a request target that is not a URL (absolute-form garbage). */
export function toMatchRequest(head: RequestHead, clientIp: string): MatchRequest {
  return new MatchView(head, clientIp);
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
