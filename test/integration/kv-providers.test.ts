import { Etcd3 } from 'etcd3';
import { Redis } from 'ioredis';
import { afterEach, describe, expect, it } from 'vitest';
import { startBackends, type Backend } from '../helpers/backends.js';
import { request } from '../helpers/http-client.js';
import { startEtcd, startRedis, type EtcdServer, type RedisServer } from '../helpers/kv-servers.mjs';
import { sequential, tally } from '../helpers/proxy-harness.js';
import { startSwitchyard, type TestSwitchyard } from '../helpers/switchyard.js';
import { waitFor } from '../helpers/wait.js';

const ROOT = 'switchyard';

/** A Redis or etcd that a deploy script writes to, as a user would. */
interface KvSource {
  readonly name: 'redis' | 'etcd';
  /** providers: {<name>: …} for the static config. */
  providerConfig(): Record<string, unknown>;
  put(entries: Record<string, string>): Promise<void>;
  deletePrefix(prefix: string): Promise<void>;
  stop(): Promise<void>;
  /** Starts again on the same port holding only `entries`. */
  restartWith(entries: Record<string, string>): Promise<void>;
  /** Reads the source has served so far (Redis: SCAN+MGET+GET commands; etcd: Range calls). */
  reads(): Promise<number>;
  close(): Promise<void>;
}

async function redisSource(): Promise<KvSource> {
  const server: RedisServer = await startRedis();
  const client = new Redis({ host: '127.0.0.1', port: server.port, maxRetriesPerRequest: 100, retryStrategy: () => 20 });
  client.on('error', () => undefined); // the deploy script retries while the server restarts
  const calls = async (cmd: string): Promise<number> =>
    Number(new RegExp(`^cmdstat_${cmd}:calls=(\\d+)`, 'm').exec(await client.info('commandstats'))?.[1] ?? 0);
  return {
    name: 'redis',
    providerConfig: () => ({ endpoints: [server.endpoint], rootKey: ROOT }),
    put: async (entries) => {
      const all = Object.entries(entries);
      for (let i = 0; i < all.length; i += 1000) await client.mset(...all.slice(i, i + 1000).flat());
    },
    deletePrefix: async (prefix) => {
      const keys = await client.keys(`${prefix}*`);
      if (keys.length > 0) await client.del(...keys);
    },
    stop: () => server.stop(),
    restartWith: (entries) => server.restart(entries),
    reads: async () => (await calls('scan')) + (await calls('mget')) + (await calls('get')),
    close: async () => {
      client.disconnect();
      await server.destroy();
    },
  };
}

async function etcdSource(): Promise<KvSource> {
  const server: EtcdServer = await startEtcd();
  let client = new Etcd3({ hosts: server.url });
  return {
    name: 'etcd',
    providerConfig: () => ({ endpoints: [server.endpoint], rootKey: ROOT }),
    put: async (entries) => {
      const all = Object.entries(entries);
      // etcd allows 128 operations per transaction by default.
      for (let i = 0; i < all.length; i += 128) {
        await client
          .if(`${ROOT}/.never-written`, 'Create', '==', 0)
          .then(...all.slice(i, i + 128).map(([k, v]) => client.put(k).value(v)))
          .commit();
      }
    },
    deletePrefix: async (prefix) => {
      await client.delete().prefix(prefix);
    },
    stop: () => server.stop(),
    restartWith: async (entries) => {
      await server.restart(entries);
      client.close();
      client = new Etcd3({ hosts: server.url });
    },
    reads: () => server.grpcCalls('Range'),
    close: async () => {
      client.close();
      await server.destroy();
    },
  };
}

