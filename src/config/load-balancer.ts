import type { LoadBalancerConfig, ServerConfig } from './dynamic-config.js';
import { defaultCookieName, serviceSchema, serverUrlProblem, type ParsedService } from './dynamic-schema.js';
import { isPlainObject, isWholeNumber } from './plain-object.js';

// A service's validated load balancer: made from zod's output, or from the usual item without zod.

/**
 * The validated load balancer, built anew from zod's output even where it has the same fields:
 * keeping zod's objects was tried and measured no faster (bench/RESULTS.md, "Cold load, second
 * pass").
 */
export function loadBalancerOf(lb: ParsedService['loadBalancer'], qualified: string): LoadBalancerConfig {
  const cookie = lb.sticky?.cookie;
  const loadBalancer = withServers(lb, lb.servers.map((s) => ({ url: s.url, weight: s.weight })));
  // Optional fields assigned after the literal (same key order as before), not spread in.
  if (lb.healthCheck) loadBalancer.healthCheck = lb.healthCheck;
  if (lb.passiveHealthCheck) loadBalancer.passiveHealthCheck = lb.passiveHealthCheck;
  if (cookie) loadBalancer.sticky = { cookie: { ...cookie, name: cookie.name ?? defaultCookieName(qualified) } };
  return loadBalancer;
}

/** The fields every load balancer has, and nothing optional. */
type BaseFields = Pick<LoadBalancerConfig, 'strategy' | 'passHostHeader' | 'retries' | 'retryBodyLimit' | 'slowStart' | 'panicThreshold'>;

/**
 * The one literal both ways build: the same keys in the same order, so validated load balancers
 * share one shape whichever way they were read.
 */
function withServers(base: BaseFields, servers: ServerConfig[]): LoadBalancerConfig {
  return {
    strategy: base.strategy,
    servers,
    passHostHeader: base.passHostHeader,
    retries: base.retries,
    retryBodyLimit: base.retryBodyLimit,
    slowStart: base.slowStart,
    panicThreshold: base.panicThreshold,
  };
}

/**
 * The usual service, read without zod: `loadBalancer.servers` and nothing else, each server
 * a `url` that serverUrlProblem accepts (the check zod's schema makes) and perhaps a
 * whole-number `weight`. Most services of a big config are just a server list, and zod's parse
 * was ~10 ms of a 10,000-service first load (bench/RESULTS.md, "First load: items as providers
 * hand them over, and the usual item without zod"). Everything else — another field, a weight
 * written as a string (as KV stores give it), a URL serverUrlProblem objects to, anything zod
 * might object to — gives undefined, and zod parses the item as before. The values
 * of the fields left out are zod's own defaults, read from the schema once, so they cannot drift
 * (test/unit/config/load-balancer.test.ts holds the result equal to zod's).
 */
export function plainLoadBalancer(item: unknown): LoadBalancerConfig | undefined {
  if (!onlyKey(item, 'loadBalancer')) return undefined;
  const lb = (item as { loadBalancer: unknown }).loadBalancer;
  if (!onlyKey(lb, 'servers')) return undefined;
  const list = (lb as { servers: unknown }).servers;
  if (!Array.isArray(list) || list.length === 0) return undefined;
  const d = defaults();
  const servers: ServerConfig[] = new Array<ServerConfig>(list.length);
  for (let i = 0; i < list.length; i++) {
    const s: unknown = list[i];
    if (!isPlainObject(s)) return undefined;
    let url: unknown;
    let weight: unknown = d.weight;
    for (const key in s) {
      if (key === 'url') url = (s as { url: unknown }).url;
      else if (key === 'weight') weight = (s as { weight: unknown }).weight;
      else return undefined;
    }
    if (typeof url !== 'string' || serverUrlProblem(url) !== undefined) return undefined;
    if (!isWholeNumber(weight)) return undefined;
    servers[i] = { url, weight };
  }
  return withServers(d.lb, servers);
}

interface Defaults {
  lb: BaseFields;
  weight: number;
}

let known: Defaults | undefined;

/** What zod fills in for a load balancer of one bare server. */
function defaults(): Defaults {
  if (!known) {
    const parsed = serviceSchema.parse({ loadBalancer: { servers: [{ url: 'http://127.0.0.1' }] } });
    const { servers, sticky, healthCheck, passiveHealthCheck, ...lb } = parsed.loadBalancer;
    // Optional sections have no default: a plain service has none of them.
    if (sticky || healthCheck || passiveHealthCheck) throw new Error('load-balancer.ts: the schema now defaults an optional section; teach plainLoadBalancer about it');
    known = { lb, weight: servers[0]!.weight };
  }
  return known;
}

/** An object literal's kind of object (what YAML, JSON and structured clone make) with no own enumerable key but `key`. */
function onlyKey(value: unknown, key: string): boolean {
  if (!isPlainObject(value)) return false;
  let seen = false;
  for (const k in value) {
    if (k !== key) return false;
    seen = true;
  }
  return seen;
}
