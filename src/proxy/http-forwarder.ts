import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import httpProxy from 'http-proxy';
import type { Logger } from 'pino';
import type { BalancerServer } from '../balancer/types.js';
import type { ServiceRuntime } from '../runtime/routing-table.js';
import type { ServerRegistry } from '../runtime/server-registry.js';
import type { ServerState } from '../runtime/server-state.js';
import { setForwardedHeaders, type ForwardInfo } from './forwarded-headers.js';
import { stripHopByHop } from './hop-by-hop.js';
import { pickServer } from './pick-server.js';
import { STATUS_TEXT, statusForUpstreamError } from './upstream-error.js';
import { armUpstreamTimeouts, type UpstreamTimeouts } from './upstream-timeouts.js';

/** What the forwarder remembers about a request between http-proxy's events. */
interface Exchange {
  setCookie: string | undefined;
  server: BalancerServer;
  service: string;
  upgraded: boolean;
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
    this.proxy = httpProxy.createProxyServer({ xfwd: false, ws: true, prependPath: true });
    // Every call passes its own error callback; this only guards against an unexpected emit.
    this.proxy.on('error', (err) => this.options.log.error({ err: errSummary(err) }, 'proxy error outside a request'));
    this.proxy.on('proxyReq', (proxyReq) => {
      // The client's Connection/Keep-Alive describe its own hop, not ours to the backend.
      for (const name of proxyReq.getHeaderNames()) if (HOP_REQUEST.has(name)) proxyReq.removeHeader(name);
      armUpstreamTimeouts(proxyReq, this.options.timeouts);
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
    this.proxy.on('proxyRes', (proxyRes, req) => {
      const connection = proxyRes.headers['connection'];
      stripHopByHop(proxyRes.headers);
      // http-proxy copies the upstream's `Connection: close` to the client otherwise;
      // a backend closing its socket must not close the client's.
      if (connection) delete proxyRes.headers['connection'];
      const setCookie = (req as Tagged)[EXCHANGE]?.setCookie;
      if (setCookie) appendSetCookie(proxyRes.headers, setCookie);
    });
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
    (req as Tagged)[EXCHANGE] = { setCookie: pick.setCookie, server, service: service.name, upgraded: false };
    this.begin(state);
    res.once('close', () => this.end(state));
    const clientConnection = req.headers.connection;
    stripHopByHop(req.headers);
    // Keep the client's own wish for its connection (http-proxy echoes it in the response).
    if (clientConnection !== undefined && /\bclose\b/i.test(clientConnection)) req.headers.connection = 'close';
    setForwardedHeaders(req.headers, info);
    this.proxy.web(
      req,
      res,
      {
        target: server.url,
        agent: this.options.registry.agentFor(state),
        changeOrigin: !service.passHostHeader,
      },
      (err) => this.failed(err, req, res, service.name, server.url),
    );
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
    const exchange: Exchange = { setCookie: pick.setCookie, server, service: service.name, upgraded: false };
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

  private failed(err: Error, req: IncomingMessage, res: ServerResponse, service: string, url: string): void {
    const status = statusForUpstreamError(err);
    this.options.log.warn({ err: errSummary(err), service, server: url, method: req.method, url: req.url, status }, 'upstream request failed');
    if (res.headersSent) {
      // Part of the response already went out: all we can do is cut it so the client sees it broke.
      res.destroy();
      return;
    }
    respond(res, status, STATUS_TEXT[status]!);
  }
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
