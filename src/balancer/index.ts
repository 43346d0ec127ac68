export type {
  Balancer,
  BalancerFactory,
  BalancerOptions,
  BalancerServer,
  PickContext,
  StrategyName,
} from './types.js';
export { isEligible } from './types.js';
export { roundRobinBalancer } from './round-robin.js';
export { leastConnBalancer } from './least-conn.js';
export { ipHashBalancer } from './ip-hash.js';
export { randomBalancer } from './random.js';
export { p2cBalancer } from './p2c.js';
export { strategies, strategyNames, resolveStrategyName } from './strategies.js';
export { StickyCookie, type StickyCookieOptions } from './sticky-cookie.js';
