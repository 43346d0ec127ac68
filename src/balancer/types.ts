import type { PoolState, ServerState } from '../runtime/server-state.js';

/** One server as a balancing strategy sees it: built once per RoutingTable, immutable. */
export interface BalancerServer {
  readonly url: string;
  /** >= 0; 0 = takes no new (non-sticky) requests. */
  readonly weight: number;
  /** Mutable long-lived state from the registry (in-flight count, round-robin weight). */
  readonly state: ServerState;
}

/** What a strategy may look at for one request. */
export interface PickContext {
  /** Real client IP (socket peer, or first untrusted X-Forwarded-For hop from a trusted peer). */
  readonly clientIp: string;
}

/**
 * A strategy instance for one pool. `pick` returns undefined only when no server can take
 * a new request (empty pool, every weight 0). Strategies never do I/O.
 */
export interface Balancer {
  pick(ctx: PickContext): BalancerServer | undefined;
}

export interface BalancerOptions {
  /** Random source in [0, 1); injectable so tests are deterministic. Default Math.random. */
  random?: () => number;
}

export type StrategyName = 'roundRobin' | 'leastConn' | 'ipHash' | 'random' | 'p2c';

export type BalancerFactory = (
  servers: readonly BalancerServer[],
  pool: PoolState,
  options?: BalancerOptions,
) => Balancer;

/** A server may take new requests when its weight is positive and it is not draining. */
export function isEligible(server: BalancerServer): boolean {
  return server.weight > 0 && !server.state.draining;
}
