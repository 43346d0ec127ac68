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
 */
export class ServiceRuntime {
  private made: ServicePool | undefined;

  constructor(
    readonly name: string,
    /** The validated service this runtime was built from. */
    readonly config: ServiceConfig,
    readonly servers: readonly BalancerServer[],
    readonly sticky: StickyCookie | undefined,
    private readonly maker: PoolMaker,
  ) {}

  /** Health-aware balancing over the servers (made on first use). */
  get pool(): ServicePool {
    return (this.made ??= this.makePool());
  }

  /**
   * Whether the pool balances over every server because too few are available, as of now. A
   * service no request has used yet answers without making its pool (the admin API asks of each).
   */
  get panic(): boolean {
    return this.made ? this.made.panic : inPanic(this.servers, this.config.loadBalancer);
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
