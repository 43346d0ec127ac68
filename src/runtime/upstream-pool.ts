import type { StaticConfig } from '../config/static-config.js';
import type { Socket } from 'node:net';
import type { Pool as UndiciPool } from 'undici';
// Only the parts we use (see src/types/undici-parts.d.ts): the whole package costs start-up time.
import buildConnector from 'undici/lib/core/connect.js';
import Pool from 'undici/lib/dispatcher/pool.js';

export interface UpstreamOptions {
  /**
   * serversTransport.maxIdleConnsPerHost. Not enforced: undici's Pool has no idle cap, and its
   * `connections` cap counts busy connections too (requests over it would queue, long polls
   * first). Idle connections close after `idleTimeout`; there are never more than the peak
   * number of concurrent requests to the server.
   */
  maxIdleSockets: number;
  /** Close an idle upstream connection after this long (ms): forwardingTimeouts.idleConnTimeout. */
  idleTimeout: number;
  /** ms to establish a connection (forwardingTimeouts.dialTimeout); 0 = none. Default 30 s. */
  dialTimeout?: number;
}

/** The static config's serversTransport as pool options. */
export function upstreamOptionsOf(transport: StaticConfig['serversTransport']): UpstreamOptions {
  const t = transport.forwardingTimeouts;
  return { maxIdleSockets: transport.maxIdleConnsPerHost, idleTimeout: t.idleConnTimeout, dialTimeout: t.dialTimeout };
}

/** One server's connection pool and the path its URL puts in front of every request path. */
export interface Upstream {
  readonly pool: UndiciPool;
  /** `/api` for `http://host/api/`; '' for a URL without a path. */
  readonly pathPrefix: string;
}

/** Traefik's forwardingTimeouts.dialTimeout default, for callers that do not pass one. */
const DEFAULT_DIAL_TIMEOUT = 30_000;

const MAX_TIMER = 2 ** 31 - 1;

/** Errors that broke a connection which had already carried a response (see isStaleConnectionError). */
const onUsedConnection = new WeakSet<object>();

function noteUsedConnection(this: Socket, err: unknown): void {
  if (this.bytesRead > 0 && typeof err === 'object' && err !== null) onUsedConnection.add(err);
}

/**
 * Did this failure happen on a pooled keep-alive connection that had already served a
 * response? Then the backend most likely closed it as we reused it: not the server's fault,
 * and safe to send again on a fresh connection. undici does not retry such a request itself.
 */
export function isStaleConnectionError(err: unknown): boolean {
  if (typeof err !== 'object' || err === null) return false;
  if (onUsedConnection.has(err)) return true;
  // undici's SocketError('closed') is not emitted on the socket but carries its counters.
  return ((err as { socket?: { bytesRead?: number } }).socket?.bytesRead ?? 0) > 0;
}

/**
 * A keep-alive pool to one server (undici): no cap on concurrent connections (like Node's
 * agent before it: a cap would queue long polls behind each other); idle connections close
 * after `idleTimeout` or earlier when the server's Keep-Alive hint says so. No body timeout:
 * a streaming response may pause as long as it likes. TLS as Node's https.Agent did it:
 * certificates verified against Node's CA list (plus NODE_EXTRA_CA_CERTS), SNI and the name
 * checked taken from the Host header sent upstream.
 */
export function createUpstream(url: string, options: UpstreamOptions): Upstream {
  const parsed = new URL(url);
  // 0 = no idle limit (Traefik's meaning); undici wants a positive timer (≤ 2^31-1 ms).
  const idle = options.idleTimeout > 0 ? Math.min(options.idleTimeout, MAX_TIMER) : MAX_TIMER;
  const base = buildConnector({ timeout: options.dialTimeout ?? DEFAULT_DIAL_TIMEOUT });
  const pool = new Pool(parsed.origin, {
    connect: (opts, callback) =>
      base(opts, (err, socket) => {
        // Registered before undici's own listener, so it sees each error first.
        if (socket) socket.on('error', noteUsedConnection);
        if (err) callback(err, null);
        else callback(null, socket!);
      }),
    keepAliveTimeout: idle,
    keepAliveMaxTimeout: idle,
    headersTimeout: 0,
    bodyTimeout: 0,
  });
  const path = parsed.pathname;
  return { pool, pathPrefix: path.endsWith('/') ? path.slice(0, -1) : path };
}
