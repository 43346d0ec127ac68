import type { z } from 'zod';
import { objectList } from '../object-list.js';
import { newRuleGeneration, RuleError } from '../rules/index.js';
import { PauseBudget, runInSlices, runToEnd, type SlicedResult, type Steps } from '../time-slices.js';
import type {
  ConfigError,
  DynamicConfig,
  ItemReport,
  LoadBalancerConfig,
  OriginLookup,
  Origins,
  ProviderSnapshot,
  RouterConfig,
  ServiceConfig,
  ValidatedConfig,
} from './dynamic-config.js';
import { compiledItemSchemas, compileItemSchemas } from './dynamic-schema.js';
import { DeferredMap } from './deferred-map.js';
import { ItemCache, type CacheEntry } from './item-cache.js';
import { loadBalancerOf, plainLoadBalancer } from './load-balancer.js';
import { plainRouter } from './plain-router.js';
import { qualify } from './qualify.js';
import { ValidRouter } from './valid-router.js';
import { dottedPath, issuesOf } from './zod-helpers.js';

export interface ValidateOptions {
  /** Entry points defined in the static config; routers naming others are dropped. */
  entryPoints: readonly string[];
}

/**
 * What validation made of a valid item; kept across rounds so an unchanged item costs a lookup.
 * It is the item's status report too (immutable as a report: the cache moves only `item` and
 * `round`), rather than holding one: a 10,000-router load keeps 20,000 objects fewer. The admin
 * API shows a report's own fields only (reportView), never the cache's.
 */
interface Known<C> extends CacheEntry, ItemReport {
  status: 'enabled';
  config: C;
  qualified: string;
  origin: string | undefined;
}

const SUPPORTED_SECTIONS = new Set(['routers', 'services']);
/**
 * Sliced validation may pause after this many unchanged items (a checked clock costs too), or
 * after STEP / MISS_COST items validated in full. A pause point per validated item measured
 * ~3% of a 10,000-router first load.
 */
const STEP = 64;
const MISS_COST = 8;

// Validated forms of items seen valid (immutable once made; shared by configs and tables).
const serviceCache = new ItemCache<Known<ServiceConfig>>();
const routerCache = new ItemCache<Known<RouterConfig>>();
/** A cached router is valid for these entry points only; other ones empty the router cache. */
let routerCacheEntryPoints = '';

/**
 * Merges every provider's snapshot into one config with qualified names and validates it item
 * by item: an invalid item is dropped with an error naming it; everything else goes live.
 */
export function validateSnapshots(snapshots: Iterable<ProviderSnapshot>, options: ValidateOptions): ValidatedConfig {
  return runToEnd(validationSteps([...snapshots], options));
}

/**
 * The same validation in time slices that yield to the event loop, so a large new config does
 * not stall requests; `isStale` abandons it (a newer snapshot arrived) between two slices.
 */
export function validateSnapshotsSliced(
  snapshots: Iterable<ProviderSnapshot>,
  options: ValidateOptions,
  isStale?: () => boolean,
): Promise<SlicedResult<ValidatedConfig>> {
  return runInSlices(validationSteps([...snapshots], options), isStale);
}

/**
 * What one validation round builds up. Each kind of item has a loop of its own (serviceSteps,
 * routerSteps, referenceSteps): V8 optimises each on its own, where one function holding all
 * three deoptimised on entering each next loop (too little type feedback there yet) and was
 * compiled again, several times per first load of a process.
 */
interface Round {
  readonly options: ValidateOptions;
  readonly routersOut: Map<string, RouterConfig>;
  readonly servicesOut: Map<string, ServiceConfig>;
  // Read by the admin API only: filed as lists, made into Maps when first read (deferred-map.ts).
  readonly routerStatus: DeferredMap<string, ItemReport>;
  readonly serviceStatus: DeferredMap<string, ItemReport>;
  readonly errors: ConfigError[];
  // Routers whose service is not in yet wait for every provider's (parallel arrays: no pair objects).
  readonly pendingRouters: Array<Known<RouterConfig>>;
  readonly pendingSnapshots: ProviderSnapshot[];
  readonly budget: PauseBudget;
}

type OriginOf = (path: string) => string | undefined;

