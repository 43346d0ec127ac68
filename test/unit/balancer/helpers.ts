import { newServerState, type PoolState, type ServerState } from '../../../src/runtime/server-state.js';
import type { Balancer, BalancerServer } from '../../../src/balancer/types.js';

/** An unchecked, up server that is not ramping (availableSince 0), as the registry makes it. */
export function makeState(url: string, overrides: Partial<ServerState> = {}): ServerState {
  return { ...newServerState(`svc@test|${url}`, 'svc@test', url, false, 0), ...overrides };
}

export function makeServer(url: string, weight = 1, state: ServerState = makeState(url)): BalancerServer {
  return { url, weight, state };
}

/** Servers `http://<name>:80` with the given weights, fresh states. */
export function makeServers(weights: Record<string, number>): BalancerServer[] {
  return Object.entries(weights).map(([name, w]) => makeServer(urlOf(name), w));
}

export function urlOf(name: string): string {
  return `http://${name}:80`;
}

/** Short name back from a url made by urlOf. */
export function nameOf(server: BalancerServer | undefined): string {
  if (server === undefined) return '-';
  return server.url.slice('http://'.length, server.url.lastIndexOf(':'));
}

/** New BalancerServer objects (as a reload would build) reusing the same ServerState objects. */
export function rebuild(servers: readonly BalancerServer[], weights?: Record<string, number>): BalancerServer[] {
  return servers.map((s) => makeServer(s.url, weights?.[nameOf(s)] ?? s.weight, s.state));
}

export function makePool(): PoolState {
  return { cursor: 0, version: 0, panic: false };
}

/** Tiny deterministic PRNG in [0, 1). */
export function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** The i-th of many distinct IPv4 client addresses. */
export function ipOf(i: number): string {
  return `10.${(i >>> 16) & 255}.${(i >>> 8) & 255}.${i & 255}`;
}

/**
 * One request: pick, count the request in flight, complete it at once (inFlight back to 0).
 * Returns the server picked.
 */
export function serve(balancer: Balancer, clientIp: string): BalancerServer | undefined {
  const s = balancer.pick({ clientIp });
  if (s !== undefined) {
    s.state.inFlight++;
    s.state.inFlight--;
    s.state.served++;
  }
  return s;
}

export function countPicks(balancer: Balancer, picks: number): Map<string, number> {
  const counts = new Map<string, number>();
  for (let i = 0; i < picks; i++) {
    const name = nameOf(serve(balancer, ipOf(i)));
    counts.set(name, (counts.get(name) ?? 0) + 1);
  }
  return counts;
}
