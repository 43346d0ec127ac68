import type { RoutingTable } from '../runtime/routing-table.js';
import type { CheckResult, ServerState } from '../runtime/server-state.js';
import type { LiveStats, ServerStats } from './live-stats.js';

export type ServerStatus = 'up' | 'down' | 'unknown' | 'ejected' | 'draining';

export interface ServerView {
  url: string;
  weight: number | null;
  /** One word for what it takes now: draining > ejected > down/unknown > up. */
  state: ServerStatus;
  health: ServerState['health'];
  lastCheck: (Omit<CheckResult, 'time'> & { time: string }) | null;
  /** Passive-health failures within the current window. */
  failures: number;
  ejectedUntil: string | null;
  inFlight: number;
  webSockets: number;
  served: number;
}

export function statusOf(health: ServerState['health'], stats: ServerStats): ServerStatus {
  if (stats.draining) return 'draining';
  if (stats.ejectedUntil > 0) return 'ejected';
  return health;
}

const NO_TRAFFIC: ServerStats = { inFlight: 0, webSockets: 0, served: 0, failures: 0, ejectedUntil: 0, draining: false };

/**
 * What the view shows of a server whose state its service has not acquired yet (service-runtime.ts):
 * only a new, unchecked server waits so, and it is up, idle and not ejected.
 */
const NOT_ACQUIRED: Pick<ServerState, 'health' | 'lastCheck'> = { health: 'up', lastCheck: undefined };

/** Health from the active checks (`s`, when this process still knows the server), counts from the traffic. */
function viewOf(url: string, s: Pick<ServerState, 'health' | 'lastCheck'> | undefined, stats: ServerStats, weight: number | null): ServerView {
  const health = s?.health ?? 'unknown';
  return {
    url,
    weight,
    state: statusOf(health, stats),
    health,
    lastCheck: s?.lastCheck ? { ...s.lastCheck, time: new Date(s.lastCheck.time).toISOString() } : null,
    failures: stats.failures,
    ejectedUntil: stats.ejectedUntil > 0 ? new Date(stats.ejectedUntil).toISOString() : null,
    inFlight: stats.inFlight,
    webSockets: stats.webSockets,
    served: stats.served,
  };
}

/**
 * A service as the admin API shows it: config status plus every server's live state.
 * `states` are this process's (health); `live` the traffic counts of whoever serves traffic
 * (this process, or every worker: src/cluster/).
 */
export function serviceView(table: RoutingTable, states: ReadonlyMap<string, ServerState>, live: LiveStats, name: string): Record<string, unknown> | undefined {
  const report = table.source.status.services.get(name);
  if (!report) return undefined;
  const runtime = table.services.get(name);
  // Keys are `service|url`. Reading the view acquires nothing: a service no request used yet
  // shows its configured servers as the new servers they are.
  const prefix = `${name}|`;
  const acquired = runtime?.acquiredServers;
  const shown = new Set<string>();
  const servers: ServerView[] = [];
  if (acquired) {
    for (const s of acquired) {
      shown.add(s.state.key);
      servers.push(viewOf(s.url, s.state, live.servers.get(s.state.key) ?? NO_TRAFFIC, s.weight));
    }
  } else {
    for (const s of runtime?.config.loadBalancer.servers ?? []) {
      const key = prefix + s.url;
      shown.add(key);
      servers.push(viewOf(s.url, states.get(key) ?? NOT_ACQUIRED, live.servers.get(key) ?? NO_TRAFFIC, s.weight));
    }
  }
  // Servers that left the config but still finish requests.
  for (const [key, stats] of live.servers) {
    if (stats.draining && key.startsWith(prefix) && !shown.has(key)) {
      servers.push(viewOf(key.slice(prefix.length), states.get(key), stats, null));
    }
  }
  return {
    name,
    provider: report.provider,
    status: report.status,
    errors: report.errors,
    ...(runtime
      ? {
          strategy: runtime.strategy,
          sticky: runtime.sticky !== undefined,
          passHostHeader: runtime.passHostHeader,
          healthCheck: runtime.healthCheck ?? null,
          passiveHealthCheck: runtime.passiveHealthCheck ?? null,
          panic: live.panic.has(name),
        }
      : {}),
    servers,
    ...(report.origin ? { origin: report.origin } : {}),
  };
}
