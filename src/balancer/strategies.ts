import { ipHashBalancer } from './ip-hash.js';
import { leastConnBalancer } from './least-conn.js';
import { p2cBalancer } from './p2c.js';
import { randomBalancer } from './random.js';
import { roundRobinBalancer } from './round-robin.js';
import type { BalancerFactory, StrategyName } from './types.js';

export const strategies: Readonly<Record<StrategyName, BalancerFactory>> = {
  roundRobin: roundRobinBalancer,
  leastConn: leastConnBalancer,
  ipHash: ipHashBalancer,
  random: randomBalancer,
  p2c: p2cBalancer,
};

export const strategyNames: readonly StrategyName[] = Object.keys(strategies) as StrategyName[];

const byLowerName = new Map<string, StrategyName>([
  ...strategyNames.map((n): [string, StrategyName] => [n.toLowerCase(), n]),
  ['wrr', 'roundRobin'],
  ['hrw', 'ipHash'],
]);

/** Case-insensitive strategy name, plus Traefik's aliases `wrr` and `hrw`. */
export function resolveStrategyName(name: string): StrategyName | undefined {
  return byLowerName.get(name.trim().toLowerCase());
}
