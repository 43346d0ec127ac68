import type { IncomingHttpHeaders } from 'node:http';

/** Shared by the requests of one connection when the peer is untrusted: never mutated. */
export interface ForwardInfo {
  /** The socket peer. */
  readonly peer: string;
  /** The real client IP (see entrypoints/client-ip.ts). */
  readonly clientIp: string;
  /** Whether the peer is a trusted proxy whose X-Forwarded-* we keep. */
  readonly trusted: boolean;
  readonly proto: 'http' | 'https' | 'ws' | 'wss';
  /** The entry point's local port. */
  readonly port: number;
}

const FORWARDED = ['x-forwarded-for', 'x-forwarded-proto', 'x-forwarded-host', 'x-forwarded-port', 'x-real-ip'];

/**
 * Sets X-Forwarded-For/Proto/Host/Port and X-Real-Ip in place, for WebSocket handshakes (HTTP
 * requests get the same from upstream-request-headers.ts). Headers from an untrusted peer are
 * replaced, never believed: a client cannot choose the IP a backend sees.
 */
export function setForwardedHeaders(headers: IncomingHttpHeaders, info: ForwardInfo): void {
  if (!info.trusted) for (const name of FORWARDED) delete headers[name];
  const prior = headers['x-forwarded-for'];
  headers['x-forwarded-for'] = prior ? `${prior}, ${info.peer}` : info.peer;
  headers['x-forwarded-proto'] ??= info.proto;
  if (headers['x-forwarded-host'] === undefined && headers.host !== undefined) headers['x-forwarded-host'] = headers.host;
  headers['x-forwarded-port'] ??= String(info.port);
  headers['x-real-ip'] ??= info.clientIp;
}
