import type { RoutingTable } from '../runtime/routing-table.js';
import type { CheckResult, ServerState } from '../runtime/server-state.js';

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

export function statusOf(s: ServerState): ServerStatus {
  if (s.draining) return 'draining';
  if (s.ejectedUntil > 0) return 'ejected';
  return s.health;
}

function viewOf(s: ServerState, weight: number | null): ServerView {
  return {
    url: s.url,
    weight,
    state: statusOf(s),
    health: s.health,
    lastCheck: s.lastCheck ? { ...s.lastCheck, time: new Date(s.lastCheck.time).toISOString() } : null,
    failures: s.failures.length,
    ejectedUntil: s.ejectedUntil > 0 ? new Date(s.ejectedUntil).toISOString() : null,
    inFlight: s.inFlight,
    webSockets: s.webSockets,
    served: s.served,
  };
}

/** A service as the admin API shows it: config status plus every server's live state. */
export function serviceView(table: RoutingTable, states: readonly ServerState[], name: string): Record<string, unknown> | undefined {
  const report = table.source.status.services[name];
  if (!report) return undefined;
  const runtime = table.services.get(name);
  const servers: ServerView[] = (runtime?.servers ?? []).map((s) => viewOf(s.state, s.weight));
  // Servers that left the config but still finish requests.
  for (const st of states) if (st.service === name && st.draining) servers.push(viewOf(st, null));
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
          panic: runtime.pool.panic,
        }
      : {}),
    servers,
    ...(report.origin ? { origin: report.origin } : {}),
  };
}
