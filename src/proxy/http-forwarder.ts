import type { ClientRequest, IncomingMessage, ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import httpProxy from 'http-proxy';
import type { Logger } from 'pino';
import type { BalancerServer } from '../balancer/types.js';
import type { ServiceRuntime } from '../runtime/routing-table.js';
import type { ServerRegistry } from '../runtime/server-registry.js';
import type { ServerState } from '../runtime/server-state.js';
import { setForwardedHeaders, type ForwardInfo } from './forwarded-headers.js';
import { hopByHopNames, stripHopByHop } from './hop-by-hop.js';
import { pickServer } from './pick-server.js';
import { STATUS_TEXT, statusForUpstreamError } from './upstream-error.js';
import { armUpstreamTimeouts, type UpstreamTimeouts } from './upstream-timeouts.js';

/** What the forwarder remembers about a request between http-proxy's events. */
interface Exchange {
  setCookie: string | undefined;
  server: BalancerServer;
  service: ServiceRuntime;
  upgraded: boolean;
  /** The current upstream request (a stale-socket retry replaces it). */
  proxyReq: ClientRequest | undefined;
  staleRetries: number;
}

const EXCHANGE = Symbol('switchyard.exchange');
type Tagged = IncomingMessage & { [EXCHANGE]?: Exchange };

export interface ForwarderOptions {
  registry: ServerRegistry;
  timeouts: UpstreamTimeouts;
  log: Logger;
}

/**
 * Sends HTTP requests and WebSocket upgrades to a service's servers through http-proxy:
 * picks the server (sticky cookie first), keeps in-flight counts, sets forwarded headers,
 * and maps upstream failures to 502/503/504. It never decides routing.
 */
export class Forwarder {
  private readonly proxy: httpProxy;

  constructor(private readonly options: ForwarderOptions) {
    this.proxy = httpProxy.createProxyServer({ xfwd: false, ws: true, prependPath: true, selfHandleResponse: true });
    // Every call passes its own error callback; this only guards against an unexpected emit.
    this.proxy.on('error', (err) => this.options.log.error({ err: errSummary(err) }, 'proxy error outside a request'));
    this.proxy.on('proxyReq', (proxyReq, req) => {
      // The client's Connection/Keep-Alive describe its own hop, not ours to the backend.
      for (const name of proxyReq.getHeaderNames()) if (HOP_REQUEST.has(name)) proxyReq.removeHeader(name);
      armUpstreamTimeouts(proxyReq, this.options.timeouts);
      const exchange = (req as Tagged)[EXCHANGE];
      if (exchange) exchange.proxyReq = proxyReq;
    });
    this.proxy.on('proxyReqWs', (proxyReq, req) => {
      armUpstreamTimeouts(proxyReq, this.options.timeouts);
      const exchange = (req as Tagged)[EXCHANGE];
      // Registered before http-proxy's own 'upgrade' listener, so the 101 it writes carries the cookie.
      proxyReq.on('upgrade', (proxyRes) => {
        if (!exchange) return;
        exchange.upgraded = true;
        stripHopByHop(proxyRes.headers, true);
        if (exchange.setCookie) appendSetCookie(proxyRes.headers, exchange.setCookie);
      });
    });
    // We write the response ourselves (selfHandleResponse): http-proxy would copy hop-by-hop
    // headers, and stripping them from proxyRes.headers in place would also hide the backend's
    // `Keep-Alive: timeout=N` hint from Node's agent, which then reuses sockets the backend closed.
    this.proxy.on('proxyRes', (proxyRes, req, res) => this.relayResponse(proxyRes, req as Tagged, res));
  }

  /** Forwards one HTTP request to `service`; answers 503 itself when no server can take it. */
  web(req: IncomingMessage, res: ServerResponse, service: ServiceRuntime, info: ForwardInfo): void {
    const pick = pickServer(service, req.headers.cookie, info);
    if (!pick) {
      respond(res, 503, `no server of service ${service.name} can take requests`);
      return;
    }
    const { server } = pick;
    const state = server.state;
    const exchange: Exchange = { setCookie: pick.setCookie, server, service, upgraded: false, proxyReq: undefined, staleRetries: 0 };
    (req as Tagged)[EXCHANGE] = exchange;
    this.begin(state);
    res.once('close', () => this.end(state));
    stripHopByHop(req.headers);
    setForwardedHeaders(req.headers, info);
    this.send(req, res, exchange);
  }

  private send(req: IncomingMessage, res: ServerResponse, exchange: Exchange): void {
    const { server, service } = exchange;
    this.proxy.web(
      req,
      res,
      { target: server.url, agent: this.options.registry.agentFor(server.state), changeOrigin: !service.passHostHeader },
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
    if (res.headersSent || res.destroyed) {
      proxyRes.resume();
      return;
    }
    res.statusCode = proxyRes.statusCode ?? 502;
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

  /** Forwards a WebSocket upgrade; the connection counts as in flight until it closes. */
  upgrade(req: IncomingMessage, socket: Socket, head: Buffer, service: ServiceRuntime, info: ForwardInfo): void {
    const pick = pickServer(service, req.headers.cookie, info);
    if (!pick) {
      rejectUpgrade(socket, 503, `no server of service ${service.name} can take requests`);
      return;
    }
    const { server } = pick;
    const state = server.state;
    const exchange: Exchange = { setCookie: pick.setCookie, server, service, upgraded: false, proxyReq: undefined, staleRetries: 0 };
    (req as Tagged)[EXCHANGE] = exchange;
    this.begin(state);
    state.webSockets++;
    socket.once('close', () => {
      state.webSockets--;
      this.end(state);
    });
    stripHopByHop(req.headers, true);
    setForwardedHeaders(req.headers, { ...info, proto: info.proto === 'https' ? 'wss' : 'ws' });
    this.proxy.ws(
      req,
      socket,
      head,
      { target: server.url, changeOrigin: !service.passHostHeader, agent: false },
      (err) => {
        if (exchange.upgraded) {
          this.options.log.debug({ err, service: service.name, server: server.url }, 'websocket connection ended with an error');
          socket.destroy();
          return;
        }
        const status = statusForUpstreamError(err);
        this.options.log.warn({ err: errSummary(err), service: service.name, server: server.url, status }, 'websocket upgrade failed upstream');
        rejectUpgrade(socket, status, STATUS_TEXT[status]!);
      },
    );
  }

  close(): void {
    this.proxy.close();
  }

  private begin(state: ServerState): void {
    state.inFlight++;
  }

  private end(state: ServerState): void {
    state.inFlight--;
    state.served++;
    this.options.registry.releaseIfIdle(state);
  }

  private failed(err: Error, req: IncomingMessage, res: ServerResponse, exchange: Exchange): void {
    // A pooled keep-alive socket the backend closed a moment ago fails on first use. Node's
    // advice: retry a body-less idempotent request on a fresh socket. Other retries are issue 4's.
    if (
      !res.headersSent &&
      exchange.proxyReq?.reusedSocket &&
      exchange.staleRetries < MAX_STALE_RETRIES &&
      isConnectionReset(err) &&
      isBodylessIdempotent(req)
    ) {
      exchange.staleRetries++;
      this.options.log.debug({ server: exchange.server.url }, 'reused upstream connection was closed; retrying on a new one');
      this.send(req, res, exchange);
      return;
    }
    const status = statusForUpstreamError(err);
    this.options.log.warn(
      { err: errSummary(err), service: exchange.service.name, server: exchange.server.url, method: req.method, url: req.url, status },
      'upstream request failed',
    );
    if (res.headersSent) {
      // Part of the response already went out: all we can do is cut it so the client sees it broke.
      res.destroy();
      return;
    }
    respond(res, status, STATUS_TEXT[status]!);
  }
}

const MAX_STALE_RETRIES = 3;
const IDEMPOTENT = new Set(['GET', 'HEAD', 'OPTIONS', 'DELETE', 'PUT', 'TRACE']);

function isConnectionReset(err: unknown): boolean {
  const code = (err as NodeJS.ErrnoException | undefined)?.code;
  return code === 'ECONNRESET' || code === 'EPIPE';
}

/** Safe to send again: idempotent and without a body (a body stream cannot be replayed). */
function isBodylessIdempotent(req: IncomingMessage): boolean {
  if (!IDEMPOTENT.has(req.method ?? 'GET')) return false;
  const length = req.headers['content-length'];
  return req.headers['transfer-encoding'] === undefined && (length === undefined || length === '0');
}

const HOP_REQUEST = new Set(['connection', 'keep-alive', 'proxy-connection', 'te', 'trailer', 'upgrade']);

function appendSetCookie(headers: IncomingMessage['headers'], cookie: string): void {
  const prior = headers['set-cookie'];
  headers['set-cookie'] = prior ? [...prior, cookie] : [cookie];
}

export function respond(res: ServerResponse, status: number, body: string): void {
  if (res.headersSent || res.destroyed) return;
  res.writeHead(status, { 'content-type': 'text/plain; charset=utf-8', 'content-length': Buffer.byteLength(body) + 1 });
  res.end(`${body}\n`);
}

function rejectUpgrade(socket: Socket, status: number, body: string): void {
  if (socket.destroyed) return;
  const text = `${body}\n`;
  socket.end(
    `HTTP/1.1 ${status} ${STATUS_TEXT[status] ?? ''}\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Length: ${Buffer.byteLength(text)}\r\nConnection: close\r\n\r\n${text}`,
  );
}

function errSummary(err: unknown): { code?: string; message: string } {
  const e = err as NodeJS.ErrnoException;
  return { ...(e?.code ? { code: e.code } : {}), message: e?.message ?? String(err) };
}
