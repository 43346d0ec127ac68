import type { RouterConfig } from '../config/dynamic-config.js';
import { ValidRouter } from '../config/valid-router.js';
import type { Steps } from '../time-slices.js';
import { MapDraft } from './map-draft.js';
import type { Route, ServiceRuntime } from './routing-table.js';

/** A router placed in priority order. */
interface Ranked {
  readonly name: string;
  readonly priority: number;
  readonly config: RouterConfig;
}

/** Items between two points where a sliced build may pause. */
export const STEP = 64;

/**
 * Every router with a live service as a Route, by name in priority order: higher priority
 * first; 0 means "length of the rule" (Traefik); ties by name, so the order never depends on
 * the order providers happened to list things. Routers whose config is the same object as in
 * `previous` keep their place without sorting again (only new or changed ones are sorted in),
 * and keep their Route object when its service and position are unchanged too. When nothing
 * changed, the previous routes map itself comes back.
 */
export function* orderRoutes(
  routers: ReadonlyMap<string, RouterConfig>,
  services: ReadonlyMap<string, ServiceRuntime>,
  previous: { routes: ReadonlyMap<string, Route>; services: ReadonlyMap<string, ServiceRuntime> } | undefined,
): Steps<ReadonlyMap<string, Route>> {
  const before = previous?.routes;
  if (!before || before.size === 0) return yield* firstRoutes(routers, services);
  const added: Ranked[] = [];
  let kept = 0;
  let n = 0;
  for (const [name, config] of routers) {
    if (++n % STEP === 0) yield;
    if (before?.get(name)?.config === config) kept++;
    else added.push({ name, config, priority: config.priority > 0 ? config.priority : config.rule.length });
  }

  let ranked: Iterable<Ranked>;
  if (before && added.length === 0 && kept === before.size) {
    // Same routers; with the same services too, the same routes.
    if (services === previous!.services) return before;
    const same = yield* withServices(before, services);
    if (same) return same;
    ranked = before.values();
  } else {
    const stays: Ranked[] = [];
    if (before) {
      for (const route of before.values()) {
        if (++n % STEP === 0) yield;
        if (routers.get(route.name) === route.config) stays.push(route);
      }
    }
    const sorted = yield* sortSteps(added, byPriority);
    // Nothing stays (every router changed): the sorted list as it is, no generator step per route.
    ranked = stays.length === 0 ? sorted : merge(stays, sorted);
  }

  return yield* routesFrom(ranked, services, before);
}

/**
 * The routes of `ranked`, in its order. A loop of its own, not the end of orderRoutes: V8 then
 * optimises it on its own, where orderRoutes' code, optimised in its first loop, deoptimised on
 * reaching this one (no type feedback there yet) on each of a process's first loads.
 */
function* routesFrom(ranked: Iterable<Ranked>, services: ReadonlyMap<string, ServiceRuntime>, before: ReadonlyMap<string, Route> | undefined): Steps<ReadonlyMap<string, Route>> {
  const routes = new MapDraft(before);
  let n = 0;
  for (const r of ranked) {
    if (++n % STEP === 0) yield;
    const service = services.get(r.config.service);
    if (!service) continue; // validation already disabled it
    const order = routes.size;
    const was = before?.get(r.name);
    if (was && was.config === r.config && was.service === service && was.order === order) {
      routes.set(r.name, was);
      continue;
    }
    // A route that only moved (another router came before it) keeps its compiled rule.
    const { hosts, rest } = was && was.config.rule === r.config.rule ? was : ValidRouter.compiledOf(r.config);
    routes.set(r.name, { name: r.name, priority: r.priority, order, hosts, rest, service, config: r.config });
  }
  return routes.done();
}

/** A Route while its table is built: numbered once sorted. */
type Draft = { -readonly [K in keyof Route]: Route[K] };

/**
 * A table's first routes (nothing before them to keep): each made at once, sorted by priority,
 * then numbered in that order. The general path places a Ranked object per router first and
 * makes its Route after the sort: 10,000 objects more in a first load, each copied twice by
 * the young-generation GC while it lives (bench/RESULTS.md, "First load: servers acquired by
 * their first reader, and the common rule read directly").
 */
function* firstRoutes(routers: ReadonlyMap<string, RouterConfig>, services: ReadonlyMap<string, ServiceRuntime>): Steps<ReadonlyMap<string, Route>> {
  const made: Draft[] = [];
  let n = 0;
  for (const [name, config] of routers) {
    if (++n % STEP === 0) yield;
    const service = services.get(config.service);
    if (!service) continue; // validation already disabled it
    const { hosts, rest } = ValidRouter.compiledOf(config);
    made.push({ name, priority: config.priority > 0 ? config.priority : config.rule.length, order: 0, hosts, rest, service, config });
  }
  const sorted = yield* sortSteps(made, byPriority);
  const routes = new Map<string, Route>();
  for (let i = 0; i < sorted.length; i++) {
    if (i % STEP === STEP - 1) yield;
    const route = sorted[i]!;
    route.order = i;
    routes.set(route.name, route);
  }
  return routes;
}

/**
 * The same routes where only services changed: a copy with a new Route for each route whose
 * service is a new runtime, everything else (and the order) kept. Undefined when a route's
 * service is gone, which moves the routes after it (the general path handles that).
 */
function* withServices(before: ReadonlyMap<string, Route>, services: ReadonlyMap<string, ServiceRuntime>): Steps<ReadonlyMap<string, Route> | undefined> {
  const changed: Route[] = [];
  let n = 0;
  for (const route of before.values()) {
    if (++n % STEP === 0) yield;
    const service = services.get(route.config.service);
    if (!service) return undefined;
    if (service !== route.service) changed.push({ ...route, service });
  }
  if (changed.length === 0) return before;
  const routes = new Map(before);
  for (const route of changed) routes.set(route.name, route);
  return routes;
}

function byPriority(a: Ranked, b: Ranked): number {
  return b.priority - a.priority || (a.name < b.name ? -1 : a.name > b.name ? 1 : 0);
}

/** Sorted runs this long are sorted at once (well under a millisecond). */
const RUN = 256;

/**
 * A merge sort that can pause between runs and every STEP merged items: sorting 10,000 routes
 * at once holds the event loop for 10+ ms. Stable, like Array.prototype.sort.
 */
function* sortSteps<T>(items: readonly T[], compare: (a: T, b: T) => number): Steps<T[]> {
  let src: T[] = [];
  for (let lo = 0; lo < items.length; lo += RUN) {
    yield;
    src.push(...items.slice(lo, lo + RUN).sort(compare));
  }
  let dst: T[] = new Array<T>(src.length);
  for (let width = RUN; width < src.length; width *= 2) {
    for (let lo = 0; lo < src.length; lo += 2 * width) {
      const mid = Math.min(lo + width, src.length);
      const hi = Math.min(lo + 2 * width, src.length);
      let i = lo;
      let j = mid;
      for (let k = lo; k < hi; k++) {
        if (k % STEP === 0) yield;
        dst[k] = j >= hi || (i < mid && compare(src[i]!, src[j]!) <= 0) ? src[i++]! : src[j++]!;
      }
    }
    [src, dst] = [dst, src];
  }
  return src;
}

/** Two lists each in priority order, as one (names are unique, so there are no ties). */
function* merge(a: readonly Ranked[], b: readonly Ranked[]): Generator<Ranked> {
  let i = 0;
  let j = 0;
  while (i < a.length && j < b.length) yield byPriority(a[i]!, b[j]!) <= 0 ? a[i++]! : b[j++]!;
  while (i < a.length) yield a[i++]!;
  while (j < b.length) yield b[j++]!;
}
