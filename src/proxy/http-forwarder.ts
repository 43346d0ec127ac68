import { STATUS_CODES, type ClientRequest, type IncomingMessage, type ServerResponse } from 'node:http';
import { Readable } from 'node:stream';
import httpProxy from 'http-proxy';
import type { Logger } from 'pino';
import type { BalancerServer } from '../balancer/types.js';
import type { ServiceRuntime } from '../runtime/routing-table.js';
import type { ServerRegistry } from '../runtime/server-registry.js';
import type { ServerState } from '../runtime/server-state.js';
import { setForwardedHeaders, type ForwardInfo } from './forwarded-headers.js';
import { hopByHopNames, stripHopByHop } from './hop-by-hop.js';
import { pickServer } from './pick-server.js';
import { hasBody, readBodyUpTo, type Body } from './request-body.js';
import { errSummary, respond } from './respond.js';
import { isIdempotent, isReset, isRetriable } from './retry-policy.js';
import { statusForUpstreamError } from './upstream-error.js';
import { armUpstreamTimeouts, type UpstreamTimeouts } from './upstream-timeouts.js';

/** One client request on its way through one or more attempts. */
interface Exchange {
  readonly service: ServiceRuntime;
  readonly info: ForwardInfo;
  /** The server of the current attempt. */
  server: BalancerServer;
  setCookie: string | undefined;
  body: Body;
  /** Servers already tried: a retry goes elsewhere. */
  readonly tried: Set<ServerState>;
  attempts: number;
  staleRetries: number;
  /** The current upstream request. */
  proxyReq: ClientRequest | undefined;
}

const EXCHANGE = Symbol('switchyard.exchange');
type Tagged = IncomingMessage & { [EXCHANGE]?: Exchange };

/** Reused keep-alive sockets a backend closed a moment ago; each is tried at most this often. */
const MAX_STALE_RETRIES = 3;

export interface ForwarderOptions {
  registry: ServerRegistry;
  timeouts: UpstreamTimeouts;
  log: Logger;
}

/**
 * Sends HTTP requests to a service's servers through http-proxy: picks the server (sticky
 * cookie first), counts in-flight requests, sets forwarded headers, retries on another
 * server when that is safe, feeds passive health checks, and maps failures to 502/503/504.
 * It never decides routing.
 */
export class HttpForwarder {
  private readonly proxy: httpProxy;

  constructor(private readonly options: ForwarderOptions) {
    // We write the response ourselves (selfHandleResponse): http-proxy would copy hop-by-hop
    // headers, and stripping them from proxyRes.headers in place would also hide the backend's
    // `Keep-Alive: timeout=N` hint from Node's agent, which then reuses sockets the backend closed.
    this.proxy = httpProxy.createProxyServer({ xfwd: false, prependPath: true, selfHandleResponse: true });
    // Every call passes its own error callback; this only guards against an unexpected emit.
    this.proxy.on('error', (err) => this.options.log.error({ err: errSummary(err) }, 'proxy error outside a request'));
    this.proxy.on('proxyReq', (proxyReq, req) => {
      armUpstreamTimeouts(proxyReq, this.options.timeouts);
      const exchange = (req as Tagged)[EXCHANGE];
      if (exchange) exchange.proxyReq = proxyReq;
    });
    this.proxy.on('proxyRes', (proxyRes, req, res) => this.relayResponse(proxyRes, req as Tagged, res));
  }

  /** Forwards one HTTP request to `service`; answers 503 itself when no server can take it. */
  web(req: IncomingMessage, res: ServerResponse, service: ServiceRuntime, info: ForwardInfo): void {
    const pick = pickServer(service, req.headers.cookie, info);
    if (!pick) {
      respond(res, 503, `no server of service ${service.name} can take requests`);
      return;
    }
    const exchange: Exchange = {
      service,
      info,
      server: pick.server,
      setCookie: pick.setCookie,
      body: { kind: 'none' },
      tried: new Set([pick.server.state]),
      attempts: 1,
      staleRetries: 0,
      proxyReq: undefined,
    };
    (req as Tagged)[EXCHANGE] = exchange;
    const registry = this.options.registry;
    registry.begin(pick.server.state);
    res.once('close', () => registry.end(exchange.server.state));
    // The client's Connection/Keep-Alive describe its own hop, not ours to the backend;
    // http-proxy copies what is left to every attempt.
    stripHopByHop(req.headers);
    setForwardedHeaders(req.headers, info);
    if (service.retries === 0) {
      // No retries: never hold a body. (A body-less request can still be resent on a fresh
      // socket when a pooled one turns out stale.)
      exchange.body = hasBody(req) ? { kind: 'streamed', stream: req } : { kind: 'none' };
      this.send(req, res, exchange);
      return;
    }
    // Hold a small body so that a failed attempt can be sent again elsewhere.
    void readBodyUpTo(req, service.retryBodyLimit).then((body) => {
      exchange.body = body;
      if (!res.destroyed) this.send(req, res, exchange);
    });
  }

