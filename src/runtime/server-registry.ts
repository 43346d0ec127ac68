import http from 'node:http';
import https from 'node:https';
import type { Logger } from 'pino';
import type { PassiveHealthCheckConfig } from '../config/dynamic-config.js';
import { newServerState, type CheckResult, type PoolState, type ServerState } from './server-state.js';

export interface AgentOptions {
  /** Idle keep-alive sockets per server kept for reuse. */
  maxIdleSockets: number;
  /** Close an idle upstream socket after this long (ms). */
  idleTimeout: number;
}

interface Entry {
  state: ServerState;
  agent: http.Agent;
  /** Ends a passive ejection. */
  ejectTimer: NodeJS.Timeout | undefined;
}

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
  private readonly entries = new Map<string, Entry>();
  private readonly pools = new Map<string, PoolState>();

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
    let entry = this.entries.get(key);
    if (!entry) {
      entry = { state: newServerState(key, service, url, checked, this.now()), agent: this.newAgent(url), ejectTimer: undefined };
      this.entries.set(key, entry);
      if (checked) this.log.info({ service, server: url, state: 'unknown' }, 'server waits for its first health check');
    } else if (!checked && entry.state.health !== 'up') {
      this.setHealth(entry.state, 'up', 'health check removed from the config');
    }
    entry.state.draining = false;
    return entry.state;
  }

  pool(service: string): PoolState {
    let pool = this.pools.get(service);
    if (!pool) {
      pool = { cursor: 0, version: 0, panic: false };
      this.pools.set(service, pool);
    }
    return pool;
  }

  agentFor(state: ServerState): http.Agent {
    const entry = this.entries.get(state.key);
    // A released server has no entry; requests still holding its state get a one-off agent.
    return entry?.state === state ? entry.agent : this.newAgent(state.url);
  }

  /**
   * After a rebuild: every server not in `live` starts draining (no new requests) and is
   * released as soon as nothing uses it; pools of services that left are forgotten.
   */
  retainOnly(live: ReadonlySet<string>, liveServices: ReadonlySet<string>): void {
    for (const entry of this.entries.values()) {
      if (!live.has(entry.state.key)) {
        if (!entry.state.draining) this.log.info({ service: entry.state.service, server: entry.state.url, inFlight: entry.state.inFlight }, 'server left the config: draining');
        entry.state.draining = true;
        this.releaseIfIdle(entry.state);
      }
    }
    for (const service of this.pools.keys()) if (!liveServices.has(service)) this.pools.delete(service);
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
    const entry = this.entries.get(state.key);
    if (entry?.state !== state) return;
    this.entries.delete(state.key);
    if (entry.ejectTimer) clearTimeout(entry.ejectTimer);
    entry.agent.destroy();
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

  /** Real traffic to the server failed; eject it when failures pile up within the window. */
  reportFailure(state: ServerState, policy: PassiveHealthCheckConfig | undefined, reason: string): void {
    if (!policy || state.draining || state.ejectedUntil > 0) return;
    const now = this.now();
    const since = now - policy.failureWindow;
    const recent = state.failures.filter((t) => t > since);
    recent.push(now);
    state.failures = recent;
    if (recent.length < policy.maxFailures) return;
    const entry = this.entries.get(state.key);
    if (entry?.state !== state) return;
    state.ejectedUntil = now + policy.ejectFor;
    state.failures = [];
    this.updateAvailability(state, `ejected for ${policy.ejectFor} ms after ${recent.length} failures within ${policy.failureWindow} ms (last: ${reason})`, 'ejected');
    entry.ejectTimer = setTimeout(() => this.endEjection(state, 'ejection time over'), policy.ejectFor);
    entry.ejectTimer.unref();
  }

  /** Every known server, live and draining (for the admin API). */
  states(): ServerState[] {
    return [...this.entries.values()].map((e) => e.state);
  }

  /** Closes every pooled upstream socket and timer (shutdown). */
  destroy(): void {
    for (const e of this.entries.values()) {
      if (e.ejectTimer) clearTimeout(e.ejectTimer);
      e.agent.destroy();
    }
    this.entries.clear();
    this.pools.clear();
  }

  private endEjection(state: ServerState, reason: string): void {
    const entry = this.entries.get(state.key);
    if (entry?.ejectTimer) clearTimeout(entry.ejectTimer);
    if (entry) entry.ejectTimer = undefined;
    if (state.ejectedUntil === 0) return;
    state.ejectedUntil = 0;
    this.updateAvailability(state, reason, 'back');
  }

  private setHealth(state: ServerState, health: ServerState['health'], reason: string): void {
    if (state.health === health) return;
    state.health = health;
    this.updateAvailability(state, reason, health);
  }

  /** Recomputes `available`; on a change, logs one line and bumps the pool version. */
  private updateAvailability(state: ServerState, reason: string, event: string): void {
    const available = state.health === 'up' && state.ejectedUntil === 0;
    const changed = available !== state.available;
    state.available = available;
    if (available && changed) state.availableSince = this.now();
    this.log[available ? 'info' : 'warn'](
      { service: state.service, server: state.url, event, available, health: state.health, ejected: state.ejectedUntil > 0 },
      `server ${event}: ${reason}`,
    );
    if (changed) this.pool(state.service).version++;
  }

  private newAgent(url: string): http.Agent {
    const options: http.AgentOptions = {
      keepAlive: true,
      maxFreeSockets: this.agentOptions.maxIdleSockets,
      timeout: this.agentOptions.idleTimeout,
      // Reuse the most recently used socket: fewer sockets stay warm, idle ones time out.
      scheduling: 'lifo',
    };
    return url.startsWith('https:') ? new https.Agent(options) : new http.Agent(options);
  }
}