function* validationSteps(snapshots: readonly ProviderSnapshot[], options: ValidateOptions): Steps<ValidatedConfig> {
  const entryPointsKey = options.entryPoints.join(',');
  if (entryPointsKey !== routerCacheEntryPoints) {
    routerCache.clear();
    routerCacheEntryPoints = entryPointsKey;
  }
  serviceCache.beginRound();
  routerCache.beginRound();
  newRuleGeneration();
  // The first validation of a process compiles the item schemas, one step each.
  yield* compileItemSchemas();
  const round: Round = {
    options,
    routersOut: new Map(),
    servicesOut: new Map(),
    routerStatus: new DeferredMap(),
    serviceStatus: new DeferredMap(),
    errors: [],
    pendingRouters: objectList(),
    pendingSnapshots: objectList(),
    budget: new PauseBudget(STEP),
  };
  const { errors } = round;
  for (const snapshot of snapshots) {
    for (const e of snapshot.errors ?? []) errors.push(e);
    const origin = (path: string): string | undefined => originOf(snapshot.origins, path);
    const raw = snapshot.config ?? {};
    checkSections(raw, snapshot.provider, origin, errors);
    yield* serviceSteps(round, snapshot, origin, raw.http?.services ?? {});
    yield* routerSteps(round, snapshot, origin, raw.http?.routers ?? {});
  }
  serviceCache.endRound();
  routerCache.endRound();
  yield* referenceSteps(round);
  const config: DynamicConfig = { http: { routers: round.routersOut, services: round.servicesOut } };
  return { config, status: { routers: round.routerStatus, services: round.serviceStatus }, errors };
}

/** One snapshot's services: each known one recalled, each other validated and cached if valid. */
function* serviceSteps(round: Round, snapshot: ProviderSnapshot, origin: OriginOf, services: Readonly<Record<string, unknown>>): Steps<void> {
  const { provider } = snapshot;
  const { budget, errors, servicesOut, serviceStatus } = round;
  for (const name of Object.keys(services)) {
    if (budget.tick()) yield;
    const item = services[name];
    // No origins (tests, bench): no path string to build per item.
    const at = snapshot.origins && origin(`http.services.${name}`);
    const known = recall(serviceCache, provider, name, item, at);
    if (known) {
      servicesOut.set(known.qualified, known.config);
      serviceStatus.set(known.qualified, known);
      continue;
    }
    budget.spend(MISS_COST);
    const qualified = qualify(name, provider);
    const before = errors.length;
    const service = validateService(provider, name, qualified, item, origin, errors);
    if (service) {
      const fresh = knownItem(provider, service, qualified, at, item);
      serviceCache.set(provider, name, item, fresh);
      servicesOut.set(qualified, service);
      serviceStatus.set(qualified, fresh);
    } else {
      serviceStatus.set(qualified, report(provider, errors.slice(before), item, at));
    }
  }
}

/** One snapshot's routers: a valid one goes live if its service is in, else waits for referenceSteps (every provider's services). */
function* routerSteps(round: Round, snapshot: ProviderSnapshot, origin: OriginOf, routers: Readonly<Record<string, unknown>>): Steps<void> {
  const { provider } = snapshot;
  const { budget, errors, routerStatus, routersOut, servicesOut, pendingRouters, pendingSnapshots } = round;
  for (const name of Object.keys(routers)) {
    if (budget.tick()) yield;
    const item = routers[name];
    const at = snapshot.origins && origin(`http.routers.${name}`);
    let known = recall(routerCache, provider, name, item, at);
    if (!known) {
      budget.spend(MISS_COST);
      const qualified = qualify(name, provider);
      const before = errors.length;
      const router = validateRouter(provider, name, qualified, item, origin, round.options.entryPoints, errors);
      if (!router || errors.length > before) {
        // The report shows the validated form when the fields parsed, else what the provider gave.
        routerStatus.set(qualified, report(provider, errors.slice(before), router ?? item, at));
        continue;
      }
      known = knownItem(provider, router, qualified, at, item);
      routerCache.set(provider, name, item, known);
    }
    routerStatus.set(known.qualified, known);
    // Its service validated already (this provider's, or an earlier one's): live now. Else it
    // waits for every provider's services (referenceSteps). One pass instead of two for the
    // usual router: a 10,000-router load made 20,000 list entries just to look them up again.
    if (servicesOut.has(known.config.service)) routersOut.set(known.qualified, known.config);
    else {
      pendingRouters.push(known);
      pendingSnapshots.push(snapshot);
    }
  }
}

