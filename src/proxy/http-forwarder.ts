import { STATUS_CODES, type IncomingMessage, type ServerResponse } from 'node:http';
import type { Logger } from 'pino';
import type { ServiceRuntime } from '../runtime/routing-table.js';
import type { ServerRegistry } from '../runtime/server-registry.js';
import { isStaleConnectionError } from '../runtime/upstream-pool.js';
import type { ForwardInfo } from './forwarded-headers.js';
import { HttpExchange, type ExchangeOwner } from './http-exchange.js';
import { pickServer } from './pick-server.js';
import { hasBody, readBodyUpTo } from './request-body.js';
import { errSummary, respond } from './respond.js';
import { isIdempotent, isReset, isRetriable } from './retry-policy.js';
import { asUpstreamError, statusForUpstreamError } from './upstream-error.js';
import type { UpstreamTimeouts } from './upstream-timeouts.js';

/** Reused keep-alive connections a backend closed a moment ago; each is tried at most this often. */
const MAX_STALE_RETRIES = 3;

export interface ForwarderOptions {
  registry: ServerRegistry;
  timeouts: UpstreamTimeouts;
  log: Logger;
}

/**
 * Sends HTTP requests to a service's servers through each server's undici pool: picks the
 * server (sticky cookie first), counts in-flight requests, sends the client's headers minus
 * hop-by-hop ones plus forwarded headers, retries on another server when that is safe, feeds
 * passive health checks, and maps failures to 502/503/504. It never decides routing.
 */
export class HttpForwarder implements ExchangeOwner {
  constructor(private readonly options: ForwarderOptions) {}

  /**
   * Forwards one HTTP request to `service`; answers 503 itself when no server can take it.
   * `onEnd` runs once when the client's response closes (the entry point's own accounting,
   * sharing our one 'close' listener).
   */
  web(req: IncomingMessage, res: ServerResponse, service: ServiceRuntime, info: ForwardInfo, onEnd: () => void): void {
    const pick = pickServer(service, req.headers.cookie, info);
    if (!pick) {
      res.on('close', onEnd);
      respond(res, 503, `no server of service ${service.name} can take requests`);
      return;
    }
    const exchange = new HttpExchange(this, req, res, service, info, pick.server, pick.setCookie, onEnd);
    this.options.registry.begin(pick.server.state);
    if (!hasBody(req)) {
      this.send(exchange);
    } else if (service.retries === 0) {
      // No retries: never hold a body, stream it once.
      exchange.body = { kind: 'streamed', stream: req };
      this.send(exchange);
    } else {
      // Hold a small body so that a failed attempt can be sent again elsewhere.
      void readBodyUpTo(req, service.retryBodyLimit).then((body) => {
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

  failed(exchange: HttpExchange, cause: Error): void {
    if (exchange.closed) return; // the client left; nothing to answer
    const err = asUpstreamError(cause, this.options.timeouts);
    const { service, req, res } = exchange;
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
      res.destroy();
      return;
    }
    respond(res, status, STATUS_CODES[status]!);
  }

  /** One attempt: the request goes to the current server's pool; undici calls the exchange back. */
  private send(exchange: HttpExchange): void {
    const upstream = this.options.registry.upstreamFor(exchange.server.state);
    if (!upstream) {
      // Unreachable while the request counts itself in flight (see upstreamFor); answer rather than hang.
      respond(exchange.res, 503, `server ${exchange.server.url} left the configuration`);
      return;
    }
    const body = exchange.body;
    upstream.pool.dispatch(
      {
        path: upstream.pathPrefix === '' ? exchange.path : upstream.pathPrefix + exchange.path,
        method: exchange.req.method ?? 'GET',
        headers: exchange.headers,
        body: body.kind === 'none' ? null : body.kind === 'buffered' ? body.data : body.stream,
        headersTimeout: this.options.timeouts.responseHeaderTimeout,
      },
      exchange,
    );
  }

  /** A retry runs after undici has finished with the failed attempt (never from inside its callback). */
  private resend(exchange: HttpExchange): void {
    exchange.restart();
    queueMicrotask(() => {
      if (!exchange.closed) this.send(exchange);
    });
  }
}
