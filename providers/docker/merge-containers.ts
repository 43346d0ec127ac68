import { isDeepStrictEqual } from 'node:util';
import type { ConfigError, RawDynamicConfig } from '../../src/config/dynamic-config.js';
import { sortTokens } from '../kv/kv-to-config.js';
import type { ContainerConfig, ServerPart } from './container-config.js';

export interface MergedContainers {
  config: RawDynamicConfig;
  origins: Record<string, string>;
  errors: ConfigError[];
}

interface Owner {
  container: ContainerConfig;
  item: unknown;
}

/**
 * Every container's share → one snapshot. Containers naming the same service are pooled, one
 * server each, listed by container name. An item two containers define differently keeps the
 * older container's definition (a rolling update that changes labels keeps working) and the
 * difference is reported; a server URL two containers claim is used once.
 */
export function mergeContainers(containers: Iterable<ContainerConfig>, provider: string): MergedContainers {
  const ordered = [...containers].sort((a, b) => a.created - b.created || compare(a.name, b.name) || compare(a.id, b.id));
  const errors: ConfigError[] = [];
  const routers = new Map<string, Owner>();
  const services = new Map<string, Owner>();
  const pools = new Map<string, Array<{ container: ContainerConfig; server: ServerPart }>>();
  const extra: Record<string, unknown> = {};
  const extraHttp: Record<string, unknown> = {};
  const origins: Record<string, string> = {};

  const claim = (owners: Map<string, Owner>, kind: 'router' | 'service', name: string, c: ContainerConfig, item: unknown): void => {
    const first = owners.get(name);
    if (!first) {
      owners.set(name, { container: c, item });
      Object.assign(origins, c.origins.get(`http.${kind}s.${name}`));
      return;
    }
    if (isDeepStrictEqual(first.item, item)) return;
    errors.push({
      provider,
      item: `${kind} ${name}@${provider}`,
      field: '',
      message: `containers ${first.container.name} and ${c.name} define it differently (${differingFields(first.item, item)}); using ${first.container.name}'s, the older one`,
      origin: `container ${c.name}`,
    });
  };

  for (const c of ordered) {
    errors.push(...c.errors);
    for (const [name, item] of Object.entries(c.routers)) claim(routers, 'router', name, c, item);
    for (const [name, item] of Object.entries(c.services)) {
      claim(services, 'service', name, c, item);
      const server = c.servers[name];
      if (!server) continue;
      let pool = pools.get(name);
      if (!pool) pools.set(name, (pool = []));
      const taken = pool.find((p) => p.server.url === server.url);
      if (taken) {
        errors.push({
          provider,
          item: `service ${name}@${provider}`,
          field: 'loadBalancer.servers',
          message: `containers ${taken.container.name} and ${c.name} both resolve to ${server.url}; ${c.name} is left out (give each its own port or network address)`,
          origin: server.urlOrigin,
        });
        continue;
      }
      pool.push({ container: c, server });
    }
    for (const [k, v] of Object.entries(c.extra)) {
      if (k === 'http' && isObject(v)) for (const [hk, hv] of Object.entries(v)) extraHttp[hk] ??= hv;
      else extra[k] ??= v;
    }
    for (const [path, origin] of Object.entries(c.origins.get('') ?? {})) origins[path] ??= origin;
  }

  const outRouters: Record<string, unknown> = {};
  for (const [name, { item }] of routers) outRouters[name] = item;
  const outServices: Record<string, unknown> = {};
  for (const [name, { item }] of services) {
    const pool = pools.get(name) ?? [];
    const byName = new Map(pool.map((p) => [p.container.name, p]));
    const servers = sortTokens([...byName.keys()]).map((n) => byName.get(n)!);
    outServices[name] = withServers(item, servers.map((p) => p.server));
    servers.forEach((p, i) => {
      const at = `http.services.${name}.loadBalancer.servers.${i}`;
      origins[at] = `container ${p.container.name}`;
      origins[`${at}.url`] = p.server.urlOrigin;
      if (p.server.weightOrigin) origins[`${at}.weight`] = p.server.weightOrigin;
    });
  }
  return {
    config: { ...extra, http: { ...extraHttp, routers: outRouters, services: outServices } } as RawDynamicConfig,
    origins,
    errors,
  };
}

/** The service item with its pool; an item whose loadBalancer is not a mapping is left for validation to report. */
function withServers(item: unknown, servers: ServerPart[]): unknown {
  const base = isObject(item) ? item : {};
  const lb = base['loadBalancer'] ?? {};
  if (!isObject(lb)) return item;
  return { ...base, loadBalancer: { ...lb, servers: servers.map((s) => (s.weight === undefined ? { url: s.url } : { url: s.url, weight: s.weight })) } };
}

/** Dotted paths of the fields where two definitions differ: `loadBalancer.strategy`. */
function differingFields(a: unknown, b: unknown, path = ''): string {
  if (!isObject(a) || !isObject(b)) return path || 'different values';
  return [...new Set([...Object.keys(a), ...Object.keys(b)])]
    .filter((k) => !isDeepStrictEqual(a[k], b[k]))
    .map((k) => differingFields(a[k], b[k], path ? `${path}.${k}` : k))
    .join(', ');
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
