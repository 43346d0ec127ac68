import type { Logger } from 'pino';
import type { PassiveHealthCheckConfig } from '../config/dynamic-config.js';
import { createUpstream, type Upstream, type UpstreamOptions } from './upstream-pool.js';
import { newServerState, type CheckResult, type HealthVerdict, type PoolState, type ServerState } from './server-state.js';

/** How upstream connection pools are built (serversTransport). */
export type AgentOptions = UpstreamOptions;

/** How an active check's result moves a server between up and down. */
export interface CheckPolicy {
  healthyThreshold: number;
  unhealthyThreshold: number;
}

/**
 * Long-lived per-server state, keyed by service + URL, that every RoutingTable borrows.
 * A rebuild asks for the same key and gets the same object back: in-flight counts,
 * round-robin position, health and keep-alive sockets survive reloads (ARCHITECTURE invariant 2).
 * Every health transition goes through here, is logged once, and bumps the pool's version.
 */
export class ServerRegistry {
  private readonly entries = new Map<string, ServerState>();
  private readonly pools = new Map<string, PoolState>();
  /** Services with servers draining, and how many: a new runtime of such a service acquires its servers at build time, reviving them. */
  private readonly draining = new Map<string, number>();
  /** Worker processes: the primary's latest health verdict per key, also for servers not built yet. */
  private readonly remoteHealth = new Map<string, HealthVerdict>();
  /** Primary process: told of every change of health or ejection, to ship it to the workers. */
  onVerdictChange: ((state: ServerState) => void) | undefined;
  /** Worker processes: told when this process's traffic ejected a server, to tell the primary. */
  onEjected: ((state: ServerState, reason: string) => void) | undefined;

  constructor(
    private readonly agentOptions: AgentOptions,
    private readonly log: Logger,
    private readonly now: () => number = Date.now,
  ) {}

  /**
   * The state for `service`'s server `url`, created on first sight; a draining one is revived.
   * With `checked`, a new server starts 'unknown' and takes no traffic until a check passes;
   * without, health is 'up' (a removed health check means we trust the server again).
   */
  acquire(service: string, url: string, checked: boolean): ServerState {
    const key = `${service}|${url}`;
    let state = this.entries.get(key);
    if (!state) {
      state = newServerState(key, service, url, checked, this.now());
      this.entries.set(key, state);
      const remote = this.remoteHealth.size > 0 ? this.remoteHealth.get(key) : undefined;
      if (remote && checked) this.applyVerdict(state, remote);
      // Unchecked: the primary's health is not this server's any more, but another worker's
      // ejection is (a server acquired by its first request may have been ejected meanwhile).
      else if (remote && remote.ejectedUntil > this.now()) this.eject(state, remote.ejectedUntil, 'ejected in another worker', 'debug');
      else if (checked) this.log.info({ service, server: url, state: 'unknown' }, 'server waits for its first health check');
    } else if (!checked && state.health !== 'up') {
      this.setHealth(state, 'up', 'health check removed from the config');
    }
    if (state.draining) {
      state.draining = false;
      this.countDraining(service, -1);
    }
    return state;
  }

  /** Whether some server of `service` is draining (left a config, still finishing requests). */
  hasDraining(service: string): boolean {
    return this.draining.has(service);
  }

  pool(service: string): PoolState {
    let pool = this.pools.get(service);
    if (!pool) {
      pool = { cursor: 0, version: 0, panic: false };
      this.pools.set(service, pool);
    }
    return pool;
  }

  /**
   * The connection pool of `state`'s server. Undefined once released, which a request cannot
   * meet: it counts itself in flight (begin) before asking, and only idle servers are released.
   */
  upstreamFor(state: ServerState): Upstream | undefined {
    if (state.upstream === null) return undefined;
    return (state.upstream ??= createUpstream(state.url, this.agentOptions));
  }

  /**
   * After a rebuild: the servers that `left` (held by the previous table, not by the new one)
   * start draining (no new requests) and are released as soon as nothing uses them; pools of
   * services that are `gone` are forgotten. The builder passes only what changed, so a reload
   * that keeps 10,000 servers costs nothing here.
   */
  drain(left: Iterable<ServerState>, gone: Iterable<string>): void {
    for (const state of left) {
      // Released already (and maybe acquired again as a new state): nothing to do.
      if (this.entries.get(state.key) !== state) continue;
      if (!state.draining) {
        this.log.info({ service: state.service, server: state.url, inFlight: state.inFlight }, 'server left the config: draining');
        state.draining = true;
        this.countDraining(state.service, 1);
      }
      this.releaseIfIdle(state);
    }
    for (const service of gone) this.pools.delete(service);
  }

  /** A request or WebSocket through `state` starts: leastConn/p2c see it, and a draining server stays. */
  begin(state: ServerState): void {
    state.inFlight++;
  }

  /** …and ends: a draining server is released once nothing uses it any more. */
  end(state: ServerState): void {
    state.inFlight--;
    state.served++;
    this.releaseIfIdle(state);
  }

  releaseIfIdle(state: ServerState): void {
    if (!state.draining || state.inFlight > 0) return;
    if (this.entries.get(state.key) !== state) return;
    this.entries.delete(state.key);
    this.remoteHealth.delete(state.key);
    this.countDraining(state.service, -1);
    this.release(state);
  }

  private countDraining(service: string, by: 1 | -1): void {
    const n = (this.draining.get(service) ?? 0) + by;
    if (n > 0) this.draining.set(service, n);
    else this.draining.delete(service);
  }

