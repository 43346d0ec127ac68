import type { Logger } from 'pino';
import { expect } from 'vitest';
import type { Provider } from '../../providers/provider.js';
import { captureLogs } from '../helpers/log-capture.js';
import { waitFor } from '../helpers/wait.js';
import type { ProviderHarness } from './contract.js';
import type { ProviderRun } from './provider-run.js';

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

/** A KV store the tests can stop and bring back (the same port) holding only `data`. */
export interface RestartableStore {
  stop(): Promise<void>;
  restart(data?: Record<string, string>): Promise<void>;
}

/**
 * The outage case Redis and etcd share: the store goes away and comes back with other data.
 * The outage and the recovery are logged once each, nothing is emitted while it is down, and
 * the first snapshot after it is the new data. `start` runs a provider logging to `log`.
 */
export async function expectOutageLoggedOnce(
  h: KvHarness & { server: RestartableStore },
  start: (log: Logger) => Promise<ProviderRun>,
): Promise<void> {
  await h.putService('app', ['http://127.0.0.1:9001']);
  const logs = captureLogs();
  const r = await start(logs.log);
  await h.server.stop();
  await waitFor(() => logs.matching(/is unreachable/).length > 0, 'the outage to be logged');
  const emittedWhileDown = r.snapshots.length;
  // Reconnect attempts fail while the new data is prepared.
  await h.server.restart(servicesKeys({ app: ['http://127.0.0.1:9003'] }));
  await waitFor(() => r.servers('app')?.[0] === 'http://127.0.0.1:9003', 'the re-read after reconnect', 10_000);
  expect(r.snapshots.length).toBe(emittedWhileDown + 1);
  expect(logs.matching(/is unreachable/)).toHaveLength(1);
  expect(logs.matching(/is reachable again/)).toHaveLength(1);
}
