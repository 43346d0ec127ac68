import pino from 'pino';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { ProviderSnapshot } from '../../src/config/dynamic-config.js';
import { formatConfigError } from '../../src/config/dynamic-config.js';
import { validateSnapshots } from '../../src/config/validate.js';
import type { Provider } from '../../providers/provider.js';
import { waitFor } from '../helpers/wait.js';

/**
 * What a provider test needs from its source. Every provider (file, Redis, etcd, Docker)
 * implements this and runs the same cases, so they all behave alike for users.
 */
export interface ProviderHarness {
  /** Start the source (a folder, a redis-server, …). */
  setup(): Promise<void>;
  teardown(): Promise<void>;
  /** A provider on this source; `rootKey` only matters to KV stores. */
  createProvider(options?: { rootKey?: string }): Provider;
  /** Register service `name` (with a router `name` → PathPrefix(`/name`)) over `urls`. */
  putService(name: string, urls: string[]): Promise<void>;
  deleteService(name: string): Promise<void>;
  /** Register service `name` whose first server has a non-numeric weight. */
  putBadWeight(name: string): Promise<void>;
  /** Where errors about putBadWeight's weight must point: the file and line, or the KV key. */
  readonly badWeightOrigin: RegExp;
  /** Stop and start the source again (server restart, folder replaced), keeping its data. */
  restartSource(): Promise<void>;
  /**
   * Replace the source while the provider runs with one that holds only `services` and none of
   * what it had (a new Redis/etcd with other data, a folder swapped by a deploy). The new data is
   * in place before the source serves again, so only a re-read on reconnect can find it.
   */
  restartSourceWith(services: Record<string, string[]>): Promise<void>;
  /** [capability ttl] putService, but every key expires on its own after about `ttlMs`. */
  putServiceWithTtl?(name: string, urls: string[], ttlMs: number): Promise<void>;
  /** [capability kvLayout] Write raw keys. */
  putKeys?(entries: Record<string, string>): Promise<void>;
}

/** What a source can do beyond the common cases; cases needing a capability run only where it exists. */
export interface ProviderCapabilities {
  /** Entries can expire by themselves (Redis TTL, etcd lease). Files cannot, so the file provider skips that case. */
  ttl: boolean;
  /** The source is a KV store read in Traefik's key layout under a rootKey (Redis, etcd); not files. */
  kvLayout: boolean;
}

