import type { Balancer, BalancerFactory, BalancerServer, PickContext } from './types.js';
import { WeightedTable, lessLoaded } from './weighted.js';

/**
 * Power of two choices: draw two distinct eligible servers by weight; the one with the
 * lower inFlight / weight wins (ties: the first drawn).
 */
export const p2cBalancer: BalancerFactory = (servers, _pool, options) => {
  const table = new WeightedTable(servers);
  const rand = options?.random ?? Math.random;
  const list = table.servers;
  return {
    pick(_ctx: PickContext): BalancerServer | undefined {
      const n = list.length;
      if (n === 0) return undefined;
      if (n === 1) return list[0]!.state.draining ? undefined : list[0];
      let a = table.draw(rand());
      if (list[a]!.state.draining) {
        a = table.drawLive(rand(), -1);
        if (a < 0) return undefined;
      }
      let b = table.drawExcluding(a, rand());
      if (list[b]!.state.draining) {
        b = table.drawLive(rand(), a);
        if (b < 0) return list[a];
      }
      const first = list[a]!;
      const second = list[b]!;
      return lessLoaded(second, first) ? second : first;
    },
  } satisfies Balancer;
};
