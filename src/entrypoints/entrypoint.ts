import http, { type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import type { Logger } from 'pino';
import type { EntryPointConfig } from '../config/static-config.js';
import type { HttpForwarder } from '../proxy/http-forwarder.js';
import { rejectUpgrade, respond } from '../proxy/respond.js';
import type { WebSocketForwarder } from '../proxy/websocket-forwarder.js';
import type { ForwardInfo } from '../proxy/forwarded-headers.js';
import { createIpMatcher } from '../rules/ip-match.js';
import type { Route } from '../runtime/routing-table.js';
import type { Runtime } from '../runtime/runtime.js';
import { clientIpOf, normalizeIp } from './client-ip.js';
import { listenOn } from './listen.js';
import { toMatchRequest } from './match-request.js';

/**
 * One listener. Each request reads the current RoutingTable once and keeps it to its end,
 * so a swap never changes a request mid-way; the listener itself is never re-bound.
 */
export class EntryPoint {
  readonly server: http.Server;
  private readonly isTrusted: (ip: string) => boolean;
  /** Open connections, each with what its requests share (peer, trust, the untrusted ForwardInfo). */
  private readonly sockets = new Map<Socket, ForwardInfo>();
  private active = 0;
  private idleWaiters: Array<() => void> = [];
  private closed: Promise<void> | undefined;
  private sweeper: NodeJS.Timeout | undefined;

  constructor(
    readonly name: string,
    private readonly config: EntryPointConfig,
    private readonly runtime: Runtime,
    private readonly forwarders: { http: HttpForwarder; ws: WebSocketForwarder },
    private readonly log: Logger,
  ) {
    const fh = config.forwardedHeaders;
    this.isTrusted = fh.insecure ? () => true : createIpMatcher(fh.trustedIPs);
    this.server = http.createServer(
      {
        keepAliveTimeout: config.transport.respondingTimeouts.idleTimeout,
        headersTimeout: config.transport.respondingTimeouts.readHeaderTimeout,
        // Bodies stream to the backend; a whole-request deadline would cut long uploads.
        requestTimeout: 0,
      },
      (req, res) => this.onRequest(req, res),
    );
    this.server.on('upgrade', (req: IncomingMessage, socket: Socket, head: Buffer) => this.onUpgrade(req, socket, head));
    this.server.on('connection', (socket: Socket) => {
      this.sockets.set(socket, this.connectionInfo(socket));
      socket.once('close', () => this.sockets.delete(socket));
    });
    this.server.on('clientError', (err: NodeJS.ErrnoException, socket: Socket) => {
      if (err.code === 'ECONNRESET' || !socket.writable) return socket.destroy();
      const status = err.code === 'HPE_HEADER_OVERFLOW' ? 431 : err.code === 'ERR_HTTP_REQUEST_TIMEOUT' ? 408 : 400;
      socket.end(`HTTP/1.1 ${status} ${http.STATUS_CODES[status]}\r\nConnection: close\r\nContent-Length: 0\r\n\r\n`);
    });
  }

  listen(): Promise<AddressInfo> {
    return listenOn(this.server, this.config.address);
  }

  address(): AddressInfo {
    return this.server.address() as AddressInfo;
  }

  /**
   * Shutdown, step 1: stop accepting. Connections that are idle now, or become idle after their
   * current response, are closed rather than left to the client's keep-alive.
   */
  stopAccepting(): void {
    if (this.closed) return;
    this.closed = new Promise<void>((resolve) => this.server.close(() => resolve()));
    this.server.closeIdleConnections();
    this.sweeper = setInterval(() => this.server.closeIdleConnections(), 50);
  }

  /** Step 2: resolves when no HTTP request is in flight here, or at `deadline` (epoch ms). */
  drained(deadline: number): Promise<void> {
    if (this.active === 0) return Promise.resolve();
    return new Promise<void>((resolve) => {
      const timer = setTimeout(finish, Math.max(0, deadline - Date.now()));
      const check = (): void => {
        if (this.active === 0) finish();
      };
      function finish(): void {
        clearTimeout(timer);
        resolve();
      }
      this.idleWaiters.push(check);
    });
  }

  /** Step 3: whatever is still open is cut; resolves when the listener is fully closed. */
  async destroy(): Promise<void> {
    this.stopAccepting();
    for (const socket of this.sockets.keys()) socket.destroy();
    await this.closed;
    if (this.sweeper) clearInterval(this.sweeper);
  }

  /** HTTP requests in flight through this entry point. */
  get inFlight(): number {
    return this.active;
  }

  /** Peer, trust and port are the same for every request of a connection: worked out once. */
  private connectionInfo(socket: Socket): ForwardInfo {
    const peer = normalizeIp(socket.remoteAddress);
    return { peer, clientIp: peer, trusted: this.isTrusted(peer), proto: 'http', port: socket.localPort ?? 0 };
  }

  /** An untrusted peer's requests share its connection's info; a trusted peer names the client per request. */
  private forwardInfo(req: IncomingMessage): ForwardInfo {
    const conn = this.sockets.get(req.socket) ?? this.connectionInfo(req.socket);
    if (!conn.trusted) return conn;
    return { ...conn, clientIp: clientIpOf(conn.peer, req.headers['x-forwarded-for'], this.isTrusted) };
  }

  /** The one place a request of this entry point ends (called once per request, on its response's 'close'). */
  private readonly requestEnded = (): void => {
    this.active--;
    if (this.active === 0 && this.idleWaiters.length > 0) {
      const waiters = this.idleWaiters;
      this.idleWaiters = [];
      for (const w of waiters) w();
    }
  };

  /**
   * The route for a request, from the table current right now (read once: the request keeps
   * it to its end). Throws on a request target that is not a URL.
   */
  private findRoute(req: IncomingMessage, info: ForwardInfo): Route | undefined {
    return this.runtime.table.entryPoints.get(this.name)?.match(toMatchRequest(req, info.clientIp));
  }

  private onRequest(req: IncomingMessage, res: ServerResponse): void {
    this.active++;
    const info = this.forwardInfo(req);
    let route;
    try {
      route = this.findRoute(req, info);
    } catch (err) {
      // A request target that is not a URL (absolute-form garbage) cannot be routed.
      this.log.debug({ err }, 'unroutable request');
      res.on('close', this.requestEnded);
      respond(res, 400, 'Bad Request');
      return;
    }
    if (!route) {
      res.on('close', this.requestEnded);
      respond(res, 404, '404 page not found');
      return;
    }
    // The forwarder's own 'close' listener ends the request here too (one listener, not two).
    this.forwarders.http.web(req, res, route.service, info, this.requestEnded);
  }

  private onUpgrade(req: IncomingMessage, socket: Socket, head: Buffer): void {
    socket.on('error', () => socket.destroy());
    const info = this.forwardInfo(req);
    let route;
    try {
      route = this.findRoute(req, info);
    } catch {
      route = undefined;
    }
    if (!route) {
      rejectUpgrade(socket, 404, '404 page not found');
      return;
    }
    this.forwarders.ws.upgrade(req, socket, head, route.service, info);
  }
}
