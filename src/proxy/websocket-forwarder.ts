import { STATUS_CODES, type IncomingHttpHeaders, type IncomingMessage } from 'node:http';
import type { RequestHead } from '../http1/request-head.js';
import type { Socket } from 'node:net';
import httpProxy from 'http-proxy';
import type { Logger } from 'pino';
import type { ServiceRuntime } from '../runtime/routing-table.js';
import type { ServerRegistry } from '../runtime/server-registry.js';
import { setForwardedHeaders, type ForwardInfo } from './forwarded-headers.js';
import { stripHopByHop } from './hop-by-hop.js';
import { pickServer } from './pick-server.js';
import { errSummary, rejectUpgrade } from './respond.js';
import { statusForUpstreamError } from './upstream-error.js';
import { armUpstreamTimeouts, type UpstreamTimeouts } from './upstream-timeouts.js';
import { closeFrame, GOING_AWAY } from './websocket-close.js';

/** One proxied WebSocket: the client's socket and, once upgraded, the server's. */
interface Tunnel {
  client: Socket;
  upstream: Socket | undefined;
  setCookie: string | undefined;
}

const TUNNEL = Symbol('switchyard.tunnel');
type Tagged = IncomingMessage & { [TUNNEL]?: Tunnel };

/** The parts of a request http-proxy's WebSocket pass reads (it needs no IncomingMessage). */
interface HandshakeRequest {
  method: string;
  url: string;
  httpVersion: string;
  headers: IncomingHttpHeaders;
  [TUNNEL]?: Tunnel;
}

export interface WebSocketForwarderOptions {
  registry: ServerRegistry;
  timeouts: UpstreamTimeouts;
  log: Logger;
}

/**
 * Proxies WebSocket upgrades: balanced and sticky like HTTP, counted as in flight (leastConn
 * sees them) until closed, and closed with 1001 "going away" at shutdown.
 */
export class WebSocketForwarder {
  private readonly proxy: httpProxy;
  private readonly tunnels = new Set<Tunnel>();

  constructor(private readonly options: WebSocketForwarderOptions) {
    this.proxy = httpProxy.createProxyServer({ xfwd: false, ws: true, prependPath: true });
    this.proxy.on('error', (err) => this.options.log.error({ err: errSummary(err) }, 'websocket proxy error outside a connection'));
    this.proxy.on('proxyReqWs', (proxyReq, req) => {
      armUpstreamTimeouts(proxyReq, this.options.timeouts);
      const tunnel = (req as Tagged)[TUNNEL];
      // Registered before http-proxy's own 'upgrade' listener, so the 101 it writes carries the cookie.
      proxyReq.on('upgrade', (proxyRes: IncomingMessage, upstream: Socket) => {
        if (!tunnel) return;
        tunnel.upstream = upstream;
        stripHopByHop(proxyRes.headers, true);
        if (tunnel.setCookie) {
          const prior = proxyRes.headers['set-cookie'];
          proxyRes.headers['set-cookie'] = prior ? [...prior, tunnel.setCookie] : [tunnel.setCookie];
        }
      });
    });
  }

  upgrade(handshake: RequestHead, socket: Socket, head: Buffer, service: ServiceRuntime, info: ForwardInfo): void {
    socket.on('error', () => socket.destroy());
    const req: HandshakeRequest = { method: handshake.method, url: handshake.url, httpVersion: handshake.httpVersion, headers: { ...handshake.headers } };
    const pick = pickServer(service, req.headers.cookie, info);
    if (!pick) {
      rejectUpgrade(socket, 503, `no server of service ${service.name} can take requests`);
      return;
    }
    const { server } = pick;
    const state = server.state;
    const tunnel: Tunnel = { client: socket, upstream: undefined, setCookie: pick.setCookie };
    req[TUNNEL] = tunnel;
    this.tunnels.add(tunnel);
    this.options.registry.begin(state);
    state.webSockets++;
    socket.once('close', () => {
      this.tunnels.delete(tunnel);
      state.webSockets--;
      this.options.registry.end(state);
    });
    stripHopByHop(req.headers, true);
    setForwardedHeaders(req.headers, { ...info, proto: info.proto === 'https' ? 'wss' : 'ws' });
    this.proxy.ws(req as unknown as IncomingMessage, socket, head, { target: server.url, changeOrigin: !service.passHostHeader, agent: false }, (err) => {
      if (tunnel.upstream) {
        this.options.log.debug({ err: errSummary(err), service: service.name, server: server.url }, 'websocket connection ended with an error');
        socket.destroy();
        return;
      }
      this.options.registry.reportFailure(state, service.passiveHealthCheck, errSummary(err).code ?? err.message);
      const status = statusForUpstreamError(err);
      this.options.log.warn({ err: errSummary(err), service: service.name, server: server.url, status }, 'websocket upgrade failed upstream');
      rejectUpgrade(socket, status, STATUS_CODES[status]!);
    });
  }

  /** Open WebSockets (upgraded or upgrading). */
  get size(): number {
    return this.tunnels.size;
  }

  /**
   * Shutdown: tell both ends we are going away (close 1001) and end the sockets; whatever has
   * not closed after `waitMs` is destroyed. Resolves when every tunnel is gone.
   */
  async closeAll(waitMs: number): Promise<void> {
    const closing = [...this.tunnels].map(
      (t) =>
        new Promise<void>((resolve) => {
          if (t.client.destroyed) return resolve();
          t.client.once('close', () => resolve());
          if (t.upstream) {
            // Stop relaying first so our frame never lands inside one of theirs.
            t.upstream.unpipe(t.client);
            t.client.unpipe(t.upstream);
            // Keep reading (and drop) what the peers still send, such as their close reply:
            // an unread, paused socket never sees the peer's FIN, so it would never close.
            t.upstream.resume();
            t.client.resume();
            t.upstream.end(closeFrame(GOING_AWAY, 'proxy shutting down', true));
            t.client.end(closeFrame(GOING_AWAY, 'server shutting down', false));
          } else {
            t.client.destroy();
          }
        }),
    );
    const timer = setTimeout(() => {
      for (const t of this.tunnels) {
        t.client.destroy();
        t.upstream?.destroy();
      }
    }, waitMs);
    await Promise.all(closing);
    clearTimeout(timer);
  }

  close(): void {
    this.proxy.close();
  }
}
