import { Redis } from 'ioredis';
import { afterEach, describe, expect, it } from 'vitest';
import { formatConfigError } from '../../src/config/dynamic-config.js';
import { RedisProvider, type RedisProviderOptions } from '../../providers/redis/redis-provider.js';
import { startRedis, startRedisSentinel, type RedisServer } from '../helpers/kv-servers.mjs';
import { captureLogs } from '../helpers/log-capture.js';
import { startTcpProxy, type TcpProxy } from '../helpers/tcp-proxy.js';
import { waitFor } from '../helpers/wait.js';
import { providerContract } from './contract.js';
import { expectOutageLoggedOnce, KvHarness, ROOT, serviceKeys, servicesKeys } from './kv-harness.js';
import { ProviderRun } from './provider-run.js';

/** Fast reconnects so restarts converge quickly in tests. */
const FAST: Partial<RedisProviderOptions> = { reconnect: { initialMs: 20, maxMs: 300 } };

/** Keys under `pattern` (SCAN, like a careful deploy script). */
async function scanKeys(client: Redis, pattern: string): Promise<string[]> {
  const out: string[] = [];
  let cursor = '0';
  do {
    const [next, keys] = await client.scan(cursor, 'MATCH', pattern, 'COUNT', 1000);
    cursor = next;
    out.push(...keys);
  } while (cursor !== '0');
  return out;
}

function writer(port: number): Redis {
  const client = new Redis({ host: '127.0.0.1', port, maxRetriesPerRequest: 100, retryStrategy: () => 20 });
  client.on('error', () => undefined); // the deploy script retries while the server restarts
  return client;
}

async function commandCalls(client: Redis, command: string): Promise<number> {
  const info = await client.info('commandstats');
  return Number(new RegExp(`^cmdstat_${command}:calls=(\\d+)`, 'm').exec(info)?.[1] ?? 0);
}

class RedisHarness extends KvHarness {
  server!: RedisServer;
  client!: Redis;

  constructor(
    private readonly extraArgs: string[] = [],
    private readonly providerOptions: Partial<RedisProviderOptions> = {},
  ) {
    super();
  }

  async setup(): Promise<void> {
    this.server = await startRedis({ extraArgs: this.extraArgs });
    this.client = writer(this.server.port);
  }

  async teardown(): Promise<void> {
    this.client.disconnect();
    await this.server.destroy();
  }

  createProvider(options: { rootKey?: string } = {}): RedisProvider {
    return new RedisProvider({ endpoints: [this.server.endpoint], rootKey: options.rootKey ?? ROOT, ...FAST, ...this.providerOptions });
  }

  async replaceKeys(prefixes: string[], entries: Record<string, string>): Promise<void> {
    const old = (await Promise.all(prefixes.map((p) => scanKeys(this.client, `${p}*`)))).flat();
    const tx = this.client.multi();
    if (old.length > 0) tx.del(...old);
    for (const [k, v] of Object.entries(entries)) tx.set(k, v);
    await tx.exec();
  }

  async putKeysWithTtl(entries: Record<string, string>, ttlMs: number): Promise<void> {
    const tx = this.client.multi();
    for (const [k, v] of Object.entries(entries)) tx.set(k, v, 'PX', ttlMs);
    await tx.exec();
  }

  restartSource(): Promise<void> {
    return this.server.restart();
  }

  restartSourceWith(services: Record<string, string[]>): Promise<void> {
    return this.server.restart(servicesKeys(services));
  }
}

providerContract('redis', () => new RedisHarness(), { ttl: true, kvLayout: true });

