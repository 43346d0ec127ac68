import { fileURLToPath } from 'node:url';
import type { AddressInfo } from 'node:net';
import type { Logger } from 'pino';
import { createProviders } from '../providers/create-providers.js';
import type { Provider } from '../providers/provider.js';
import { ApiServer } from './api/api-server.js';
import { localStats, type LiveStats } from './api/live-stats.js';
import type { BalancerOptions } from './balancer/types.js';
import { workerCount } from './cluster/worker-count.js';
import { WorkerPool } from './cluster/worker-pool.js';
import { formatConfigError, type ValidatedConfig } from './config/dynamic-config.js';
import type { StaticConfig } from './config/static-config.js';
import { ConfigWatcher } from './config/watcher.js';
import { DataPlane } from './data-plane.js';
import { HealthChecker } from './health/health-checker.js';
import { Runtime } from './runtime/runtime.js';
import { upstreamOptionsOf } from './runtime/upstream-pool.js';
import type { HealthVerdict, ServerState } from './runtime/server-state.js';

export interface SwitchyardOptions {
  log: Logger;
  /** Extra providers (tests, embedders), besides those the static config names. */
  providers?: Provider[];
  balancer?: BalancerOptions;
  /**
   * The compiled worker entry, for `workers` > 1. Defaults to the one next to this module,
   * which is right when running from dist/ (tests running the sources point it at dist/).
   */
  workerEntry?: string;
}

/**
 * Wires the data flow: providers → config watcher → runtime (RoutingTable swaps) →
 * entry points → forwarder → backends. With `workers` > 1 this process keeps the providers,
 * the health checks and the API, and the entry points run in worker processes (src/cluster/),
 * each with its own runtime fed by config patches and health verdicts from here.
 */
export class Switchyard {
  /** This process's runtime: it serves traffic (1 process) or drives health checks and the API (workers). */
  readonly runtime: Runtime;
  /** The entry points and forwarders, when this process serves traffic itself. */
  readonly dataPlane: DataPlane | undefined;
  /** The worker processes, when `workers` > 1. */
  readonly workers: WorkerPool | undefined;
  private providers: Provider[] = [];
  private readonly extraProviders: Provider[];
  private readonly watcher: ConfigWatcher;
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
    const count = workerCount(config.workers);
    this.runtime = new Runtime(
      names,
      upstreamOptionsOf(transport),
      this.log.child({ component: 'servers' }),
      options.balancer,
      // The primary of workers serves no request: its servers' states exist for the health
      // checks and for ejections it ships to every worker, so it acquires them at build time.
      count > 1,
    );
    if (count > 1) {
      const registry = this.runtime.registry;
      this.workers = new WorkerPool({
        count,
        config,
        exec: options.workerEntry ?? fileURLToPath(new URL('./cluster/worker-main.js', import.meta.url)),
        log: this.log.child({ component: 'workers' }),
        healthSnapshot: () => registry.states().filter((s) => s.lastCheck !== undefined || s.ejectedUntil > 0).map(verdictOf),
        onEjected: (key, until, reason) => registry.applyRemoteEjection(key, until, reason),
      });
      registry.onVerdictChange = (state) => this.workers?.shipHealth([verdictOf(state)]);
    } else {
      this.dataPlane = new DataPlane(config, this.runtime, this.log);
    }
    this.health = new HealthChecker(this.runtime.registry, this.log.child({ component: 'health' }));
    this.watcher = new ConfigWatcher({
      entryPoints: names,
      debounceMs: config.providers.debounce,
      onConfig: (c) => this.apply(c),
    });
    this.extraProviders = options.providers ?? [];
  }

  /** Starts providers, builds the first table, then opens the listeners. */
  async start(): Promise<void> {
    this.providers = [...(await createProviders(this.config)), ...this.extraProviders];
    await Promise.all(this.providers.map((p) => p.start((s) => this.watcher.update(s), this.log)));
    await this.watcher.flush();
    await this.health.firstRound();
    if (this.workers) {
      await this.workers.start(this.runtime.table.source.config, this.runtime.table.version);
      this.log.info({ workers: workerCount(this.config.workers), entryPoints: Object.keys(this.config.entryPoints) }, 'workers listening');
    } else {
      await this.dataPlane!.listen();
    }
    if (this.config.api) {
      this.api = new ApiServer(this.config.api.address, this.runtime, this.log.child({ component: 'api' }), () => this.liveStats());
      this.apiAddress = await this.api.listen();
      this.log.info({ address: `${this.apiAddress.address}:${this.apiAddress.port}` }, 'admin API listening');
    }
  }

  /** Graceful stop: /ping turns 503, listeners stop accepting, in-flight requests finish. */
  stop(): Promise<void> {
    this.stopping ??= this.doStop();
    return this.stopping;
  }

  address(entryPoint: string): { address: string; port: number } {
    return this.workers ? this.workers.address(entryPoint) : this.dataPlane!.address(entryPoint);
  }

  /** What traffic did to each server: this process's counts, or every worker's added up. */
  liveStats(): Promise<LiveStats> {
    return this.workers ? this.workers.collectStats() : Promise.resolve(localStats(this.runtime.table, this.runtime.registry.states()));
  }

  /** Log files are opened again, in this process or every worker (SIGUSR1, after logrotate). */
  reopenLogs(): void {
    if (this.workers) this.workers.reopenLogs();
    else this.dataPlane!.reopenLogs();
  }

  /** The newest config version that serves traffic (in every worker, with workers). */
  get servingVersion(): number {
    return this.workers ? this.workers.appliedVersion : this.runtime.table.version;
  }

  get apiPort(): number | undefined {
    return this.apiAddress?.port;
  }

  /** The config watcher's latest result (what /api/rawdata shows). */
  get currentConfig(): ValidatedConfig | undefined {
    return this.watcher.current;
  }

  private async apply(config: ValidatedConfig): Promise<void> {
    for (const e of config.errors) this.log.error({ provider: e.provider, item: e.item, field: e.field, origin: e.origin }, formatConfigError(e));
    const result = await this.runtime.apply(config);
    if (result.status === 'superseded') return; // a newer config is being built
    const { table, buildMs } = result;
    this.health.sync(table);
    this.workers?.shipConfig(config.config, table.version);
    this.log.info(
      {
        version: table.version,
        routers: config.config.http.routers.size,
        services: table.services.size,
        errors: config.errors.length,
        buildMs: Math.round(buildMs * 100) / 100,
      },
      'configuration applied',
    );
  }

  private async doStop(): Promise<void> {
    this.api?.markStopping();
    this.workers?.markStopping();
    this.watcher.stop();
    this.health.stop();
    await Promise.all(this.providers.map((p) => p.stop()));
    await (this.workers ? this.workers.stop() : this.dataPlane!.stop());
    await this.api?.close();
    this.runtime.close();
    this.runtime.registry.destroy();
  }
}

function verdictOf(state: ServerState): HealthVerdict {
  return { key: state.key, health: state.health, lastCheck: state.lastCheck, ejectedUntil: state.ejectedUntil };
}
