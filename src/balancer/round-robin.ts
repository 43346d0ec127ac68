import { isEligible, type Balancer, type BalancerFactory, type BalancerServer, type PickContext } from './types.js';

/**
 * Smooth weighted round robin (nginx): each pick adds every server's weight to its
 * `state.rrCurrent`, takes the largest (first on ties) and subtracts the total from it.
 * Weights 3:1 give a,a,b,a. The position lives in ServerState, so a rebuild with the same
 * states continues the sequence.
 */
export const roundRobinBalancer: BalancerFactory = (servers) => {
  const list: BalancerServer[] = [];
  let total = 0;
  for (const s of servers) {
    if (isEligible(s)) {
      list.push(s);
      total += s.weight;
    } else {
      s.state.rrCurrent = 0;
    }
  }
  normalize(list, total);
  const n = list.length;
  return {
    pick(_ctx: PickContext): BalancerServer | undefined {
      if (n === 0) return undefined;
      if (n === 1) return list[0]!.state.draining ? undefined : list[0];
      let best: BalancerServer | undefined;
      let bestCurrent = -Infinity;
      let sum = 0;
      for (let i = 0; i < n; i++) {
        const s = list[i]!;
        if (s.state.draining) continue;
        const current = s.state.rrCurrent + s.weight;
        s.state.rrCurrent = current;
        sum += s.weight;
        if (current > bestCurrent) {
          bestCurrent = current;
          best = s;
        }
      }
      if (best !== undefined) best.state.rrCurrent -= sum;
      return best;
    },
  } satisfies Balancer;
};

/**
 * From a zeroed start the algorithm keeps sum(rrCurrent) == 0 and every rrCurrent > -total
 * (hence < (n - 1) * total). A rebuild with the same servers and weights satisfies both and
 * the sequence continues where it was. If the membership changed (sum off) or the weights
 * changed so much that the old values would give one server a long burst, restart from zero.
 */
function normalize(list: readonly BalancerServer[], total: number): void {
  const upper = (list.length - 1) * total;
  let sum = 0;
  let valid = true;
  for (const s of list) {
    const c = s.state.rrCurrent;
    if (!Number.isFinite(c) || c <= -total || c >= upper) valid = false;
    sum += c;
  }
  if (valid && Math.abs(sum) <= total * 1e-9) return;
  for (const s of list) s.state.rrCurrent = 0;
}
