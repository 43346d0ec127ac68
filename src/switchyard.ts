import type { AddressInfo } from 'node:net';
import type { Logger } from 'pino';
import { createProviders } from '../providers/create-providers.js';
import type { Provider } from '../providers/provider.js';
import { ApiServer } from './api/api-server.js';
import type { BalancerOptions } from './balancer/types.js';
import { formatConfigError, type ValidatedConfig } from './config/dynamic-config.js';
import type { StaticConfig } from './config/static-config.js';
import { ConfigWatcher } from './config/watcher.js';
import { EntryPoint } from './entrypoints/entrypoint.js';
import { HealthChecker } from './health/health-checker.js';
import { HttpForwarder } from './proxy/http-forwarder.js';
import { WebSocketForwarder } from './proxy/websocket-forwarder.js';
import { Runtime } from './runtime/runtime.js';

export interface SwitchyardOptions {
  log: Logger;
  /** Extra providers (tests, embedders), besides those the static config names. */
  providers?: Provider[];
  balancer?: BalancerOptions;
}

/**
 * Wires the data flow: providers → config watcher → runtime (RoutingTable swaps) →
 * entry points → forwarder → backends.
 */
export class Switchyard {
  readonly runtime: Runtime;
  readonly entryPoints = new Map<string, EntryPoint>();
  private readonly providers: Provider[];
  private readonly watcher: ConfigWatcher;
  private readonly http: HttpForwarder;
  private readonly ws: WebSocketForwarder;
  private readonly health: HealthChecker;
  private readonly log: Logger;
  private api: ApiServer | undefined;
  private apiAddress: AddressInfo | undefined;
  private stopping: Promise<void> | undefined;

  constructor(
    readonly config: StaticConfig,
    options: SwitchyardOptions,
  ) {
    this.log = options.log;
    const names = Object.keys(config.entryPoints);
    const transport = config.serversTransport;
    this.runtime = new Runtime(
      names,
      { maxIdleSockets: transport.maxIdleConnsPerHost, idleTimeout: transport.forwardingTimeouts.idleConnTimeout },
      this.log.child({ component: 'servers' }),
      options.balancer,
    );
    const proxyLog = this.log.child({ component: 'proxy' });
    const forwarding = { registry: this.runtime.registry, timeouts: transport.forwardingTimeouts, log: proxyLog };
    this.http = new HttpForwarder(forwarding);
    this.ws = new WebSocketForwarder(forwarding);
    this.health = new HealthChecker(this.runtime.registry, this.log.child({ component: 'health' }));
    for (const [name, ep] of Object.entries(config.entryPoints)) {
      this.entryPoints.set(name, new EntryPoint(name, ep, this.runtime, { http: this.http, ws: this.ws }, this.log.child({ entryPoint: name })));
    }
    this.watcher = new ConfigWatcher({
      entryPoints: names,
      debounceMs: config.providers.debounce,
      onConfig: (c) => this.apply(c),
    });
    this.providers = [...createProviders(config), ...(options.providers ?? [])];
  }

  /** Starts providers, builds the first table, then opens the listeners. */
  async start(): Promise<void> {
    await Promise.all(this.providers.map((p) => p.start((s) => this.watcher.update(s), this.log)));
    this.watcher.flush();
    await this.health.firstRound();
    for (const ep of this.entryPoints.values()) {
      const addr = await ep.listen();
      this.log.info({ entryPoint: ep.name, address: `${addr.address}:${addr.port}` }, 'entry point listening');
    }
    if (this.config.api) {
      this.api = new ApiServer(this.config.api.address, this.runtime, this.log.child({ component: 'api' }));
      this.apiAddress = await this.api.listen();
      this.log.info({ address: `${this.apiAddress.address}:${this.apiAddress.port}` }, 'admin API listening');
    }
  }

  /** Graceful stop: /ping turns 503, listeners stop accepting, in-flight requests finish. */
  stop(): Promise<void> {
    this.stopping ??= this.doStop();
    return this.stopping;
  }

  address(entryPoint: string): AddressInfo {
    const ep = this.entryPoints.get(entryPoint);
    if (!ep) throw new Error(`no entry point ${entryPoint}`);
    return ep.address();
  }

  get apiPort(): number | undefined {
    return this.apiAddress?.port;
  }

  /** The config watcher's latest result (what /api/rawdata shows). */
  get currentConfig(): ValidatedConfig | undefined {
    return this.watcher.current;
  }

  private apply(config: ValidatedConfig): void {
    for (const e of config.errors) this.log.error({ provider: e.provider, item: e.item, field: e.field, origin: e.origin }, formatConfigError(e));
    const { table, buildMs } = this.runtime.apply(config);
    this.health.sync(table);
    this.log.info(
      {
        version: table.version,
        routers: Object.keys(config.config.http.routers).length,
        services: table.services.size,
        errors: config.errors.length,
        buildMs: Math.round(buildMs * 100) / 100,
      },
      'configuration applied',
    );
  }

  private async doStop(): Promise<void> {
    this.api?.markStopping();
    this.watcher.stop();
    this.health.stop();
    await Promise.all(this.providers.map((p) => p.stop()));
    const eps = [...this.entryPoints.values()];
    for (const ep of eps) ep.stopAccepting();
    const started = Date.now();
    await Promise.all(eps.map((ep) => ep.drained(started + this.config.entryPoints[ep.name]!.transport.lifeCycle.graceTimeout)));
    // HTTP is done (or out of time): now tell WebSocket peers we are going away.
    await this.ws.closeAll(WS_CLOSE_WAIT_MS);
    await Promise.all(eps.map((ep) => ep.destroy()));
    await this.api?.close();
    this.http.close();
    this.ws.close();
    this.runtime.registry.destroy();
  }
}

/** How long WebSocket peers get to answer our close frame at shutdown. */
const WS_CLOSE_WAIT_MS = 1_000;
