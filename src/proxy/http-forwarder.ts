import { STATUS_CODES } from 'node:http';
import type { Logger } from 'pino';
import type { BodySink, Downstream } from '../http1/downstream.js';
import type { ServiceRuntime } from '../runtime/routing-table.js';
import type { ServerRegistry } from '../runtime/server-registry.js';
import { isStaleConnectionError, type Upstream } from '../runtime/upstream-pool.js';
import type { ForwardInfo } from './forwarded-headers.js';
import { HttpExchange, type ExchangeOwner } from './http-exchange.js';
import { pickServer } from './pick-server.js';
import { hasBody, readBodyUpTo, streamedBody } from './request-body.js';
import { errSummary, respond } from './respond.js';
import { isIdempotent, isReset, isRetriable } from './retry-policy.js';
import type { UpstreamConnection } from './upstream-connection.js';
import { statusForUpstreamError } from './upstream-error.js';
import type { UpstreamTimeouts } from './upstream-timeouts.js';

/** Reused keep-alive connections a backend closed a moment ago; each is tried at most this often. */
const MAX_STALE_RETRIES = 3;

export interface ForwarderOptions {
  registry: ServerRegistry;
  timeouts: UpstreamTimeouts;
  log: Logger;
}

/**
 * Sends HTTP requests to a service's servers over each server's keep-alive connections:
 * picks the server (sticky cookie first), counts in-flight requests, sends the client's
 * headers minus hop-by-hop ones plus forwarded headers, retries on another server when that
 * is safe, feeds passive health checks, and maps failures to 502/503/504. It never decides
 * routing.
 */
export class HttpForwarder implements ExchangeOwner {
  constructor(private readonly options: ForwarderOptions) {}

  /**
   * Forwards one HTTP request to `service`; answers 503 itself when no server can take it.
   * `onEnd` runs once when the client's response closes (the entry point's own accounting,
   * sharing the Downstream's one close callback).
   */
  web(d: Downstream, service: ServiceRuntime, info: ForwardInfo, onEnd: (d: Downstream) => void): void {
    const pick = pickServer(service, service.sticky ? d.head.headers.cookie : undefined, info);
    if (!pick) {
      d.onClose = onEnd;
      respond(d, 503, `no server of service ${service.name} can take requests`);
      return;
    }
    const exchange = new HttpExchange(this, d, service, info, pick.server, pick.setCookie, onEnd);
    this.options.registry.begin(pick.server.state);
    if (!hasBody(d)) {
      this.send(exchange);
    } else if (service.retries === 0) {
      // No retries: never hold a body, stream it once.
      exchange.body = streamedBody(d);
      this.send(exchange);
    } else {
      // Hold a small body so that a failed attempt can be sent again elsewhere.
      void readBodyUpTo(d, service.retryBodyLimit).then((body) => {
        exchange.body = body;
        if (!exchange.closed) this.send(exchange);
      });
    }
  }

  answered(exchange: HttpExchange, status: number): void {
    if (status >= 500) this.options.registry.reportFailure(exchange.server.state, exchange.service.passiveHealthCheck, `status ${status}`);
  }

  closed(exchange: HttpExchange): void {
    this.options.registry.end(exchange.server.state);
  }

