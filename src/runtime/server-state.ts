import type { Upstream } from './upstream-pool.js';

/**
 * Long-lived state of one backend server of one service. Lives in the ServerRegistry,
 * keyed by service + server URL, and is handed back unchanged to every RoutingTable that
 * still lists that server, so counts and balancing position survive a reload.
 */
export interface ServerState {
  /** `service@provider|url`: the registry key. */
  readonly key: string;
  readonly service: string;
  readonly url: string;
  /** HTTP requests in flight plus open WebSockets through this server. */
  inFlight: number;
  /** Open WebSocket connections (also counted in inFlight). */
  webSockets: number;
  /** Smooth weighted round robin: this server's current weight (nginx's algorithm). */
  rrCurrent: number;
  /** True once the server left the config: it takes no new requests and is released when idle. */
  draining: boolean;
  /** Requests completed (any outcome) since the server was first seen. */
  served: number;
  /**
   * Can take new requests as far as health goes: active check not failing and not ejected by
   * passive checks. Draining is separate. Maintained by ServerRegistry's health transitions.
   */
  available: boolean;
  /** When it last became available (slow start ramps from here); 0 = since the start. */
  availableSince: number;
  /** Active health: 'unknown' until a configured check first answers. */
  health: 'unknown' | 'up' | 'down';
  /** Passive health: ejected until this time (epoch ms); 0 = not ejected. */
  ejectedUntil: number;
  /** Epoch ms of recent failures seen by passive health checking (within its window); replaced on change, never pushed to, so new servers share one empty list. */
  failures: number[];
  lastCheck: CheckResult | undefined;
  /** Consecutive passing / failing active checks. */
  checkPasses: number;
  checkFailures: number;
  /**
   * Owned by the ServerRegistry: keep-alive connections to the server (upstream-pool.ts), kept
   * across reloads and made on first use (10,000 servers at a reload cost nothing until they get
   * traffic); null once the registry released the server. Here rather than in an entry object of
   * the registry's: a 10,000-server table keeps 10,000 objects fewer.
   */
  upstream: Upstream | undefined | null;
  /** Owned by the ServerRegistry: ends a passive ejection. */
  ejectTimer: NodeJS.Timeout | undefined;
}

/**
 * The primary's view of a server, shipped to the workers: health from the active checks, and
 * an ejection that one worker's traffic caused (so every worker stops sending), 0 = none.
 */
export interface HealthVerdict {
  /** Registry key: `service|url`. */
  key: string;
  health: ServerState['health'];
  lastCheck: CheckResult | undefined;
  ejectedUntil: number;
}

export interface CheckResult {
  /** Epoch ms. */
  time: number;
  ok: boolean;
  /** `200`, `status 500`, `timeout after 1000 ms`, `ECONNREFUSED` … */
  detail: string;
}

/** State shared by all servers of one service's pool that must also survive a reload. */
export interface PoolState {
  /** Rotating start index: breaks leastConn / p2c ties in turn. */
  cursor: number;
  /** Bumped whenever a server of the pool changes availability, so pools rebuild their view. */
  version: number;
  /** Whether the pool is balancing over all servers because too few are available. */
  panic: boolean;
}

/** A new server's failure list: shared, since the registry replaces the list, never pushes to it. */
const NO_FAILURES: number[] = Object.freeze([]) as unknown as number[];

/**
 * A server seen for the first time. With `checked` (its service has an active health check) it
 * is 'unknown' and takes no traffic until a check passes; otherwise it is up, as of `now`.
 */
export function newServerState(key: string, service: string, url: string, checked: boolean, now: number): ServerState {
  return {
    key,
    service,
    url,
    inFlight: 0,
    webSockets: 0,
    rrCurrent: 0,
    draining: false,
    served: 0,
    available: !checked,
    // A server joining unchecked counts as coming up now (slow start ramps it like a recovery).
    availableSince: checked ? 0 : now,
    health: checked ? 'unknown' : 'up',
    ejectedUntil: 0,
    failures: NO_FAILURES,
    lastCheck: undefined,
    checkPasses: 0,
    checkFailures: 0,
    upstream: undefined,
    ejectTimer: undefined,
  };
}