  close(): void {
    this.proxy.close();
  }

  private send(req: IncomingMessage, res: ServerResponse, exchange: Exchange): void {
    const { server, service, body } = exchange;
    this.proxy.web(
      req,
      res,
      {
        target: server.url,
        agent: this.options.registry.agentFor(server.state),
        changeOrigin: !service.passHostHeader,
        ...(body.kind === 'buffered' ? { buffer: Readable.from([body.data]) } : body.kind === 'streamed' && body.stream !== req ? { buffer: body.stream } : {}),
      },
      (err) => this.failed(err, req, res, exchange),
    );
  }

  /** Status, end-to-end headers (plus our Set-Cookie), then the body, streamed. */
  private relayResponse(proxyRes: IncomingMessage, req: Tagged, res: ServerResponse): void {
    const exchange = req[EXCHANGE];
    // If the upstream dies mid-body, end the client's response too, or it would wait forever
    // and the request would stay in flight.
    proxyRes.once('close', () => {
      if (!proxyRes.complete && !res.destroyed) {
        this.options.log.debug({ server: exchange?.server.url }, 'upstream response aborted mid-body');
        res.destroy();
      }
    });
    const status = proxyRes.statusCode ?? 502;
    if (exchange && status >= 500) {
      this.options.registry.reportFailure(exchange.server.state, exchange.service.passiveHealthCheck, `status ${status}`);
    }
    if (res.headersSent || res.destroyed) {
      proxyRes.resume();
      return;
    }
    res.statusCode = status;
    if (proxyRes.statusMessage) res.statusMessage = proxyRes.statusMessage;
    const skip = hopByHopNames(proxyRes.headers);
    // Node frames the body for the client itself (chunked, or close-delimited for HTTP/1.0).
    skip.add('transfer-encoding');
    const headers = proxyRes.headers;
    for (const name in headers) {
      const value = headers[name];
      if (value !== undefined && !skip.has(name)) res.setHeader(name, value);
    }
    if (exchange?.setCookie) res.appendHeader('set-cookie', exchange.setCookie);
    proxyRes.pipe(res);
  }

  private failed(err: Error, req: IncomingMessage, res: ServerResponse, exchange: Exchange): void {
    const { service } = exchange;
    const state = exchange.server.state;
    const replayable = exchange.body.kind !== 'streamed';
    if (res.destroyed) return; // the client left; nothing to answer
    // A pooled keep-alive socket the backend closed a moment ago fails on first use: not the
    // server's fault. Send the same request again on a fresh socket (Node's own advice).
    if (
      !res.headersSent &&
      exchange.proxyReq?.reusedSocket &&
      exchange.staleRetries < MAX_STALE_RETRIES &&
      isReset(err) &&
      replayable &&
      isIdempotent(req)
    ) {
      exchange.staleRetries++;
      this.options.log.debug({ server: state.url }, 'reused upstream connection was closed; retrying on a new one');
      this.send(req, res, exchange);
      return;
    }
    this.options.registry.reportFailure(state, service.passiveHealthCheck, errSummary(err).code ?? err.message);
    if (!res.headersSent && exchange.attempts <= service.retries && isRetriable(err, req, replayable)) {
      const next = service.pool.pickExcluding(exchange.info, exchange.tried);
      if (next) {
        this.options.log.info(
          { service: service.name, server: state.url, next: next.url, attempt: exchange.attempts + 1, err: errSummary(err) },
          'retrying on another server',
        );
        this.options.registry.end(state);
        this.options.registry.begin(next.state);
        exchange.server = next;
        exchange.tried.add(next.state);
        exchange.attempts++;
        exchange.staleRetries = 0;
        if (service.sticky) exchange.setCookie = service.sticky.setCookieHeader(next);
        this.send(req, res, exchange);
        return;
      }
    }
    const status = statusForUpstreamError(err);
    this.options.log.warn(
      { err: errSummary(err), service: service.name, server: state.url, method: req.method, url: req.url, status, attempts: exchange.attempts },
      'upstream request failed',
    );
    if (res.headersSent) {
      // Part of the response already went out: all we can do is cut it so the client sees it broke.
      res.destroy();
      return;
    }
    respond(res, status, STATUS_CODES[status]!);
  }
}