describe.each([
  ['redis', redisSource],
  ['etcd', etcdSource],
] as const)('switchyard with the %s provider', (name, makeSource) => {
  let source: KvSource | undefined;
  let sy: TestSwitchyard | undefined;
  let backends: Backend[] = [];
  afterEach(async () => {
    await sy?.close();
    await source?.close();
    await Promise.all(backends.map((b) => b.close()));
    sy = undefined;
    source = undefined;
    backends = [];
  });

  const start = async (): Promise<TestSwitchyard> => {
    sy = await startSwitchyard({ static: { providers: { [name]: source!.providerConfig() } } });
    return sy;
  };
  const server = (id: string, url: string, weight?: number): Record<string, string> => ({
    [`${ROOT}/http/services/app/loadBalancer/servers/${id}/url`]: url,
    ...(weight !== undefined ? { [`${ROOT}/http/services/app/loadBalancer/servers/${id}/weight`]: String(weight) } : {}),
  });
  const router = { [`${ROOT}/http/routers/app/rule`]: 'PathPrefix(`/`)', [`${ROOT}/http/routers/app/service`]: 'app' };
  const distribution = async (n: number): Promise<Record<string, number>> => tally(await sequential(sy!.url, n));

  it('routes to an instance registered by writing keys, follows weight changes, and stops when the keys are deleted', async () => {
    source = await makeSource();
    backends = await startBackends(['a', 'b']);
    await start();
    expect((await request(sy!.url)).status).toBe(404);

    await source.put({ ...router, ...server('i-a', backends[0]!.url) });
    await waitFor(async () => (await request(sy!.url)).body === 'a', 'the registered instance to take traffic');

    await source.put(server('i-b', backends[1]!.url, 3));
    await waitFor(async () => isDeepEqual(await distribution(8), { a: 2, b: 6 }), 'a 1:3 split');

    await source.put(server('i-b', backends[1]!.url, 1));
    await waitFor(async () => isDeepEqual(await distribution(8), { a: 4, b: 4 }), 'an even split after the weight change');

    await source.deletePrefix(`${ROOT}/http/services/app/loadBalancer/servers/i-a/`);
    await waitFor(async () => isDeepEqual(await distribution(6), { b: 6 }), 'the deleted instance to stop taking traffic');

    await source.deletePrefix(`${ROOT}/http/`);
    await waitFor(async () => (await request(sy!.url)).status === 404, 'the route to go');
  });

  it('keeps serving while the source is down, and follows it when it returns with other data', async () => {
    source = await makeSource();
    backends = await startBackends(['a', 'b']);
    await source.put({ ...router, ...server('0', backends[0]!.url) });
    await start();
    expect((await request(sy!.url)).body).toBe('a');
    await source.stop();
    expect(await sequential(sy!.url, 5)).toEqual(['a', 'a', 'a', 'a', 'a']);
    await source.restartWith({ ...router, ...server('0', backends[1]!.url) });
    await waitFor(async () => (await request(sy!.url)).body === 'b', 'the new data', 15_000);
  });

  it('loads a 5,000-server, 500-service tree in one pass', async () => {
    source = await makeSource();
    backends = await startBackends(['a']);
    const tree: Record<string, string> = {};
    for (let s = 0; s < 500; s++) {
      tree[`${ROOT}/http/routers/svc${s}/rule`] = `PathPrefix(\`/svc${s}/\`)`;
      tree[`${ROOT}/http/routers/svc${s}/service`] = `svc${s}`;
      // Loopback ports nothing listens on; no request is sent to them.
      for (let i = 0; i < 10; i++) tree[`${ROOT}/http/services/svc${s}/loadBalancer/servers/i-${i}/url`] = `http://127.0.0.1:${20_000 + s * 10 + i}`;
    }
    // One more service that does answer, to show the tree is live.
    tree[`${ROOT}/http/routers/live/rule`] = 'PathPrefix(`/live/`)';
    tree[`${ROOT}/http/routers/live/service`] = 'live';
    tree[`${ROOT}/http/services/live/loadBalancer/servers/0/url`] = backends[0]!.url;
    await source.put(tree);
    const readsBefore = await source.reads();
    await start();
    const config = sy!.app.currentConfig!;
    expect(config.errors).toEqual([]);
    const services = [...config.config.http.services].filter(([n]) => n.endsWith(`@${name}`));
    expect(services).toHaveLength(501);
    expect(services.reduce((sum, [, s]) => sum + s.loadBalancer.servers.length, 0)).toBe(5_001);
    expect((await request(`${sy!.url}/live/x`)).body).toBe('a');
    const reads = (await source.reads()) - readsBefore;
    // Redis: ~6,000 keys → a few SCAN pages, each with one MGET; etcd: exactly one range read.
    if (name === 'etcd') expect(reads).toBe(1);
    else expect(reads).toBeLessThanOrEqual(20);
  });
});

function isDeepEqual(a: Record<string, number>, b: Record<string, number>): boolean {
  return JSON.stringify(Object.entries(a).sort()) === JSON.stringify(Object.entries(b).sort());
}
