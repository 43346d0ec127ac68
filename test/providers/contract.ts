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
  createProvider(): Provider;
  /** Register service `name` (with a router `name` → PathPrefix(`/name`)) over `urls`. */
  putService(name: string, urls: string[]): Promise<void>;
  deleteService(name: string): Promise<void>;
  /** Register service `name` whose first server has a non-numeric weight. */
  putBadWeight(name: string): Promise<void>;
  /** Stop and start the source again (server restart, folder replaced), keeping its data. */
  restartSource(): Promise<void>;
}

export function providerContract(label: string, makeHarness: () => ProviderHarness): void {
  describe(`provider contract: ${label}`, () => {
    let harness: ProviderHarness;
    let provider: Provider | undefined;
    let latest: ProviderSnapshot | undefined;
    let count = 0;

    const validated = () => validateSnapshots(latest ? [latest] : [], { entryPoints: ['web'] });
    const servers = (name: string): string[] | undefined =>
      validated().config.http.services[`${name}@${provider!.name}`]?.loadBalancer.servers.map((s) => s.url);

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

    const start = async (): Promise<void> => {
      provider = harness.createProvider();
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
      expect(validated().config.http.routers[`pre@${provider!.name}`]?.service).toBe(`pre@${provider!.name}`);
    });

    it('sees a service added, changed and deleted', async () => {
      await start();
      await harness.putService('app', ['http://127.0.0.1:9001']);
      await waitFor(() => servers('app')?.length === 1, 'the added service');
      await harness.putService('app', ['http://127.0.0.1:9001', 'http://127.0.0.1:9002']);
      await waitFor(() => servers('app')?.length === 2, 'the changed pool');
      expect(servers('app')).toEqual(['http://127.0.0.1:9001', 'http://127.0.0.1:9002']);
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
  });
}
