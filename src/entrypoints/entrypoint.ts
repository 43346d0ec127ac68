import net, { type AddressInfo, type Socket } from 'node:net';
import type { Logger } from 'pino';
import type { AccessLog } from '../access-log/access-log.js';
import type { EntryPointConfig } from '../config/static-config.js';
import type { Downstream } from '../http1/downstream.js';
import type { RequestHead } from '../http1/request-head.js';
import type { ForwardInfo } from '../proxy/forwarded-headers.js';
import type { HttpForwarder } from '../proxy/http-forwarder.js';
import { rejectUpgrade, respond } from '../proxy/respond.js';
import type { WebSocketForwarder } from '../proxy/websocket-forwarder.js';
import { createIpMatcher } from '../rules/ip-match.js';
import type { Route } from '../runtime/routing-table.js';
import type { Runtime } from '../runtime/runtime.js';
import { ClientConnection, type ConnectionLimits, type ConnectionOwner } from './client-connection.js';
import { clientIpOf, normalizeIp } from './client-ip.js';
import { listenOn } from './listen.js';
import { toMatchRequest } from './match-request.js';

/**
 * One listener. Each request reads the current RoutingTable once and keeps it to its end,
 * so a swap never changes a request mid-way; the listener itself is never re-bound.
 */
export class EntryPoint implements ConnectionOwner {
  readonly server: net.Server;
  private readonly isTrusted: (ip: string) => boolean;
  /** Open connections; each carries what its requests share (peer, trust, the untrusted ForwardInfo). */
  private readonly connections = new Set<ClientConnection>();
  private readonly limits: ConnectionLimits;
  private active = 0;
  private idleWaiters: Array<() => void> = [];
  private closed: Promise<void> | undefined;
  private stopping = false;
  private readonly sweeper: NodeJS.Timeout;

  constructor(
    readonly name: string,
    private readonly config: EntryPointConfig,
    private readonly runtime: Runtime,
    private readonly forwarders: { http: HttpForwarder; ws: WebSocketForwarder },
    private readonly log: Logger,
    private readonly accessLog?: AccessLog,
  ) {
    const fh = config.forwardedHeaders;
    this.isTrusted = fh.insecure ? () => true : createIpMatcher(fh.trustedIPs);
    const t = config.transport.respondingTimeouts;
    this.limits = { idleTimeout: t.idleTimeout, headerTimeout: t.readHeaderTimeout };
    // Half-open, so that a client's FIN reaches ClientConnection (which gives up at once) rather
    // than Node ending the socket behind its back; an upgraded socket relays the FIN.
    this.server = net.createServer({ noDelay: true, allowHalfOpen: true }, (socket) => this.accept(socket));
    // One sweep for every connection's idle and header timeouts: a request arms no timer.
    const shortest = Math.min(...[t.idleTimeout, t.readHeaderTimeout].filter((ms) => ms > 0), 4_000);
    this.sweeper = setInterval(() => this.sweep(), Math.max(20, Math.floor(shortest / 4)));
    this.sweeper.unref();
  }

  listen(): Promise<AddressInfo> {
    return listenOn(this.server, this.config.address);
  }

  address(): AddressInfo {
    return this.server.address() as AddressInfo;
  }

  /**
   * A connection accepted elsewhere (the primary of workers, src/cluster/), as if this
   * listener had accepted it: half-open like the listener's own.
   */
  adopt(socket: Socket): void {
    socket.allowHalfOpen = true;
    this.accept(socket);
  }

  /**
   * Shutdown, step 1: stop accepting. Connections that are idle now, or become idle after their
   * current response, are closed rather than left to the client's keep-alive.
   */
  stopAccepting(): void {
    if (this.closed) return;
    this.stopping = true;
    this.closed = new Promise<void>((resolve) => this.server.close(() => resolve()));
    for (const conn of this.connections) conn.shutdown();
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
    for (const conn of this.connections) conn.socket.destroy();
    await this.closed;
    clearInterval(this.sweeper);
  }

  /** HTTP requests in flight through this entry point. */
  get inFlight(): number {
    return this.active;
  }

  // ── ConnectionOwner ─────────────────────────────────────────────────────

  request(d: Downstream, conn: ClientConnection): void {
    this.active++;
    const head = d.head;
    if (!head.hasHost && head.httpVersion === '1.1') {
      // RFC 9112 §3.2: a server must answer 400 to an HTTP/1.1 request without Host.
      this.answer(d, conn.info.clientIp, 400, 'Bad Request: missing Host header');
      return;
    }
    const info = this.forwardInfo(conn, head);
    let route;
    try {
      route = this.findRoute(head, info);
    } catch (err) {
      // A request target that is not a URL (absolute-form garbage) cannot be routed.
      this.log.debug({ err }, 'unroutable request');
      this.answer(d, info.clientIp, 400, 'Bad Request');
      return;
    }
    if (!route) {
      this.answer(d, info.clientIp, 404, '404 page not found');
      return;
    }
    if (this.accessLog) d.note = { clientIp: info.clientIp, router: route.name, service: route.service.name, serverUrl: '', attempts: 0 };
    // The forwarder's close callback ends the request here too (one callback, not two).
    this.forwarders.http.web(d, route.service, info, this.requestEnded);
  }

  upgrade(head: RequestHead, socket: Socket, rest: Buffer, conn: ClientConnection): void {
    const info = this.forwardInfo(conn, head);
    let route;
    try {
      route = this.findRoute(head, info);
    } catch {
      route = undefined;
    }
    if (!route) {
      rejectUpgrade(socket, 404, '404 page not found');
      return;
    }
    this.forwarders.ws.upgrade(head, socket, rest, route.service, info);
  }

  connectionClosed(conn: ClientConnection): void {
    this.connections.delete(conn);
  }

  // ── internals ───────────────────────────────────────────────────────────

  private accept(socket: Socket): void {
    if (this.stopping) {
      socket.destroy();
      return;
    }
    const conn = new ClientConnection(socket, this, 0);
    conn.info = this.connectionInfo(socket);
    this.connections.add(conn);
  }

  private sweep(): void {
    const now = Date.now();
    for (const conn of this.connections) conn.expire(now, this.limits);
  }

  /** Peer, trust and port are the same for every request of a connection: worked out once. */
  private connectionInfo(socket: Socket): ForwardInfo {
    const peer = normalizeIp(socket.remoteAddress);
    return { peer, clientIp: peer, trusted: this.isTrusted(peer), proto: 'http', port: socket.localPort ?? 0 };
  }

  /** An untrusted peer's requests share its connection's info; a trusted peer names the client per request. */
  private forwardInfo(conn: ClientConnection, head: RequestHead): ForwardInfo {
    const info = conn.info;
    if (!info.trusted) return info;
    return { ...info, clientIp: clientIpOf(info.peer, head.headers['x-forwarded-for'], this.isTrusted) };
  }

  /** Our own answer (400, 404) to a request no service gets. */
  private answer(d: Downstream, clientIp: string, status: number, body: string): void {
    if (this.accessLog) d.note = { clientIp, router: '', service: '', serverUrl: '', attempts: 0 };
    d.onClose = this.requestEnded;
    respond(d, status, body);
  }

  /** The one place a request of this entry point ends (called once per request, when its response closes). */
  private readonly requestEnded = (d: Downstream): void => {
    this.accessLog?.record(d);
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
  private findRoute(head: RequestHead, info: ForwardInfo): Route | undefined {
    return this.runtime.table.entryPoints.get(this.name)?.match(toMatchRequest(head, info.clientIp));
  }
}
