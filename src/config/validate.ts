import { compiledRule, RuleError } from '../rules/index.js';
import type {
  ConfigError,
  DynamicConfig,
  ItemReport,
  ProviderSnapshot,
  RouterConfig,
  ServiceConfig,
  ValidatedConfig,
} from './dynamic-config.js';
import { defaultCookieName, routerSchema, serviceSchema } from './dynamic-schema.js';
import { ItemCache, itemScope } from './item-cache.js';
import { qualify } from './qualify.js';
import { dottedPath, issuesOf } from './zod-helpers.js';

export interface ValidateOptions {
  /** Entry points defined in the static config; routers naming others are dropped. */
  entryPoints: readonly string[];
}

const SUPPORTED_SECTIONS = new Set(['routers', 'services']);

// Validated forms of items seen valid in the last round (immutable once made; shared by tables).
const serviceCache = new ItemCache<ServiceConfig>();
const routerCache = new ItemCache<RouterConfig>();

/**
 * Merges every provider's snapshot into one config with qualified names and validates it item
 * by item: an invalid item is dropped with an error naming it; everything else goes live.
 */
export function validateSnapshots(snapshots: Iterable<ProviderSnapshot>, options: ValidateOptions): ValidatedConfig {
  const config: DynamicConfig = { http: { routers: {}, services: {} } };
  const status: ValidatedConfig['status'] = { routers: {}, services: {} };
  const errors: ConfigError[] = [];
  const pendingRouters: Array<{ name: string; router: RouterConfig; report: ItemReport; snapshot: ProviderSnapshot }> = [];

  for (const snapshot of snapshots) {
    const { provider } = snapshot;
    for (const e of snapshot.errors ?? []) errors.push(e);
    const origin = (path: string): string | undefined => originOf(snapshot.origins, path);
    const raw = snapshot.config ?? {};
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

    for (const [name, item] of Object.entries(raw.http?.services ?? {})) {
      const qualified = qualify(name, provider);
      const label = `service ${qualified}`;
      const base = `http.services.${name}`;
      const scope = itemScope(provider, name);
      const known = serviceCache.get(scope, item);
      if (known) {
        config.http.services[qualified] = known;
        status.services[qualified] = report(provider, [], known, origin(base));
        continue;
      }
      const itemErrors: ConfigError[] = [];
      if (name.includes('@')) {
        itemErrors.push({ provider, item: label, field: '', message: 'a service name must not contain "@"; the provider suffix is added for you', origin: origin(base) });
      }
      const parsed = serviceSchema.safeParse(item ?? {});
      let service: ServiceConfig | undefined;
      if (!parsed.success) {
        for (const i of issuesOf(parsed.error)) {
          itemErrors.push({ provider, item: label, field: i.field, message: i.message, origin: origin(dottedPath(base, i.path)) });
        }
      } else {
        const lb = parsed.data.loadBalancer;
        const seen = new Set<string>();
        lb.servers.forEach((s, i) => {
          const normal = new URL(s.url).href;
          if (seen.has(normal)) {
            itemErrors.push({ provider, item: label, field: `loadBalancer.servers[${i}].url`, message: `server ${s.url} is listed twice; list each server once and use weight to give it a bigger share`, origin: origin(`${base}.loadBalancer.servers.${i}.url`) });
          }
          seen.add(normal);
        });
        const cookie = lb.sticky?.cookie;
        service = {
          loadBalancer: {
            strategy: lb.strategy,
            servers: lb.servers.map((s) => ({ url: s.url, weight: s.weight })),
            passHostHeader: lb.passHostHeader,
            retries: lb.retries,
            retryBodyLimit: lb.retryBodyLimit,
            slowStart: lb.slowStart,
            panicThreshold: lb.panicThreshold,
            ...(lb.healthCheck ? { healthCheck: lb.healthCheck } : {}),
            ...(lb.passiveHealthCheck ? { passiveHealthCheck: lb.passiveHealthCheck } : {}),
            ...(cookie ? { sticky: { cookie: { ...cookie, name: cookie.name ?? defaultCookieName(qualified) } } } : {}),
          },
        };
      }
      errors.push(...itemErrors);
      if (itemErrors.length === 0 && service) {
        config.http.services[qualified] = service;
        serviceCache.set(scope, item, service);
      }
      status.services[qualified] = report(provider, itemErrors, itemErrors.length === 0 && service ? service : item, origin(base));
    }

    for (const [name, item] of Object.entries(raw.http?.routers ?? {})) {
      const qualified = qualify(name, provider);
      const label = `router ${qualified}`;
      const base = `http.routers.${name}`;
      // Entry points are part of the key: whether a router is valid depends on them.
      const scope = itemScope(provider, name, options.entryPoints.join(','));
      const known = routerCache.get(scope, item);
      if (known) {
        const rep = report(provider, [], known, origin(base));
        status.routers[qualified] = rep;
        pendingRouters.push({ name: qualified, router: known, report: rep, snapshot });
        continue;
      }
      const itemErrors: ConfigError[] = [];
      if (name.includes('@')) {
        itemErrors.push({ provider, item: label, field: '', message: 'a router name must not contain "@"; the provider suffix is added for you', origin: origin(base) });
      }
      const parsed = routerSchema.safeParse(item ?? {});
      if (!parsed.success) {
        for (const i of issuesOf(parsed.error)) {
          itemErrors.push({ provider, item: label, field: i.field, message: i.message, origin: origin(dottedPath(base, i.path)) });
        }
        errors.push(...itemErrors);
        status.routers[qualified] = report(provider, itemErrors, item, origin(base));
        continue;
      }
      const r = parsed.data;
      try {
        compiledRule(r.rule);
      } catch (err) {
        if (!(err instanceof RuleError)) throw err;
        itemErrors.push({ provider, item: label, field: 'rule', message: `column ${err.column}: ${err.reason} in ${JSON.stringify(r.rule)}`, origin: origin(`${base}.rule`) });
      }
      for (const [i, ep] of r.entryPoints.entries()) {
        if (!options.entryPoints.includes(ep)) {
          itemErrors.push({ provider, item: label, field: `entryPoints[${i}]`, message: `unknown entry point ${JSON.stringify(ep)}; the static config defines ${options.entryPoints.join(', ')}`, origin: origin(`${base}.entryPoints.${i}`) });
        }
      }
      const router: RouterConfig = { entryPoints: r.entryPoints, rule: r.rule, priority: r.priority, service: qualify(r.service, provider) };
      const rep = report(provider, itemErrors, router, origin(base));
      status.routers[qualified] = rep;
      if (itemErrors.length > 0) {
        errors.push(...itemErrors);
        continue;
      }
      routerCache.set(scope, item, router);
      pendingRouters.push({ name: qualified, router, report: rep, snapshot });
    }
  }
  serviceCache.rotate();
  routerCache.rotate();

  // References are checked after every provider is in: a router may name another provider's service.
  for (const { name, router, report: rep, snapshot } of pendingRouters) {
    if (config.http.services[router.service]) {
      config.http.routers[name] = router;
      continue;
    }
    const known = status.services[router.service];
    const message = known
      ? `service ${router.service} is disabled because of its own errors; fix the service`
      : `service ${router.service} does not exist${closestName(router.service, Object.keys(status.services))}`;
    const e: ConfigError = { provider: snapshot.provider, item: `router ${name}`, field: 'service', message, origin: originOf(snapshot.origins, `http.routers.${name.slice(0, name.lastIndexOf('@'))}.service`) };
    errors.push(e);
    rep.status = 'disabled';
    rep.errors.push(formatShort(e));
  }
  return { config, status, errors };
}

function report(provider: string, errs: ConfigError[], config: unknown, origin: string | undefined): ItemReport {
  return {
    status: errs.length === 0 ? 'enabled' : 'disabled',
    provider,
    errors: errs.map(formatShort),
    config,
    ...(origin ? { origin } : {}),
  };
}

function formatShort(e: ConfigError): string {
  return `${e.origin ? `${e.origin}: ` : ''}${e.field ? `${e.field}: ` : ''}${e.message}`;
}

/** Nearest recorded origin for a dotted path: the field itself, else its closest parent. */
function originOf(origins: Record<string, string> | undefined, path: string): string | undefined {
  if (!origins) return undefined;
  let p = path;
  for (;;) {
    const hit = origins[p];
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