/** References not resolved yet, checked once every provider is in: a router may name a later provider's service. */
function* referenceSteps(round: Round): Steps<void> {
  const { errors, pendingRouters, pendingSnapshots, routersOut, routerStatus, servicesOut, serviceStatus } = round;
  for (let i = 0; i < pendingRouters.length; i++) {
    if (i % STEP === STEP - 1) yield;
    const known = pendingRouters[i]!;
    const { config: router, qualified: name } = known;
    if (servicesOut.has(router.service)) {
      routersOut.set(name, router);
      continue;
    }
    const snapshot = pendingSnapshots[i]!;
    const reported = serviceStatus.has(router.service);
    const message = reported
      ? `service ${router.service} is disabled because of its own errors; fix the service`
      : `service ${router.service} does not exist${closestName(router.service, [...serviceStatus.keys()])}`;
    const e: ConfigError = { provider: snapshot.provider, item: `router ${name}`, field: 'service', message, origin: originOf(snapshot.origins, `http.routers.${name.slice(0, name.lastIndexOf('@'))}.service`) };
    errors.push(e);
    // A new report: the cached one stays 'enabled' for the configs where the service exists.
    routerStatus.set(name, report(snapshot.provider, [e], router, known.origin));
  }
}

function checkSections(raw: ProviderSnapshot['config'], provider: string, origin: OriginOf, errors: ConfigError[]): void {
  for (const key of Object.keys(raw)) {
    if (key !== 'http') {
      errors.push({ provider, item: `${key} configuration`, field: '', message: `${key} is not supported yet; only http routers and services are`, origin: origin(key) });
    }
  }
  for (const key of Object.keys(raw.http ?? {})) {
    if (!SUPPORTED_SECTIONS.has(key)) {
      errors.push({ provider, item: `http.${key}`, field: '', message: `http.${key} is not supported yet; only routers and services are`, origin: origin(`http.${key}`) });
    }
  }
}

// Validating an item pushes its errors onto the round's list (the caller takes the item's own
// from where the list stood) and builds the strings of a message only for an error: the usual
// item allocates no error list, result wrapper, label or path.

const labelOf = (kind: 'service' | 'router', qualified: string): string => `${kind} ${qualified}`;
const baseOf = (kind: 'service' | 'router', name: string): string => `http.${kind}s.${name}`;

/** An item's name: the provider suffix is validation's to add. */
function checkName(kind: 'service' | 'router', provider: string, name: string, qualified: string, origin: (path: string) => string | undefined, errors: ConfigError[]): void {
  if (name.includes('@')) {
    errors.push({ provider, item: labelOf(kind, qualified), field: '', message: `a ${kind} name must not contain "@"; the provider suffix is added for you`, origin: origin(baseOf(kind, name)) });
  }
}

/** An item through its zod schema, with the name check services and routers share; undefined when the fields did not parse. */
function parseItem<T>(
  kind: 'service' | 'router',
  schema: z.ZodType<T>,
  provider: string,
  name: string,
  qualified: string,
  item: unknown,
  origin: (path: string) => string | undefined,
  errors: ConfigError[],
): T | undefined {
  checkName(kind, provider, name, qualified, origin, errors);
  const parsed = schema.safeParse(item ?? {});
  if (parsed.success) return parsed.data;
  for (const i of issuesOf(parsed.error)) {
    errors.push({ provider, item: labelOf(kind, qualified), field: i.field, message: i.message, origin: origin(dottedPath(baseOf(kind, name), i.path)) });
  }
  return undefined;
}

/** The validated service, or undefined when it has errors (pushed onto `errors`). */
function validateService(
  provider: string,
  name: string,
  qualified: string,
  item: unknown,
  origin: (path: string) => string | undefined,
  errors: ConfigError[],
): ServiceConfig | undefined {
  const before = errors.length;
  // The usual service needs no zod (load-balancer.ts); any other goes through the schema.
  let loadBalancer = plainLoadBalancer(item);
  if (loadBalancer) checkName('service', provider, name, qualified, origin, errors);
  else {
    const data = parseItem('service', compiledItemSchemas().service, provider, name, qualified, item, origin, errors);
    if (!data) return undefined;
    loadBalancer = loadBalancerOf(data.loadBalancer, qualified);
  }
  const servers = loadBalancer.servers;
  // One server cannot be listed twice: no second URL parse for the usual service.
  if (servers.length > 1) {
    const seen = new Set<string>();
    servers.forEach((s, i) => {
      const normal = new URL(s.url).href;
      if (seen.has(normal)) {
        errors.push({ provider, item: labelOf('service', qualified), field: `loadBalancer.servers[${i}].url`, message: `server ${s.url} is listed twice; list each server once and use weight to give it a bigger share`, origin: origin(`${baseOf('service', name)}.loadBalancer.servers.${i}.url`) });
      }
      seen.add(normal);
    });
  }
  if (errors.length > before) return undefined;
  return { loadBalancer };
}