  /** An active check answered: count it against the thresholds and move the server if due. */
  reportCheck(state: ServerState, result: CheckResult, policy: CheckPolicy): void {
    state.lastCheck = result;
    if (result.ok) {
      state.checkPasses++;
      state.checkFailures = 0;
      // A server never seen healthy takes traffic after its first pass; a down one needs the threshold.
      if (state.health === 'unknown' || (state.health === 'down' && state.checkPasses >= policy.healthyThreshold)) {
        this.setHealth(state, 'up', `health check passed (${result.detail})`);
      }
      if (state.ejectedUntil > 0) this.endEjection(state, 'an active health check passed');
    } else {
      state.checkFailures++;
      state.checkPasses = 0;
      if (state.health === 'unknown' || (state.health === 'up' && state.checkFailures >= policy.unhealthyThreshold)) {
        this.setHealth(state, 'down', `health check failed ${state.checkFailures}x (${result.detail})`);
      }
    }
  }

  /**
   * Worker processes: the primary's view of `verdict.key` (active-check health, and an ejection
   * some worker's traffic caused). Remembered, because the config that brings the server may
   * still be on its way into this process's table.
   */
  applyRemoteHealth(verdict: HealthVerdict): void {
    this.remoteHealth.set(verdict.key, verdict);
    const state = this.entries.get(verdict.key);
    if (state) this.applyVerdict(state, verdict);
  }

  /** Primary process: a worker's traffic ejected `key`; every other worker follows (via onVerdictChange). */
  applyRemoteEjection(key: string, until: number, reason: string): void {
    const state = this.entries.get(key);
    if (state && until > this.now()) this.eject(state, until, reason);
  }

  /** Real traffic to the server failed; eject it when failures pile up within the window. */
  reportFailure(state: ServerState, policy: PassiveHealthCheckConfig | undefined, reason: string): void {
    if (!policy || state.draining || state.ejectedUntil > 0) return;
    const now = this.now();
    const since = now - policy.failureWindow;
    const recent = state.failures.filter((t) => t > since);
    recent.push(now);
    state.failures = recent;
    if (recent.length < policy.maxFailures) return;
    if (this.entries.get(state.key) !== state) return;
    state.failures = [];
    const why = `ejected for ${policy.ejectFor} ms after ${recent.length} failures within ${policy.failureWindow} ms (last: ${reason})`;
    this.eject(state, now + policy.ejectFor, why);
    this.onEjected?.(state, why);
  }

  /** Every known server, live and draining (for the admin API). */
  states(): ServerState[] {
    return [...this.entries.values()];
  }

  /** Closes every pooled upstream socket and timer (shutdown). */
  destroy(): void {
    for (const state of this.entries.values()) this.release(state);
    this.entries.clear();
    this.pools.clear();
    this.draining.clear();
  }

  /** Out of the registry: its timer stops, its sockets close, and no request gets an upstream for it again. */
  private release(state: ServerState): void {
    if (state.ejectTimer) clearTimeout(state.ejectTimer);
    state.ejectTimer = undefined;
    state.upstream?.destroy();
    state.upstream = null;
  }

  /** Ejected until `until` (epoch ms), or longer if it already is. */
  private eject(state: ServerState, until: number, reason: string, level?: 'debug'): void {
    if (this.entries.get(state.key) !== state || until <= state.ejectedUntil) return;
    state.ejectedUntil = until;
    this.updateAvailability(state, reason, 'ejected', level);
    if (state.ejectTimer) clearTimeout(state.ejectTimer);
    state.ejectTimer = setTimeout(() => this.endEjection(state, 'ejection time over'), until - this.now());
    state.ejectTimer.unref();
  }

  private endEjection(state: ServerState, reason: string, level?: 'debug'): void {
    if (state.ejectTimer) clearTimeout(state.ejectTimer);
    state.ejectTimer = undefined;
    if (state.ejectedUntil === 0) return;
    state.ejectedUntil = 0;
    this.updateAvailability(state, reason, 'back', level);
  }

  private setHealth(state: ServerState, health: ServerState['health'], reason: string): void {
    if (state.health === health) return;
    state.health = health;
    this.updateAvailability(state, reason, health);
  }

  /** The primary already logged these transitions: a worker logs them at debug only. */
  private applyVerdict(state: ServerState, verdict: HealthVerdict): void {
    state.lastCheck = verdict.lastCheck;
    if (state.health !== verdict.health) {
      state.health = verdict.health;
      this.updateAvailability(state, 'health check in the primary process', verdict.health, 'debug');
    }
    if (verdict.ejectedUntil > this.now()) this.eject(state, verdict.ejectedUntil, 'ejected in another worker', 'debug');
    else if (verdict.ejectedUntil === 0) this.endEjection(state, 'ejection ended in the primary process', 'debug');
  }

  /** Recomputes `available`; on a change, logs one line and bumps the pool version. */
  private updateAvailability(state: ServerState, reason: string, event: string, level?: 'debug'): void {
    const available = state.health === 'up' && state.ejectedUntil === 0;
    const changed = available !== state.available;
    state.available = available;
    if (available && changed) state.availableSince = this.now();
    this.log[level ?? (available ? 'info' : 'warn')](
      { service: state.service, server: state.url, event, available, health: state.health, ejected: state.ejectedUntil > 0 },
      `server ${event}: ${reason}`,
    );
    // A service no request has used yet has no pool state (service-runtime.ts): nothing to rebuild.
    const pool = changed ? this.pools.get(state.service) : undefined;
    if (pool) pool.version++;
    this.onVerdictChange?.(state);
  }
}
