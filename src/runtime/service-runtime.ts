import type { StickyCookie } from '../balancer/sticky-cookie.js';
import { strategies } from '../balancer/strategies.js';
import type { BalancerOptions, BalancerServer, StrategyName } from '../balancer/types.js';
import type { HealthCheckConfig, PassiveHealthCheckConfig, ServiceConfig } from '../config/dynamic-config.js';
import type { ServerRegistry } from './server-registry.js';
import { inPanic, ServicePool, type PanicListener } from './service-pool.js';

/** What every service of one table build makes its pool with: one object per build, not three fields per service. */
export interface PoolMaker {
  readonly registry: ServerRegistry;
  readonly balancer: BalancerOptions | undefined;
  readonly onPanic: PanicListener | undefined;
}

/**
 * One service as requests see it; immutable but for its pool, which is made by the first
 * request that needs it. Most services of a large table take no request between two reloads,
 * and a pool with its registry-held PoolState is ~220 B of the ~2 KB a 10,000-service first load
 * keeps per service (every byte kept is copied by the young-generation GC on the way to the old).
 * Per-service settings are read through from the validated config rather than copied.
 *
 * A brand-new service may get its servers lazily too (`servers` undefined): their states are
 * acquired from the registry by the first reader — the first request, the admin API, or the
 * next build when it must know which servers stay. Until then the registry holds nothing for
 * them, which is what the eager path would hold for a new unchecked server anyway: a state
 * that is up, idle and not ejected. The build decides which services may wait (build-table.ts).
 */
export class ServiceRuntime {
  private made: ServicePool | undefined;
  private list: readonly BalancerServer[] | undefined;

  constructor(
    readonly name: string,
    /** The validated service this runtime was built from. */
    readonly config: ServiceConfig,
    /** The servers with their states, or undefined: acquired on first read. */
    servers: readonly BalancerServer[] | undefined,
    readonly sticky: StickyCookie | undefined,
    private readonly maker: PoolMaker,
  ) {
    this.list = servers;
  }

  /** The servers, each with its state from the registry (acquired now if this is the first read). */
  get servers(): readonly BalancerServer[] {
    return (this.list ??= serversOf(this.name, this.config, this.maker.registry));
  }

  /** The servers if their states were acquired, else undefined (nothing of them is in the registry). */
  get acquiredServers(): readonly BalancerServer[] | undefined {
    return this.list;
  }

  /** Health-aware balancing over the servers (made on first use). */
  get pool(): ServicePool {
    return (this.made ??= this.makePool());
  }

  /**
   * Whether the pool balances over every server because too few are available, as of now. A
   * service no request has used yet answers without making its pool (the admin API asks of each).
   */
  get panic(): boolean {
    if (this.made) return this.made.panic;
    // Servers not acquired yet would be new, unchecked ones (build-table.ts): all available.
    return this.list ? inPanic(this.list, this.config.loadBalancer) : false;
  }

  get strategy(): StrategyName {
    return this.config.loadBalancer.strategy;
  }

  get passHostHeader(): boolean {
    return this.config.loadBalancer.passHostHeader;
  }

  get healthCheck(): HealthCheckConfig | undefined {
    return this.config.loadBalancer.healthCheck;
  }

  get passiveHealthCheck(): PassiveHealthCheckConfig | undefined {
    return this.config.loadBalancer.passiveHealthCheck;
  }

  get retries(): number {
    return this.config.loadBalancer.retries;
  }

  get retryBodyLimit(): number {
    return this.config.loadBalancer.retryBodyLimit;
  }

  private makePool(): ServicePool {
    const lb = this.config.loadBalancer;
    const { registry, balancer, onPanic } = this.maker;
    // The pool policy (slowStart, panicThreshold) is the immutable validated config: no copy.
    return new ServicePool(this.servers, strategies[lb.strategy], registry.pool(this.name), lb, balancer, this.name, onPanic);
  }
}

/**
 * The servers of `config` with their states (same object for the same service + URL, revived
 * if draining). Sized up front rather than map()ped: V8 makes map()'s list in the young
 * generation, and a list every service keeps is then copied twice by the GC (bench/RESULTS.md,
 * "First load: items as providers hand them over, and the usual item without zod").
 */
export function serversOf(name: string, config: ServiceConfig, registry: ServerRegistry): BalancerServer[] {
  const lb = config.loadBalancer;
  const checked = lb.healthCheck !== undefined;
  const servers = new Array<BalancerServer>(lb.servers.length);
  for (let i = 0; i < servers.length; i++) {
    const s = lb.servers[i]!;
    servers[i] = { url: s.url, weight: s.weight, state: registry.acquire(name, s.url, checked) };
  }
  return servers;
}
