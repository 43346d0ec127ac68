import { StickyCookie } from '../balancer/sticky-cookie.js';
import { strategies } from '../balancer/strategies.js';
import type { BalancerOptions, BalancerServer } from '../balancer/types.js';
import type { ValidatedConfig } from '../config/dynamic-config.js';
import { compiledRule } from '../rules/index.js';
import { HostIndex } from './host-index.js';
import { RouterSet, type Route, type RoutingTable, type ServiceRuntime } from './routing-table.js';
import { ServicePool } from './service-pool.js';
import type { ServerRegistry } from './server-registry.js';

export interface BuildOptions {
  version: number;
  /** Every HTTP entry point of the static config (routers without entryPoints join all). */
  entryPoints: readonly string[];
  balancer?: BalancerOptions;
  /** A pool entered or left panic mode (too few servers available). */
  onPanic?: (service: string, panic: boolean, available: number, total: number) => void;
}

/**
 * Turns a validated config into an immutable RoutingTable. Server state comes from the
 * registry (same object for the same service + URL); servers that left start draining.
 */
export function buildRoutingTable(source: ValidatedConfig, registry: ServerRegistry, options: BuildOptions): RoutingTable {
  const services = new Map<string, ServiceRuntime>();
  const liveServers = new Set<string>();
  for (const [name, svc] of Object.entries(source.config.http.services)) {
    const lb = svc.loadBalancer;
    const servers: BalancerServer[] = lb.servers.map((s) => {
      const state = registry.acquire(name, s.url, lb.healthCheck !== undefined);
      liveServers.add(state.key);
      return { url: s.url, weight: s.weight, state };
    });
    const pool = new ServicePool(
      servers,
      strategies[lb.strategy],
      registry.pool(name),
      { slowStart: lb.slowStart, panicThreshold: lb.panicThreshold },
      options.balancer,
      (panic, available, total) => options.onPanic?.(name, panic, available, total),
    );
    services.set(name, {
      name,
      strategy: lb.strategy,
      servers,
      pool,
      sticky: lb.sticky?.cookie ? new StickyCookie(servers, lb.sticky.cookie) : undefined,
      passHostHeader: lb.passHostHeader,
      healthCheck: lb.healthCheck,
      passiveHealthCheck: lb.passiveHealthCheck,
      retries: lb.retries,
      retryBodyLimit: lb.retryBodyLimit,
    });
  }
  registry.retainOnly(liveServers, new Set(services.keys()));

  // Priority order: higher priority first; 0 means "length of the rule" (Traefik); ties by name
  // so the order never depends on the order providers happened to list things.
  const routes = Object.entries(source.config.http.routers)
    .map(([name, r]) => ({ name, r, priority: r.priority > 0 ? r.priority : r.rule.length }))
    .sort((a, b) => b.priority - a.priority || (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));

  const indexes = new Map<string, HostIndex<Route>>();
  for (const ep of options.entryPoints) indexes.set(ep, new HostIndex<Route>());
  routes.forEach(({ name, r, priority }, order) => {
    const service = services.get(r.service);
    if (!service) return; // validation already disabled it
    const { matcher, hosts } = compiledRule(r.rule);
    const route: Route = { name, priority, order, matcher, service };
    const eps = r.entryPoints.length > 0 ? r.entryPoints : options.entryPoints;
    for (const ep of eps) indexes.get(ep)?.add(route, hosts);
  });

  const entryPoints = new Map<string, RouterSet>();
  for (const [ep, index] of indexes) entryPoints.set(ep, new RouterSet(index));
  return { version: options.version, entryPoints, services, source };
}
