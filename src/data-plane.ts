import type { AddressInfo, Socket } from 'node:net';
import type { Logger } from 'pino';
import { AccessLog } from './access-log/access-log.js';
import type { StaticConfig } from './config/static-config.js';
import { EntryPoint } from './entrypoints/entrypoint.js';
import { HttpForwarder } from './proxy/http-forwarder.js';
import { WebSocketForwarder } from './proxy/websocket-forwarder.js';
import type { Runtime } from './runtime/runtime.js';

/** How long WebSocket peers get to answer our close frame at shutdown. */
const WS_CLOSE_WAIT_MS = 1_000;

/**
 * What serves traffic: the entry points and the forwarders over one Runtime. The whole of it
 * runs in the single process, or in each worker process (src/cluster/); it never sees providers
 * or health checks, only the tables the runtime is given.
 */
export class DataPlane {
  readonly entryPoints = new Map<string, EntryPoint>();
  private readonly http: HttpForwarder;
  private readonly ws: WebSocketForwarder;
  private readonly accessLog: AccessLog | undefined;

  constructor(
    private readonly config: StaticConfig,
    readonly runtime: Runtime,
    private readonly log: Logger,
  ) {
    const forwarding = {
      registry: runtime.registry,
      timeouts: config.serversTransport.forwardingTimeouts,
      log: log.child({ component: 'proxy' }),
    };
    this.http = new HttpForwarder(forwarding);
    this.ws = new WebSocketForwarder(forwarding);
    this.accessLog = config.accessLog ? new AccessLog(config.accessLog, log.child({ component: 'accessLog' })) : undefined;
    for (const [name, ep] of Object.entries(config.entryPoints)) {
      this.entryPoints.set(name, new EntryPoint(name, ep, runtime, { http: this.http, ws: this.ws }, log.child({ entryPoint: name }), this.accessLog));
    }
  }

  /** Binds every entry point, in config order (one process; with workers the primary binds them: serveHanded). */
  async listen(): Promise<void> {
    this.accessLog?.open();
    for (const ep of this.entryPoints.values()) {
      const addr = await ep.listen();
      this.log.info({ entryPoint: ep.name, address: `${addr.address}:${addr.port}` }, 'entry point listening');
    }
  }

  /**
   * A worker's start: the primary owns the listeners and hands connections over (`adopt`), so
   * there is nothing to bind; only the access log opens.
   */
  serveHanded(): void {
    this.accessLog?.open();
  }

  /** A connection the primary accepted for `entryPoint` (a worker's; see src/cluster/). */
  adopt(entryPoint: string, socket: Socket): void {
    const ep = this.entryPoints.get(entryPoint);
    if (ep) ep.adopt(socket);
    else socket.destroy();
  }

  /** The access log opens its file again (logrotate moved it). */
  reopenLogs(): void {
    this.accessLog?.reopen();
  }

  address(entryPoint: string): AddressInfo {
    const ep = this.entryPoints.get(entryPoint);
    if (!ep) throw new Error(`no entry point ${entryPoint}`);
    return ep.address();
  }

  /** Graceful stop: drain, then finish. */
  async stop(): Promise<void> {
    await this.drain();
    await this.finish();
  }

  /** Stop step 1: stop accepting; let HTTP in flight finish (each entry point's graceTimeout). */
  async drain(): Promise<void> {
    const eps = [...this.entryPoints.values()];
    for (const ep of eps) ep.stopAccepting();
    const started = Date.now();
    await Promise.all(eps.map((ep) => ep.drained(started + this.config.entryPoints[ep.name]!.transport.lifeCycle.graceTimeout)));
  }

  /** Stop step 2, once HTTP is done (or out of time): WebSockets get 1001, whatever is left is cut. */
  async finish(): Promise<void> {
    const eps = [...this.entryPoints.values()];
    await this.ws.closeAll(WS_CLOSE_WAIT_MS);
    await Promise.all(eps.map((ep) => ep.destroy()));
    // The HTTP forwarder holds nothing: the registry owns (and destroys) the connection pools.
    this.ws.close();
    await this.accessLog?.close();
  }
}
