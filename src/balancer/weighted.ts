import { isEligible, type BalancerServer } from './types.js';

/**
 * Eligible servers of a pool with their cumulative weights, built once per balancer.
 * Internal helper shared by the random-draw strategies (random, p2c) and leastConn.
 */
export class WeightedTable {
  readonly servers: readonly BalancerServer[];
  /** cumulative[i] = sum of weights of servers[0..i]. */
  readonly cumulative: Float64Array;
  readonly total: number;
  /** True when every weight is an integer (exact slot arithmetic is possible). */
  readonly integral: boolean;

  constructor(all: readonly BalancerServer[]) {
    const servers = all.filter(isEligible);
    const cumulative = new Float64Array(servers.length);
    let total = 0;
    let integral = true;
    for (let i = 0; i < servers.length; i++) {
      const w = servers[i]!.weight;
      if (!Number.isInteger(w)) integral = false;
      total += w;
      cumulative[i] = total;
    }
    this.servers = servers;
    this.cumulative = cumulative;
    this.total = total;
    this.integral = integral;
  }

  /** Index of the server whose weight range holds x, for x in [0, total). Clamped. */
  indexAt(x: number): number {
    const cum = this.cumulative;
    let lo = 0;
    let hi = cum.length - 1;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (cum[mid]! > x) hi = mid;
      else lo = mid + 1;
    }
    return lo;
  }

  /** Weighted draw with r in [0, 1). */
  draw(r: number): number {
    return this.indexAt(r * this.total);
  }

  /** Weighted draw with r in [0, 1) among all servers but `skip`. Needs >= 2 servers. */
  drawExcluding(skip: number, r: number): number {
    const cum = this.cumulative;
    const w = this.servers[skip]!.weight;
    const before = cum[skip]! - w;
    let x = r * (this.total - w);
    if (x >= before) x = x - before + cum[skip]!;
    const i = this.indexAt(x);
    // Float rounding can land on `skip` at the very end of the range.
    return i !== skip ? i : skip === 0 ? 1 : skip - 1;
  }

  /**
   * Slow path when a drawn server started draining after construction: weighted draw among
   * servers still live, skipping index `skip` (-1 for none). O(n), no allocation. -1 if none.
   */
  drawLive(r: number, skip: number): number {
    const servers = this.servers;
    let sum = 0;
    for (let i = 0; i < servers.length; i++) {
      const s = servers[i]!;
      if (i !== skip && !s.state.draining) sum += s.weight;
    }
    if (sum <= 0) return -1;
    let x = r * sum;
    let last = -1;
    for (let i = 0; i < servers.length; i++) {
      const s = servers[i]!;
      if (i === skip || s.state.draining) continue;
      if (x < s.weight) return i;
      x -= s.weight;
      last = i;
    }
    return last;
  }
}

/** True when a carries strictly less load per weight than b (no division). */
export function lessLoaded(a: BalancerServer, b: BalancerServer): boolean {
  return a.state.inFlight * b.weight < b.state.inFlight * a.weight;
}
