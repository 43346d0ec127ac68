import type { Balancer, BalancerFactory, BalancerServer, PickContext } from './types.js';
import { WeightedTable } from './weighted.js';

/** Weighted random: cumulative weights + binary search, O(log n) per pick. */
export const randomBalancer: BalancerFactory = (servers, _pool, options) => {
  const table = new WeightedTable(servers);
  const rand = options?.random ?? Math.random;
  const list = table.servers;
  return {
    pick(_ctx: PickContext): BalancerServer | undefined {
      if (list.length === 0) return undefined;
      let i = list.length === 1 ? 0 : table.draw(rand());
      if (list[i]!.state.draining) {
        i = table.drawLive(rand(), -1);
        if (i < 0) return undefined;
      }
      return list[i];
    },
  } satisfies Balancer;
};
