import { StickyCookie } from '../balancer/sticky-cookie.js';
import type { BalancerOptions } from '../balancer/types.js';
import type { ServiceConfig, ValidatedConfig } from '../config/dynamic-config.js';
import { PauseBudget, runToEnd, type Steps } from '../time-slices.js';
import { HostIndex } from './host-index.js';
import { MapDraft } from './map-draft.js';
import { orderRoutes, STEP } from './route-order.js';
import { RouterSet, type Route, type RoutingTable } from './routing-table.js';
import type { PanicListener } from './service-pool.js';
import { ServiceRuntime, serversOf, type PoolMaker } from './service-runtime.js';
import type { ServerRegistry } from './server-registry.js';
import type { ServerState } from './server-state.js';
import type { SpareServices } from './spare-services.js';

export interface BuildOptions {
  version: number;
  /** Every HTTP entry point of the static config (routers without entryPoints join all). */
  entryPoints: readonly string[];
  balancer?: BalancerOptions;
  /** A pool entered or left panic mode (too few servers available). */
  onPanic?: PanicListener;
  /** The table this one replaces: its services and routes whose config is the same object are reused. */
  previous?: RoutingTable;
  /** Services of builds abandoned since `previous` (reused alike); this build adds the ones it made if it is abandoned too. */
  spare?: SpareServices;
  /**
   * Every new service acquires its servers' states at build time, as the primary of worker
   * processes needs (it serves no request, and ships health and ejections by state). Otherwise
   * a new service that nothing needs at once acquires them on first use (newServiceRuntime).
   */
  eagerServers?: boolean;
}

/**
 * Turns a validated config into an immutable RoutingTable in one go (see buildSteps).
 */
export function buildRoutingTable(source: ValidatedConfig, registry: ServerRegistry, options: BuildOptions): RoutingTable {
  return runToEnd(buildSteps(source, registry, options));
}

/**
 * The build as steps a time-sliced run may pause between. Server state comes from the registry
 * (same object for the same service + URL); a service whose validated config is the same object
 * as in `previous` keeps its ServiceRuntime — pool, stickiness, servers — so its balancing goes
 * on exactly as if there had been no reload. The last step, and only it, touches what the
 * published table shares: servers that left start draining there.
 */
export function* buildSteps(source: ValidatedConfig, registry: ServerRegistry, options: BuildOptions): Steps<RoutingTable> {
  const { previous } = options;
  /** Services this build made; handed to `spare` only if it does not publish. */
  const made: ServiceRuntime[] = [];
  let finished = false;
  try {
    const { services, replaced, removed } = yield* buildServices(source.config.http.services, registry, options, made);
    const routes = yield* orderRoutes(source.config.http.routers, services, previous);
    const entryPoints = yield* indexRoutes(routes, options.entryPoints, previous);
    drainLeft(services, [...replaced, ...(removed ? servicesGone(previous!.services, services) : [])], registry, options);
    finished = true;
    return { version: options.version, entryPoints, services, routes, source };
  } finally {
    // Abandoned (a newer config came: the generator is closed) or failed: the next build may
    // take what this one made. A finished build never walks them again.
    if (!finished && options.spare) for (const service of made) options.spare.add(service);
  }
}

function* buildServices(
  configs: ReadonlyMap<string, ServiceConfig>,
  registry: ServerRegistry,
  options: BuildOptions,
  made: ServiceRuntime[],
): Steps<{ services: ReadonlyMap<string, ServiceRuntime>; replaced: ServiceRuntime[]; removed: boolean }> {
  const before = options.previous?.services;
  const services = new MapDraft(before);
  const maker: PoolMaker = { registry, balancer: options.balancer, onPanic: options.onPanic };
  /** Previous runtimes of services that are still there but changed. */
  const replaced: ServiceRuntime[] = [];
  let stayed = 0;
  const budget = new PauseBudget(STEP);
  for (const [name, config] of configs) {
    if (budget.tick()) yield;
    let service = before?.get(name);
    if (service) stayed++;
    if (service?.config !== config) {
      if (service) replaced.push(service);
      service = options.spare?.find(name, config);
      if (!service) {
        // A new service acquires servers: it counts for more (as validation counts an item it validates).
        budget.spend(NEW_SERVICE_COST);
        service = newServiceRuntime(name, config, registry, maker, options.eagerServers === true);
        made.push(service);
      }
    }
    services.set(name, service);
  }
  // Only when some previous service is missing does anyone need to look for which.
  return { services: services.done(), replaced, removed: before !== undefined && stayed < before.size };
}