export function providerContract(label: string, makeHarness: () => ProviderHarness, capabilities: ProviderCapabilities): void {
  describe(`provider contract: ${label}`, () => {
    let harness: ProviderHarness;
    let provider: Provider | undefined;
    let latest: ProviderSnapshot | undefined;
    let count = 0;

    const validated = () => validateSnapshots(latest ? [latest] : [], { entryPoints: ['web'] });
    const servers = (name: string): string[] | undefined =>
      validated().config.http.services.get(`${name}@${provider!.name}`)?.loadBalancer.servers.map((s) => s.url);

    beforeEach(async () => {
      harness = makeHarness();
      await harness.setup();
      latest = undefined;
      count = 0;
    });
    afterEach(async () => {
      await provider?.stop();
      provider = undefined;
      await harness.teardown();
    });

    const start = async (options?: { rootKey?: string }): Promise<void> => {
      provider = harness.createProvider(options);
      await provider.start((s) => {
        latest = s;
        count++;
      }, pino({ level: 'silent' }));
    };

    it('emits a first snapshot before start() resolves', async () => {
      await harness.putService('pre', ['http://127.0.0.1:9001']);
      await start();
      expect(count).toBeGreaterThanOrEqual(1);
      expect(servers('pre')).toEqual(['http://127.0.0.1:9001']);
      expect(validated().config.http.routers.get(`pre@${provider!.name}`)?.service).toBe(`pre@${provider!.name}`);
    });

    it('sees a service added, changed and deleted', async () => {
      await start();
      await harness.putService('app', ['http://127.0.0.1:9001']);
      await waitFor(() => servers('app')?.length === 1, 'the added service');
      await harness.putService('app', ['http://127.0.0.1:9001', 'http://127.0.0.1:9002']);
      await waitFor(() => servers('app')?.length === 2, 'the changed pool');
      expect(servers('app')).toEqual(['http://127.0.0.1:9001', 'http://127.0.0.1:9002']);
      await harness.putService('app', ['http://127.0.0.1:9002']);
      await waitFor(() => servers('app')?.length === 1, 'the removed server to go');
      expect(servers('app')).toEqual(['http://127.0.0.1:9002']);
      await harness.deleteService('app');
      await waitFor(() => servers('app') === undefined, 'the service to go away');
    });

    it('rejects only the item with a bad value, naming it', async () => {
      await start();
      await harness.putService('good', ['http://127.0.0.1:9001']);
      await harness.putBadWeight('bad');
      await waitFor(() => servers('good') && validated().errors.length > 0, 'the bad item to be reported');
      const errors = validated().errors.map(formatConfigError).join('\n');
      expect(errors).toMatch(new RegExp(`service bad@${provider!.name}.*weight`));
      const weightError = validated().errors.find((e) => e.item === `service bad@${provider!.name}`);
      expect(weightError?.origin).toMatch(harness.badWeightOrigin);
      expect(servers('good')).toEqual(['http://127.0.0.1:9001']);
      expect(servers('bad')).toBeUndefined();
    });

    it('keeps working across a restart of its source', async () => {
      await start();
      await harness.putService('app', ['http://127.0.0.1:9001']);
      await waitFor(() => servers('app')?.length === 1, 'the service');
      await harness.restartSource();
      await harness.putService('app', ['http://127.0.0.1:9003']);
      await waitFor(() => servers('app')?.[0] === 'http://127.0.0.1:9003', 'a change after the restart', 10_000);
    });

    it('converges when its source comes back with different data', async () => {
      await harness.putService('app', ['http://127.0.0.1:9001']);
      await harness.putService('old', ['http://127.0.0.1:9005']);
      await start();
      expect(servers('old')).toEqual(['http://127.0.0.1:9005']);
      await harness.restartSourceWith({ app: ['http://127.0.0.1:9003'], fresh: ['http://127.0.0.1:9004'] });
      await waitFor(() => servers('fresh')?.length === 1 && servers('old') === undefined, 'the new data', 15_000);
      expect(servers('app')).toEqual(['http://127.0.0.1:9003']);
      expect(servers('fresh')).toEqual(['http://127.0.0.1:9004']);
      // And it keeps following changes on the new source.
      await harness.putService('later', ['http://127.0.0.1:9006']);
      await waitFor(() => servers('later')?.length === 1, 'a change on the new source', 10_000);
    });

    // Only sources whose entries can expire (Redis TTL, etcd lease) run this; files cannot.
    if (capabilities.ttl) {
      it('removes a service whose keys expire (TTL or lease)', async () => {
        await start();
        await harness.putService('stay', ['http://127.0.0.1:9001']);
        await harness.putServiceWithTtl!('eph', ['http://127.0.0.1:9002'], 1_000);
        await waitFor(() => servers('eph')?.length === 1, 'the expiring service');
        await waitFor(() => servers('eph') === undefined, 'the service to expire', 15_000);
        expect(servers('stay')).toEqual(['http://127.0.0.1:9001']);
      });
    }

    // Only KV stores have a key layout; Traefik's own trees must work unchanged with rootKey traefik.
    if (capabilities.kvLayout) {
      it('reads a Traefik-layout tree under rootKey traefik, in any key casing, with instance ids as list indices', async () => {
        await harness.putKeys!({
          'traefik/http/routers/web-app/rule': 'Host(`app.localhost`) && PathPrefix(`/api`)',
          'traefik/http/routers/web-app/service': 'web-app',
          'traefik/http/routers/web-app/entrypoints/0': 'web',
          'traefik/http/routers/web-app/priority': '10',
          'traefik/http/services/web-app/loadbalancer/servers/0/url': 'http://127.0.0.5:8080',
          'traefik/http/services/web-app/loadbalancer/servers/1/url': 'http://127.0.0.6:8080',
          'traefik/http/services/web-app/loadbalancer/servers/1/weight': '3',
          'traefik/http/services/web-app/loadBalancer/passHostHeader': 'false',
          'traefik/http/services/web-app/LoadBalancer/Sticky/Cookie/Name': 'sy_app',
          'traefik/http/services/web-app/loadBalancer/sticky/cookie/httpOnly': 'true',
          'traefik/http/services/web-app/loadbalancer/healthcheck/path': '/health',
          'traefik/http/services/web-app/loadbalancer/healthcheck/interval': '5s',
          'traefik/http/services/web-app/loadbalancer/healthcheck/headers/X-Check': 'switchyard',
          'traefik/http/services/pool/loadBalancer/strategy': 'leastConn',
          'traefik/http/services/pool/loadBalancer/servers/i-7f3a/url': 'http://127.0.0.7:8080',
          'traefik/http/services/pool/loadBalancer/servers/i-0b12/url': 'http://127.0.0.8:8080',
          'traefik/http/services/pool/loadBalancer/servers/i-0b12/weight': '2',
          'other/http/services/ignored/loadBalancer/servers/0/url': 'http://127.0.0.9:8080',
        });
        await start({ rootKey: 'traefik' });
        const v = validated();
        const p = provider!.name;
        expect(v.errors.map(formatConfigError)).toEqual([]);
        expect(v.config.http.routers.get(`web-app@${p}`)).toEqual({
          entryPoints: ['web'],
          rule: 'Host(`app.localhost`) && PathPrefix(`/api`)',
          priority: 10,
          service: `web-app@${p}`,
        });
        const webApp = v.config.http.services.get(`web-app@${p}`)!.loadBalancer;
        expect(webApp).toMatchObject({
          strategy: 'roundRobin',
          servers: [
            { url: 'http://127.0.0.5:8080', weight: 1 },
            { url: 'http://127.0.0.6:8080', weight: 3 },
          ],
          passHostHeader: false,
          sticky: { cookie: { name: 'sy_app', httpOnly: true, secure: false, sameSite: '', maxAge: 0, path: '/' } },
        });
        // Field names come from the dynamic schema, so newer fields (healthCheck) work in any casing too.
        expect(webApp).toMatchObject({ healthCheck: { path: '/health', interval: 5_000, headers: { 'X-Check': 'switchyard' } } });
        expect(v.config.http.services.get(`pool@${p}`)?.loadBalancer).toMatchObject({
          strategy: 'leastConn',
          servers: [
            { url: 'http://127.0.0.8:8080', weight: 2 },
            { url: 'http://127.0.0.7:8080', weight: 1 },
          ],
        });
        expect([...v.config.http.services.keys()].sort()).toEqual([`pool@${p}`, `web-app@${p}`]);
        // A new instance registers under its own id, with no index to coordinate.
        await harness.putKeys!({ 'traefik/http/services/pool/loadBalancer/servers/i-99aa/url': 'http://127.0.0.10:8080' });
        await waitFor(() => servers('pool')?.length === 3, 'the new instance');
      });
    }
  });
}
