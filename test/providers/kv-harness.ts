import type { Provider } from '../../providers/provider.js';
import type { ProviderHarness } from './contract.js';

export const ROOT = 'switchyard';

/** The keys a deploy script writes to register service `name` (router → PathPrefix(`/name`)). */
export function serviceKeys(name: string, urls: string[], root = ROOT): Record<string, string> {
  const keys: Record<string, string> = {
    [`${root}/http/routers/${name}/rule`]: `PathPrefix(\`/${name}\`)`,
    [`${root}/http/routers/${name}/service`]: name,
  };
  urls.forEach((url, i) => (keys[`${root}/http/services/${name}/loadBalancer/servers/${i}/url`] = url));
  return keys;
}

/** Every key of several services, for restarting a source with other data. */
export function servicesKeys(services: Record<string, string[]>): Record<string, string> {
  return Object.assign({}, ...Object.entries(services).map(([name, urls]) => serviceKeys(name, urls)));
}

const itemPrefixes = (name: string): string[] => [`${ROOT}/http/routers/${name}/`, `${ROOT}/http/services/${name}/`];

/**
 * The contract's operations in terms of keys, shared by the Redis and etcd harnesses: each
 * store only says how to replace keys atomically, expire them, and restart.
 */
export abstract class KvHarness implements ProviderHarness {
  readonly badWeightOrigin = new RegExp(`^${ROOT}/http/services/bad/loadBalancer/servers/0/weight$`);

  abstract setup(): Promise<void>;
  abstract teardown(): Promise<void>;
  abstract createProvider(options?: { rootKey?: string }): Provider;
  abstract restartSource(): Promise<void>;
  abstract restartSourceWith(services: Record<string, string[]>): Promise<void>;
  /** Deletes every key under `prefixes` and writes `entries`, in one transaction. */
  abstract replaceKeys(prefixes: string[], entries: Record<string, string>): Promise<void>;
  /** Writes `entries` so that they expire after about `ttlMs`. */
  abstract putKeysWithTtl(entries: Record<string, string>, ttlMs: number): Promise<void>;

  putService(name: string, urls: string[]): Promise<void> {
    return this.replaceKeys(itemPrefixes(name), serviceKeys(name, urls));
  }

  deleteService(name: string): Promise<void> {
    return this.replaceKeys(itemPrefixes(name), {});
  }

  putBadWeight(name: string): Promise<void> {
    return this.replaceKeys(itemPrefixes(name), {
      ...serviceKeys(name, ['http://127.0.0.1:9001']),
      [`${ROOT}/http/services/${name}/loadBalancer/servers/0/weight`]: 'heavy',
    });
  }

  putServiceWithTtl(name: string, urls: string[], ttlMs: number): Promise<void> {
    return this.putKeysWithTtl(serviceKeys(name, urls), ttlMs);
  }

  putKeys(entries: Record<string, string>): Promise<void> {
    return this.replaceKeys([], entries);
  }
}
