import type { Balancer, BalancerFactory, BalancerOptions, BalancerServer, PickContext } from '../balancer/types.js';
import { isEligible } from '../balancer/types.js';
import type { PoolState, ServerState } from './server-state.js';

export interface PoolPolicy {
  /** ms over which a server that came up ramps from 10% to its full weight; 0 = off. */
  slowStart: number;
  /** Percent; below this share of available servers, balance over all of them. 0 = off. */
  panicThreshold: number;
}

/** Told when a pool enters or leaves panic mode. */
export type PanicListener = (service: string, panic: boolean, available: number, total: number) => void;

/** Every pool's view until its first pick: one shared empty list, not one per pool. */
const NO_VIEW: readonly BalancerServer[] = Object.freeze([]);

/** Envoy's floor: a ramping server starts at 10% of its weight, never at nothing. */
const SLOW_START_FLOOR = 0.1;
/** While a server ramps, its effective weight is recomputed at most this often. */
const RAMP_STEP_MS = 100;

/** Too few of the usable servers are available: balance over all of them (Envoy's panic threshold, in percent). */
function panicAt(available: number, usable: number, threshold: number): boolean {
  return threshold > 0 && usable > 0 && available * 100 < threshold * usable;
}

/** Whether a pool over `servers` would be in panic now, without building one (no listener is told). */
export function inPanic(servers: readonly BalancerServer[], policy: PoolPolicy): boolean {
  if (policy.panicThreshold <= 0) return false;
  let usable = 0;
  let available = 0;
  for (const s of servers) {
    if (!isEligible(s)) continue;
    usable++;
    if (s.state.available) available++;
  }
  return panicAt(available, usable, policy.panicThreshold);
}

/**
 * The servers of one service as balancing sees them right now: only available ones (unless
 * in panic), with slow-start weights. The strategy is rebuilt over that view whenever the
 * pool's health version moves, or every RAMP_STEP_MS while someone ramps — not per request.
 */
export class ServicePool {
  private balancer: Balancer | undefined;
  private builtVersion = -1;
  private builtAt = 0;
  private rampUntil = 0;
  private view: readonly BalancerServer[] = NO_VIEW;

  // The service's name and a listener shared by every pool of a build, rather than a closure
  // per pool: a 10,000-service table kept 10,000 closures and their contexts (~120 B each).
  constructor(
    readonly servers: readonly BalancerServer[],
    private readonly factory: BalancerFactory,
    private readonly state: PoolState,
    private readonly policy: PoolPolicy,
    private readonly options: BalancerOptions | undefined,
    private readonly service: string,
    private readonly onPanicChange: PanicListener | undefined,
    private readonly now: () => number = Date.now,
  ) {}

  /**
   * Whether the pool balances over all servers because too few are available — as of now,
   * not as of the last pick (a process that took no request since a change still answers right).
   */
  get panic(): boolean {
    this.refresh();
    return this.state.panic;
  }

  /** A server for a new request, or undefined when none can take one (→ 503). */
  pick(ctx: PickContext): BalancerServer | undefined {
    this.refresh();
    return this.balancer!.pick(ctx);
  }

  /** A server not in `tried` (retries go elsewhere); undefined when every usable one was tried. */
  pickExcluding(ctx: PickContext, tried: ReadonlySet<ServerState>): BalancerServer | undefined {
    this.refresh();
    // The strategy's choice first (it may be random or rotate); then any untried usable server.
    for (let i = 0; i < 3; i++) {
      const s = this.balancer!.pick(ctx);
      if (s === undefined) return undefined;
      if (!tried.has(s.state)) return s;
    }
    return this.view.find((s) => isEligible(s) && !tried.has(s.state));
  }

  private refresh(): void {
    const now = this.now();
    // rampUntil > 0 means someone was still ramping at the last build: step again (the
    // build that finds everyone at full weight sets it back to 0).
    if (this.builtVersion === this.state.version && !(this.rampUntil > 0 && now - this.builtAt >= RAMP_STEP_MS)) return;
    this.builtVersion = this.state.version;
    this.builtAt = now;
    const usable = this.servers.filter(isEligible);
    const available = usable.filter((s) => s.state.available);
    const panic = panicAt(available.length, usable.length, this.policy.panicThreshold);
    if (panic !== this.state.panic) {
      this.state.panic = panic;
      this.onPanicChange?.(this.service, panic, available.length, usable.length);
    }
    const chosen = panic ? usable : available;
    this.rampUntil = 0;
    this.view = chosen.map((s) => this.rampWeight(s, now));
    this.balancer = this.factory(this.view, this.state, this.options);
  }

  private rampWeight(s: BalancerServer, now: number): BalancerServer {
    const window = this.policy.slowStart;
    const since = s.state.availableSince;
    if (window <= 0 || since === 0 || now - since >= window) return s;
    this.rampUntil = Math.max(this.rampUntil, since + window);
    const share = Math.max(SLOW_START_FLOOR, (now - since) / window);
    return { url: s.url, weight: s.weight * share, state: s.state };
  }
}