function validateRouter(
  provider: string,
  name: string,
  qualified: string,
  item: unknown,
  origin: (path: string) => string | undefined,
  entryPoints: readonly string[],
  errors: ConfigError[],
): RouterConfig | undefined {
  // The router is returned whenever the fields parsed; it is valid only if it pushed no errors.
  // The usual router needs no zod (plain-router.ts); any other goes through the schema.
  let r = plainRouter(item);
  if (r) checkName('router', provider, name, qualified, origin, errors);
  else {
    const data = parseItem('router', compiledItemSchemas().router, provider, name, qualified, item, origin, errors);
    if (!data) return undefined;
    r = new ValidRouter(data.entryPoints, data.rule, data.priority, data.service);
  }
  try {
    // Kept on the router for the table build (valid-router.ts).
    r.compile();
  } catch (err) {
    if (!(err instanceof RuleError)) throw err;
    errors.push({ provider, item: labelOf('router', qualified), field: 'rule', message: `column ${err.column}: ${err.reason} in ${JSON.stringify(r.rule)}`, origin: origin(`${baseOf('router', name)}.rule`) });
  }
  for (let i = 0; i < r.entryPoints.length; i++) {
    const ep = r.entryPoints[i]!;
    if (!entryPoints.includes(ep)) {
      errors.push({ provider, item: labelOf('router', qualified), field: `entryPoints[${i}]`, message: `unknown entry point ${JSON.stringify(ep)}; the static config defines ${entryPoints.join(', ')}`, origin: origin(`${baseOf('router', name)}.entryPoints.${i}`) });
    }
  }
  // No entry points (the usual router: every entry point) as one shared list, not one per router.
  if (r.entryPoints.length === 0) r.entryPoints = EVERY_ENTRY_POINT;
  // A fresh ValidRouter (plainRouter's, or made of zod's output): kept as the validated router, not copied.
  // The service's qualified name is the string validation already made for it (when it is this
  // provider's and known): one string per service, not one more per router, hashed once as a key.
  r.service = (!r.service.includes('@') && serviceCache.peek(provider, r.service)?.qualified) || qualify(r.service, provider);
  return r;
}

/** What validation made of an unchanged item; its report follows it when its place in the source moved. */
function recall<C>(cache: ItemCache<Known<C>>, provider: string, name: string, item: unknown, origin: string | undefined): Known<C> | undefined {
  const known = cache.get(provider, name, item);
  if (!known || known.origin === origin) return known;
  // A new entry: the old one stays the report of the configs that saw the item where it was.
  const moved = knownItem(known.provider, known.config, known.qualified, origin, item);
  cache.set(provider, name, item, moved);
  return moved;
}

/** The entryPoints of every router that names none (frozen: validated configs are shared, never edited). */
const EVERY_ENTRY_POINT: string[] = Object.freeze([]) as unknown as string[];

/** The errors list of every report without errors (frozen: reports are shared, never edited). */
const NO_ERRORS: string[] = Object.freeze([]) as unknown as string[];
/** A valid item's cache entry and report in one: a literal, not a spread (this runs for every new valid item, and a spread takes V8's slow copying path). */
function knownItem<C>(provider: string, config: C, qualified: string, origin: string | undefined, item: unknown): Known<C> {
  return { status: 'enabled', provider, errors: NO_ERRORS, config, origin, qualified, item, round: 0 };
}

/** The report of an item disabled by `errs` (never empty: a valid item's report is its cache entry, knownItem). */
function report(provider: string, errs: readonly ConfigError[], config: unknown, origin: string | undefined): ItemReport {
  const r: ItemReport = { status: 'disabled', provider, errors: errs.map(formatShort), config };
  if (origin) r.origin = origin;
  return r;
}

function formatShort(e: ConfigError): string {
  return `${e.origin ? `${e.origin}: ` : ''}${e.field ? `${e.field}: ` : ''}${e.message}`;
}

/** Nearest recorded origin for a dotted path: the field itself, else its closest parent. */
function originOf(origins: Origins | undefined, path: string): string | undefined {
  if (!origins) return undefined;
  const lookup = typeof (origins as OriginLookup).get === 'function' ? (origins as OriginLookup) : undefined;
  const record = origins as Readonly<Record<string, string>>;
  let p = path;
  for (;;) {
    const hit = lookup ? lookup.get(p) : record[p];
    if (hit) return hit;
    const dot = p.lastIndexOf('.');
    if (dot < 0) return undefined;
    p = p.slice(0, dot);
  }
}

function closestName(wanted: string, names: string[]): string {
  const lower = wanted.toLowerCase();
  const hit = names.find((n) => n.toLowerCase() === lower);
  if (hit) return `; did you mean ${hit}? (names are case-sensitive)`;
  return names.length > 0 ? `; known services: ${names.slice(0, 10).join(', ')}${names.length > 10 ? ', …' : ''}` : '; no service is defined';
}
