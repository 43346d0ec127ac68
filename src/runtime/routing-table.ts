import type { BalancerServer, StrategyName } from '../balancer/types.js';
import type { StickyCookie } from '../balancer/sticky-cookie.js';
import type { HealthCheckConfig, PassiveHealthCheckConfig, ValidatedConfig } from '../config/dynamic-config.js';
import type { ServicePool } from './service-pool.js';
import type { MatchRequest, RuleMatcher } from '../rules/types.js';
import type { HostIndex } from './host-index.js';

/**
 * Everything a request needs, built once per config and never mutated afterwards
 * (ARCHITECTURE invariant 1). A request reads `runtime.table` once and keeps that reference.
 */
export interface RoutingTable {
  /** Increments with every swap; handy in logs and the API. */
  readonly version: number;
  readonly entryPoints: ReadonlyMap<string, RouterSet>;
  readonly services: ReadonlyMap<string, ServiceRuntime>;
  readonly source: ValidatedConfig;
}

export interface Route {
  readonly name: string;
  readonly priority: number;
  /** Position in priority order; lower = tried first. */
  readonly order: number;
  readonly matcher: RuleMatcher;
  readonly service: ServiceRuntime;
}

export interface ServiceRuntime {
  readonly name: string;
  readonly strategy: StrategyName;
  readonly servers: readonly BalancerServer[];
  /** Health-aware balancing over the servers. */
  readonly pool: ServicePool;
  readonly sticky: StickyCookie | undefined;
  readonly passHostHeader: boolean;
  readonly healthCheck: HealthCheckConfig | undefined;
  readonly passiveHealthCheck: PassiveHealthCheckConfig | undefined;
  readonly retries: number;
  readonly retryBodyLimit: number;
}

const matches = (route: Route, req: MatchRequest): boolean => route.matcher(req);

/** The routers of one entry point, with a host index in front of the priority-ordered scan. */
export class RouterSet {
  constructor(private readonly index: HostIndex<Route>) {}

  match(req: MatchRequest): Route | undefined {
    return this.index.find(req.host, matches, req);
  }

  get size(): number {
    return this.index.size;
  }
}