  failed(exchange: HttpExchange, err: Error): void {
    if (exchange.closed) return; // the client left; nothing to answer
    const { service, d } = exchange;
    const req = d.head;
    const state = exchange.server.state;
    const replayable = exchange.body.kind !== 'streamed';
    // A pooled keep-alive connection the backend closed a moment ago fails on first use: not
    // the server's fault. Send the same request again on a fresh connection.
    if (
      !exchange.responded &&
      exchange.staleRetries < MAX_STALE_RETRIES &&
      isReset(err) &&
      isStaleConnectionError(err) &&
      replayable &&
      isIdempotent(req)
    ) {
      exchange.staleRetries++;
      this.options.log.debug({ server: state.url }, 'reused upstream connection was closed; retrying on a new one');
      this.resend(exchange);
      return;
    }
    this.options.registry.reportFailure(state, service.passiveHealthCheck, errSummary(err).code ?? err.message);
    if (!exchange.responded && exchange.attempts <= service.retries && isRetriable(err, req, replayable)) {
      const tried = (exchange.tried ??= new Set([state]));
      const next = service.pool.pickExcluding(exchange.info, tried);
      if (next) {
        this.options.log.info(
          { service: service.name, server: state.url, next: next.url, attempt: exchange.attempts + 1, err: errSummary(err) },
          'retrying on another server',
        );
        this.options.registry.end(state);
        this.options.registry.begin(next.state);
        exchange.server = next;
        tried.add(next.state);
        exchange.attempts++;
        exchange.staleRetries = 0;
        if (service.sticky) exchange.setCookie = service.sticky.setCookieHeader(next);
        this.resend(exchange);
        return;
      }
    }
    const status = statusForUpstreamError(err);
    this.options.log.warn(
      { err: errSummary(err), service: service.name, server: state.url, method: req.method, url: req.url, status, attempts: exchange.attempts },
      'upstream request failed',
    );
    if (exchange.responded) {
      // Part of the response already went out: all we can do is cut it so the client sees it broke.
      d.destroy();
      return;
    }
    respond(d, status, STATUS_CODES[status]!);
  }

  /** One attempt: a connection to the current server (idle or new), then the request on it. */
  private send(exchange: HttpExchange): void {
    const upstream = this.options.registry.upstreamFor(exchange.server.state);
    if (!upstream) {
      // Unreachable while the request counts itself in flight (see upstreamFor); answer rather than hang.
      respond(exchange.d, 503, `server ${exchange.server.url} left the configuration`);
      return;
    }
    const note = exchange.d.note;
    if (note) {
      note.serverUrl = exchange.server.url;
      note.attempts = exchange.attempts;
    }
    const host = exchange.service.passHostHeader && exchange.d.head.host !== '' ? exchange.d.head.host : upstream.authority;
    upstream.acquire(upstream.tls ? hostname(host) : '', (err, conn) => {
      if (exchange.closed) {
        if (conn) upstream.giveBack(conn);
        return;
      }
      if (err || !conn) {
        exchange.onError(err ?? new Error('no upstream connection'));
        return;
      }
      this.start(exchange, upstream, conn, host);
    });
  }

  private start(exchange: HttpExchange, upstream: Upstream, conn: UpstreamConnection, host: string): void {
    const d = exchange.d;
    const chunked = d.head.framing === 'chunked';
    const body = exchange.body;
    const path = upstream.pathPrefix === '' ? exchange.path : upstream.pathPrefix + exchange.path;
    const head = `${d.head.method} ${path} HTTP/1.1\r\nHost: ${host}\r\n${exchange.headerLines}${chunked ? `Transfer-Encoding: ${d.head.transferEncoding}\r\n` : ''}\r\n`;
    exchange.conn = conn;
    conn.request(head, exchange, {
      isHead: d.head.method === 'HEAD',
      hasBody: body.kind !== 'none',
      headerTimeout: this.options.timeouts.responseHeaderTimeout,
    });
    if (body.kind === 'buffered') {
      conn.writeBody(body.data, chunked);
      conn.endBody(chunked);
    } else if (body.kind === 'streamed') {
      const sink = bodySink(conn, d, chunked);
      for (const data of body.prefix) sink.chunk(data);
      body.prefix = [];
      d.attachBody(sink);
    }
  }

  /** A retry runs after the failed attempt has unwound (never from inside its callback). */
  private resend(exchange: HttpExchange): void {
    queueMicrotask(() => {
      if (!exchange.closed) this.send(exchange);
    });
  }
}

/** Streams the client's body to `conn` as it arrives, chunk-framed when the client's was. */
function bodySink(conn: UpstreamConnection, d: Downstream, chunked: boolean): BodySink {
  const resume = (): void => d.resume();
  return {
    chunk(data) {
      const ok = conn.writeBody(data, chunked);
      if (!ok) conn.onceDrain(resume);
      return ok;
    },
    end() {
      conn.endBody(chunked);
    },
  };
}

/** The name in a Host header (no port, no IPv6 brackets): the TLS server name. */
function hostname(host: string): string {
  if (host.startsWith('[')) return host.slice(1, host.indexOf(']'));
  const colon = host.lastIndexOf(':');
  return colon >= 0 ? host.slice(0, colon) : host;
}
