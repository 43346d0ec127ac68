import type { StaticConfig } from '../config/static-config.js';
import net from 'node:net';
import { UpstreamConnection } from '../proxy/upstream-connection.js';

export interface UpstreamOptions {
  /**
   * serversTransport.maxIdleConnsPerHost: idle keep-alive connections kept per server; more
   * are closed as they go idle (busy connections are never capped: a cap would queue long
   * polls behind each other).
   */
  maxIdleSockets: number;
  /** Close an idle upstream connection after this long (ms): forwardingTimeouts.idleConnTimeout; 0 = never. */
  idleTimeout: number;
  /** ms to establish a connection (forwardingTimeouts.dialTimeout); 0 = none. Default 30 s. */
  dialTimeout?: number;
}

/** The static config's serversTransport as pool options. */
export function upstreamOptionsOf(transport: StaticConfig['serversTransport']): UpstreamOptions {
  const t = transport.forwardingTimeouts;
  return { maxIdleSockets: transport.maxIdleConnsPerHost, idleTimeout: t.idleConnTimeout, dialTimeout: t.dialTimeout };
}

/** Traefik's forwardingTimeouts.dialTimeout default, for callers that do not pass one. */
const DEFAULT_DIAL_TIMEOUT = 30_000;

/**
 * Did this failure happen on a pooled keep-alive connection that had already served a
 * response, before any byte of this one? Then the backend most likely closed it as we reused
 * it: not the server's fault, and safe to send again on a fresh connection.
 */
export function isStaleConnectionError(err: unknown): boolean {
  return (err as { reused?: unknown } | null)?.reused === true;
}

/**
 * One server's keep-alive connections: the most recently used idle one is reused first (the
 * others age out after idleTimeout), a new one is dialled when none is idle. TLS as Node's
 * https.Agent does it: certificates verified against Node's CA list (plus
 * NODE_EXTRA_CA_CERTS), SNI and the name checked taken from the Host header sent upstream;
 * idle TLS connections are reused only for the same name.
 */
export class Upstream {
  /** `/api` for `http://host/api/`; '' for a URL without a path. */
  readonly pathPrefix: string;
  /** `host:port` as the URL gives it: the Host header when passHostHeader is false. */
  readonly authority: string;
  readonly tls: boolean;
  private readonly host: string;
  private readonly port: number;
  private readonly idle: UpstreamConnection[] = [];
  private readonly open = new Set<UpstreamConnection>();
  private destroyed = false;

  constructor(url: string, private readonly options: UpstreamOptions) {
    const parsed = new URL(url);
    this.tls = parsed.protocol === 'https:';
    this.host = parsed.hostname.startsWith('[') ? parsed.hostname.slice(1, -1) : parsed.hostname;
    this.port = Number(parsed.port) || (this.tls ? 443 : 80);
    this.authority = parsed.host;
    const path = parsed.pathname;
    this.pathPrefix = path.endsWith('/') ? path.slice(0, -1) : path;
  }

  /**
   * An idle connection (for TLS: one opened for `servername`) or a new one. A dial error
   * (refused, timed out, certificate) goes to `cb`.
   */
  acquire(servername: string, cb: (err: Error | null, conn?: UpstreamConnection) => void): void {
    const idle = this.idle;
    for (let i = idle.length - 1; i >= 0; i--) {
      const conn = idle[i]!;
      if (!conn.idle) {
        // Closed by the server a moment ago; its 'close' (which forgets it) has not run yet.
        idle.splice(i, 1);
        continue;
      }
      if (this.tls && conn.servername !== servername) continue;
      idle.splice(i, 1);
      cb(null, conn);
      return;
    }
    UpstreamConnection.dial(
      {
        host: this.host,
        port: this.port,
        tlsServername: this.tls ? (net.isIP(servername) ? '' : servername) : undefined,
        dialTimeout: this.options.dialTimeout ?? DEFAULT_DIAL_TIMEOUT,
      },
      (err, conn) => {
        if (err || !conn) return cb(err ?? new Error('no connection'));
        if (this.destroyed) {
          conn.destroy();
          return cb(new Error('the server left the configuration'));
        }
        this.open.add(conn);
        conn.onIdle = this.release;
        conn.onGone = this.forget;
        cb(null, conn);
      },
    );
  }

  /** Hands back a connection that carried no request (its client left while it was dialled). */
  giveBack(conn: UpstreamConnection): void {
    if (conn.idle) this.release(conn);
    else conn.destroy();
  }

  /** Closes every connection, idle or busy (the server is released, or shutdown). */
  destroy(): void {
    this.destroyed = true;
    sweeper.delete(this);
    for (const conn of [...this.open]) conn.destroy();
    this.idle.length = 0;
  }

  /** Closes connections idle for longer than idleTimeout (the shared sweep calls it). */
  sweep(now: number): void {
    const limit = this.options.idleTimeout;
    if (limit <= 0) return;
    // Oldest first: the list is in the order connections went idle.
    while (this.idle.length > 0 && now - this.idle[0]!.idleSince >= limit) this.idle.shift()!.destroy();
    if (this.idle.length === 0) sweeper.delete(this);
  }

  private readonly release = (conn: UpstreamConnection): void => {
    if (this.destroyed || this.idle.length >= Math.max(1, this.options.maxIdleSockets)) {
      conn.destroy();
      return;
    }
    conn.idleSince = Date.now();
    this.idle.push(conn);
    if (this.options.idleTimeout > 0) sweeper.add(this, this.options.idleTimeout);
  };

  private readonly forget = (conn: UpstreamConnection): void => {
    this.open.delete(conn);
    const i = this.idle.indexOf(conn);
    if (i >= 0) this.idle.splice(i, 1);
  };
}

/**
 * One timer for the idle connections of every server, running only while some are idle:
 * 10,000 servers cost one interval, not 10,000 timers, and a request arms no timer at all.
 */
class IdleSweeper {
  private readonly pools = new Set<Upstream>();
  private timer: NodeJS.Timeout | undefined;
  private period = Infinity;

  add(pool: Upstream, idleTimeout: number): void {
    this.pools.add(pool);
    const period = Math.min(1_000, Math.max(20, Math.floor(idleTimeout / 4)));
    if (this.timer && period >= this.period) return;
    if (this.timer) clearInterval(this.timer);
    this.period = period;
    this.timer = setInterval(() => this.run(), period);
    this.timer.unref();
  }

  delete(pool: Upstream): void {
    this.pools.delete(pool);
    if (this.pools.size === 0 && this.timer) {
      clearInterval(this.timer);
      this.timer = undefined;
      this.period = Infinity;
    }
  }

  private run(): void {
    const now = Date.now();
    for (const pool of [...this.pools]) pool.sweep(now);
  }
}

const sweeper = new IdleSweeper();

export function createUpstream(url: string, options: UpstreamOptions): Upstream {
  return new Upstream(url, options);
}
