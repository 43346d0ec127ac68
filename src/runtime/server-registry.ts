import http from 'node:http';
import https from 'node:https';
import type { PoolState, ServerState } from './server-state.js';

export interface AgentOptions {
  /** Idle keep-alive sockets per server kept for reuse. */
  maxIdleSockets: number;
  /** Close an idle upstream socket after this long (ms). */
  idleTimeout: number;
}

interface Entry {
  state: ServerState;
  agent: http.Agent;
}

/**
 * Long-lived per-server state, keyed by service + URL, that every RoutingTable borrows.
 * A rebuild asks for the same key and gets the same object back: in-flight counts,
 * round-robin position and keep-alive sockets survive reloads (ARCHITECTURE invariant 2).
 */
export class ServerRegistry {
  private readonly entries = new Map<string, Entry>();
  private readonly pools = new Map<string, PoolState>();

  constructor(private readonly agentOptions: AgentOptions) {}

  /** The state for `service`'s server `url`, created on first sight; a draining one is revived. */
  acquire(service: string, url: string): ServerState {
    const key = `${service}|${url}`;
    let entry = this.entries.get(key);
    if (!entry) {
      entry = { state: newState(key, service, url), agent: this.newAgent(url) };
      this.entries.set(key, entry);
    }
    entry.state.draining = false;
    return entry.state;
  }

  pool(service: string): PoolState {
    let pool = this.pools.get(service);
    if (!pool) {
      pool = { cursor: 0 };
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
        entry.state.draining = true;
        this.releaseIfIdle(entry.state);
      }
    }
    for (const service of this.pools.keys()) if (!liveServices.has(service)) this.pools.delete(service);
  }

  /** Called by the proxy whenever a request or WebSocket through `state` ends. */
  releaseIfIdle(state: ServerState): void {
    if (!state.draining || state.inFlight > 0) return;
    const entry = this.entries.get(state.key);
    if (entry?.state !== state) return;
    this.entries.delete(state.key);
    entry.agent.destroy();
  }

  /** Every known server, live and draining (for the admin API). */
  states(): ServerState[] {
    return [...this.entries.values()].map((e) => e.state);
  }

  /** Closes every pooled upstream socket (shutdown). */
  destroy(): void {
    for (const e of this.entries.values()) e.agent.destroy();
    this.entries.clear();
    this.pools.clear();
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

function newState(key: string, service: string, url: string): ServerState {
  return { key, service, url, inFlight: 0, webSockets: 0, rrCurrent: 0, draining: false, served: 0 };
}