describe('redis provider', () => {
  const cleanup: Array<() => Promise<void> | void> = [];
  afterEach(async () => {
    for (const fn of cleanup.splice(0).reverse()) await fn();
  });

  const harness = async (extraArgs: string[] = []): Promise<RedisHarness> => {
    const h = new RedisHarness(extraArgs);
    await h.setup();
    cleanup.push(() => h.teardown());
    return h;
  };
  const run = async (provider: RedisProvider, log = captureLogs().log): Promise<ProviderRun> => {
    const r = await new ProviderRun(provider).start(log);
    cleanup.push(() => r.stop());
    return r;
  };

  it('enables keyspace notifications, keeping the flags the operator had', async () => {
    const h = await harness();
    await h.client.config('SET', 'notify-keyspace-events', 'El');
    await run(h.createProvider());
    const [, flags] = (await h.client.config('GET', 'notify-keyspace-events')) as unknown as [string, string];
    for (const f of ['E', 'l', 'K', 'g', '$', 'x', 'e']) expect(flags).toContain(f);
  });

  it('polls, and says so once, when CONFIG is refused (managed Redis)', async () => {
    const h = await harness(['--rename-command', 'CONFIG', '']);
    const logs = captureLogs();
    const r = await run(new RedisProvider({ endpoints: [h.server.endpoint], rootKey: ROOT, pollIntervalMs: 50, ...FAST }), logs.log);
    await h.putService('app', ['http://127.0.0.1:9001']);
    await waitFor(() => r.servers('app')?.length === 1, 'the service, by polling');
    await h.putServiceWithTtl('eph', ['http://127.0.0.1:9002'], 300);
    await waitFor(() => r.servers('eph')?.length === 1, 'the expiring service, by polling');
    await waitFor(() => r.servers('eph') === undefined, 'the expiry, by polling');
    await h.deleteService('app');
    await waitFor(() => r.servers('app') === undefined, 'the delete, by polling');
    const warned = logs.matching(/refused CONFIG/);
    expect(warned).toHaveLength(1);
    expect(warned[0]!.msg).toMatch(/every 50 ms/);
    expect(warned[0]!.level).toBe(40);
  });

  it('logs an outage and the recovery once each, emits nothing while down, and re-reads on reconnect', async () => {
    const h = await harness();
    await expectOutageLoggedOnce(h, (log) => run(h.createProvider(), log));
  });

  it('loses no update made while it was cut off from a running server', async () => {
    const h = await harness();
    const proxy: TcpProxy = await startTcpProxy(h.server.port);
    cleanup.push(() => proxy.close());
    await h.putService('old', ['http://127.0.0.1:9001']);
    const r = await run(new RedisProvider({ endpoints: [proxy.endpoint], rootKey: ROOT, ...FAST }));
    expect(r.servers('old')).toEqual(['http://127.0.0.1:9001']);
    proxy.cut();
    // Written while the provider cannot hear the notifications.
    await h.deleteService('old');
    await h.putService('new', ['http://127.0.0.1:9002']);
    proxy.restore();
    await waitFor(() => r.servers('new')?.length === 1 && r.servers('old') === undefined, 'the missed changes', 10_000);
  });

  it('starts without Redis, reports it, and picks the tree up when Redis appears', async () => {
    const h = await harness();
    await h.server.stop();
    const r = await run(h.createProvider());
    expect(r.latest?.errors?.map(formatConfigError).join('\n')).toMatch(/redis 127\.0\.0\.1:\d+.*unreachable/);
    await h.server.restart(servicesKeys({ app: ['http://127.0.0.1:9001'] }));
    await waitFor(() => r.servers('app')?.length === 1, 'the tree once Redis is up', 10_000);
    expect(r.latest?.errors).toEqual([]);
  });

  it('reads a 5,000-key registration burst in a few batches, not key by key', async () => {
    const h = await harness();
    const r = await run(h.createProvider());
    await h.client.config('RESETSTAT');
    const burst: Record<string, string> = {};
    for (let s = 0; s < 50; s++) {
      for (let i = 0; i < 99; i++) burst[`${ROOT}/http/services/s${s}/loadBalancer/servers/${i}/url`] = `http://127.0.0.1:${20_000 + s * 100 + i}`;
    }
    const keys = Object.entries(burst);
    for (let i = 0; i < keys.length; i += 50) {
      const p = h.client.pipeline();
      for (const [k, v] of keys.slice(i, i + 50)) p.set(k, v);
      await p.exec();
    }
    await waitFor(() => r.serviceCount() === 50 && r.servers('s49')?.length === 99, 'every key of the burst');
    const mgets = await commandCalls(h.client, 'mget');
    // 4,950 keys arrive as notifications; reads are coalesced (one MGET per few ms), and no full re-read.
    expect(mgets).toBeLessThan(200);
    expect(await commandCalls(h.client, 'scan')).toBe(0);
    expect(await commandCalls(h.client, 'get')).toBe(0);
  });

  it('finds the master through Redis Sentinel', async () => {
    const h = await harness();
    const sentinel = await startRedisSentinel(h.server);
    cleanup.push(() => sentinel.destroy());
    await h.putService('app', ['http://127.0.0.1:9001']);
    const r = await run(new RedisProvider({ endpoints: [sentinel.endpoint], rootKey: ROOT, sentinel: { masterName: 'mymaster' }, ...FAST }));
    expect(r.servers('app')).toEqual(['http://127.0.0.1:9001']);
    await h.putService('app', ['http://127.0.0.1:9002']);
    await waitFor(() => r.servers('app')?.[0] === 'http://127.0.0.1:9002', 'a change, notified by the master');
  });

  it('names the key of every bad value, and rejects only that item', async () => {
    const h = await harness();
    await h.replaceKeys([], {
      ...serviceKeys('good', ['http://127.0.0.1:9001']),
      ...serviceKeys('badurl', ['not a url']),
      ...serviceKeys('badrule', ['http://127.0.0.1:9002']),
      [`${ROOT}/http/routers/badrule/rule`]: 'Host(`x`',
    });
    const r = await run(h.createProvider());
    const text = r.validated().errors.map(formatConfigError).join('\n');
    expect(text).toContain(`${ROOT}/http/services/badurl/loadBalancer/servers/0/url: service badurl@redis: loadBalancer.servers[0].url: expected an absolute URL`);
    expect(text).toContain(`${ROOT}/http/routers/badrule/rule: router badrule@redis: rule:`);
    expect(r.servers('good')).toEqual(['http://127.0.0.1:9001']);
    expect(r.validated().config.http.routers.get('good@redis')).toBeDefined();
    expect(r.validated().config.http.routers.get('badrule@redis')).toBeUndefined();
  });
});
