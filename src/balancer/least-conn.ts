import type { Balancer, BalancerFactory, BalancerServer, PickContext } from './types.js';
import { WeightedTable, lessLoaded } from './weighted.js';

/** Golden-ratio step for the low-discrepancy tie-break sequence with fractional weights. */
const PHI_FRACTION = 0.6180339887498949;
const CURSOR_WRAP = 2 ** 30;

/**
 * Least connections: fewest inFlight / weight. The scan starts at a rotating position taken
 * from `pool.cursor`, mapped onto weight slots (server i owns weight_i consecutive slots), so
 * ties are broken in turn and, when everything is idle, in proportion to weight.
 */
export const leastConnBalancer: BalancerFactory = (servers, pool) => {
  const table = new WeightedTable(servers);
  const list = table.servers;
  const n = list.length;
  const total = table.total;
  const integral = table.integral;
  return {
    pick(_ctx: PickContext): BalancerServer | undefined {
      if (n === 0) return undefined;
      if (n === 1) return list[0]!.state.draining ? undefined : list[0];
      const c = pool.cursor;
      pool.cursor = c + 1 >= CURSOR_WRAP ? 0 : c + 1;
      const slot = integral ? c % total : ((c * PHI_FRACTION) % 1) * total;
      const start = table.indexAt(slot);
      let best: BalancerServer | undefined;
      for (let k = 0; k < n; k++) {
        let i = start + k;
        if (i >= n) i -= n;
        const s = list[i]!;
        if (s.state.draining) continue;
        if (best === undefined || lessLoaded(s, best)) best = s;
      }
      return best;
    },
  } satisfies Balancer;
};
