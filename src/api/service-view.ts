import type { RoutingTable } from '../runtime/routing-table.js';
import type { ServerState } from '../runtime/server-state.js';

export interface ServerView {
  url: string;
  weight: number | null;
  state: 'up' | 'draining';
  inFlight: number;
  webSockets: number;
  served: number;
}

/** A service as the admin API shows it: config status plus every server's live counters. */
export function serviceView(table: RoutingTable, states: readonly ServerState[], name: string): Record<string, unknown> | undefined {
  const report = table.source.status.services[name];
  if (!report) return undefined;
  const runtime = table.services.get(name);
  const servers: ServerView[] = (runtime?.servers ?? []).map((s) => ({
    url: s.url,
    weight: s.weight,
    state: s.state.draining ? 'draining' : 'up',
    inFlight: s.state.inFlight,
    webSockets: s.state.webSockets,
    served: s.state.served,
  }));
  // Servers that left the config but still finish requests.
  for (const st of states) {
    if (st.service === name && st.draining) {
      servers.push({ url: st.url, weight: null, state: 'draining', inFlight: st.inFlight, webSockets: st.webSockets, served: st.served });
    }
  }
  return {
    name,
    provider: report.provider,
    status: report.status,
    errors: report.errors,
    ...(runtime ? { strategy: runtime.strategy, sticky: runtime.sticky !== undefined, passHostHeader: runtime.passHostHeader } : {}),
    servers,
    ...(report.origin ? { origin: report.origin } : {}),
  };
}