/**
 * A new service costs this many unchanged ones between pause points: a pause point per new
 * service was 10,000 generator steps (and their result objects) in a 10,000-service first load.
 */
const NEW_SERVICE_COST = 8;

function servicesGone(before: ReadonlyMap<string, ServiceRuntime>, services: ReadonlyMap<string, ServiceRuntime>): ServiceRuntime[] {
  const gone: ServiceRuntime[] = [];
  for (const [name, service] of before) if (!services.has(name)) gone.push(service);
  return gone;
}

function newServiceRuntime(name: string, config: ServiceConfig, registry: ServerRegistry, maker: PoolMaker, eager: boolean): ServiceRuntime {
  const lb = config.loadBalancer;
  const cookie = lb.sticky?.cookie;
  // A new service's servers wait for their first reader (service-runtime.ts) unless something
  // needs their states now: the health checker (checked servers), the sticky cookie's server
  // list, servers of this name still draining (acquiring revives them, so their connections and
  // counts go on), or the caller (the primary of worker processes shares ejections by state).
  // A 10,000-service first load then acquires nothing: ~15 ms of its ~100 (bench/RESULTS.md,
  // "First load: servers acquired by their first reader, and the common rule read directly").
  if (!eager && lb.healthCheck === undefined && !cookie && !registry.hasDraining(name)) {
    return new ServiceRuntime(name, config, undefined, undefined, maker);
  }
  const servers = serversOf(name, config, registry);
  return new ServiceRuntime(name, config, servers, cookie ? new StickyCookie(servers, cookie) : undefined, maker);
}

/** One HostIndex per entry point; the previous table's when its routes and entry points are the same. */
function* indexRoutes(routes: ReadonlyMap<string, Route>, entryPoints: readonly string[], previous: RoutingTable | undefined): Steps<ReadonlyMap<string, RouterSet>> {
  if (previous?.routes === routes && sameNames(previous.entryPoints, entryPoints)) return previous.entryPoints;
  const indexes = new Map<string, HostIndex<Route>>();
  for (const ep of entryPoints) indexes.set(ep, new HostIndex<Route>());
  let n = 0;
  for (const route of routes.values()) {
    if (++n % STEP === 0) yield;
    const eps = route.config.entryPoints.length > 0 ? route.config.entryPoints : entryPoints;
    for (const ep of eps) indexes.get(ep)?.add(route, route.hosts);
  }
  const sets = new Map<string, RouterSet>();
  for (const [ep, index] of indexes) sets.set(ep, new RouterSet(index));
  return sets;
}

function sameNames(map: ReadonlyMap<string, unknown>, names: readonly string[]): boolean {
  if (map.size !== names.length) return false;
  let i = 0;
  for (const name of map.keys()) if (name !== names[i++]) return false;
  return true;
}

/**
 * Servers of the services `before` (the previous table's that changed or went) and of abandoned
 * builds' that the new table does not hold start draining; pools of services that are gone are
 * forgotten. Costs what changed: unchanged services are never looked at.
 */
function drainLeft(services: ReadonlyMap<string, ServiceRuntime>, before: readonly ServiceRuntime[], registry: ServerRegistry, options: BuildOptions): void {
  const left: ServerState[] = [];
  const gone = new Set<string>();
  const release = (old: ServiceRuntime): void => {
    const now = services.get(old.name);
    if (now === old) return;
    if (!now) gone.add(old.name);
    // Servers never acquired hold nothing in the registry: nothing to drain, and no reason to
    // acquire the new runtime's to compare.
    const olds = old.acquiredServers;
    if (!olds) return;
    const kept = new Set(now?.servers.map((s) => s.state));
    for (const s of olds) if (!kept.has(s.state)) left.push(s.state);
  };
  for (const old of before) release(old);
  if (options.spare) {
    for (const old of options.spare.values()) release(old);
    options.spare.clear();
  }
  if (left.length > 0 || gone.size > 0) registry.drain(left, gone);
}
