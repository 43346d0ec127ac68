import type { RoutingTable } from '../runtime/routing-table.js';
import type { ServerState } from '../runtime/server-state.js';

/** What traffic did to one server, as the process(es) serving traffic count it. */
export interface ServerStats {
  inFlight: number;
  webSockets: number;
  served: number;
  /** Passive-health failures within the current window. */
  failures: number;
  /** Epoch ms; 0 = not ejected. */
  ejectedUntil: number;
  draining: boolean;
}

/** Traffic counts by registry key, and the services whose pool is in panic mode. */
export interface LiveStats {
  servers: Map<string, ServerStats>;
  panic: Set<string>;
}

/** This process's counts (the single process, or one worker answering the primary). */
export function localStats(table: RoutingTable, states: readonly ServerState[]): LiveStats {
  const servers = new Map<string, ServerStats>();
  for (const s of states) {
    servers.set(s.key, {
      inFlight: s.inFlight,
      webSockets: s.webSockets,
      served: s.served,
      failures: s.failures.length,
      ejectedUntil: s.ejectedUntil,
      draining: s.draining,
    });
  }
  const panic = new Set<string>();
  for (const [name, service] of table.services) if (service.panic) panic.add(name);
  return { servers, panic };
}

/**
 * Several workers' counts as one: counts add up; a server is ejected as long as any worker
 * ejects it (passive health is per worker), and draining while any worker still drains it.
 */
export function mergeStats(parts: readonly LiveStats[]): LiveStats {
  const servers = new Map<string, ServerStats>();
  const panic = new Set<string>();
  for (const part of parts) {
    for (const name of part.panic) panic.add(name);
    for (const [key, s] of part.servers) {
      const sum = servers.get(key);
      if (!sum) {
        servers.set(key, { ...s });
        continue;
      }
      sum.inFlight += s.inFlight;
      sum.webSockets += s.webSockets;
      sum.served += s.served;
      sum.failures += s.failures;
      sum.ejectedUntil = Math.max(sum.ejectedUntil, s.ejectedUntil);
      sum.draining ||= s.draining;
    }
  }
  return { servers, panic };
}
