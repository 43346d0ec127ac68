import type { EventEmitter } from 'node:events';
import { Etcd3 } from 'etcd3';
import { afterEach, describe, expect, it } from 'vitest';
import { formatConfigError } from '../../src/config/dynamic-config.js';
import { EtcdProvider, type EtcdProviderOptions } from '../../providers/etcd/etcd-provider.js';
import { startEtcd, type EtcdServer } from '../helpers/kv-servers.mjs';
import { captureLogs } from '../helpers/log-capture.js';
import { startTcpProxy, type TcpProxy } from '../helpers/tcp-proxy.js';
import { waitFor } from '../helpers/wait.js';
import { providerContract } from './contract.js';
import { expectOutageLoggedOnce, KvHarness, ROOT, servicesKeys } from './kv-harness.js';
import { ProviderRun } from './provider-run.js';

const FAST: Partial<EtcdProviderOptions> = { reconnect: { initialMs: 20, maxMs: 300 } };

class EtcdHarness extends KvHarness {
  server!: EtcdServer;
  client!: Etcd3;

  async setup(): Promise<void> {
    this.server = await startEtcd();
    this.client = new Etcd3({ hosts: this.server.url });
  }

  async teardown(): Promise<void> {
    this.client.close();
    await this.server.destroy();
  }

  createProvider(options: { rootKey?: string } = {}, endpoint = this.server.endpoint): EtcdProvider {
    return new EtcdProvider({ endpoints: [endpoint], rootKey: options.rootKey ?? ROOT, ...FAST });
  }

  async replaceKeys(prefixes: string[], entries: Record<string, string>): Promise<void> {
    // One transaction, like a careful deploy script: the provider never sees half a service.
    // (etcd refuses a txn that deletes and puts the same key, so only stale keys are deleted.)
    const existing = (await Promise.all(prefixes.map((p) => this.client.getAll().prefix(p).keys()))).flat();
    const stale = existing.filter((k) => !(k in entries));
    await this.client
      .if(`${ROOT}/.never-written`, 'Create', '==', 0)
      .then(...stale.map((k) => this.client.delete().key(k)), ...Object.entries(entries).map(([k, v]) => this.client.put(k).value(v)))
      .commit();
  }

  async putKeysWithTtl(entries: Record<string, string>, ttlMs: number): Promise<void> {
    // An instance that registers under a lease and then dies: nobody keeps the lease alive.
    const lease = this.client.lease(Math.max(1, Math.round(ttlMs / 1000)), { autoKeepAlive: false });
    lease.on('lost', () => undefined);
    for (const [k, v] of Object.entries(entries)) await lease.put(k).value(v);
  }

  async restartSource(): Promise<void> {
    await this.server.restart();
    this.reconnectWriter();
  }

  async restartSourceWith(services: Record<string, string[]>): Promise<void> {
    await this.server.restart(servicesKeys(services));
    this.reconnectWriter();
  }

  /** The writer is a deploy script: a new one after a restart, not one with a tripped breaker. */
  private reconnectWriter(): void {
    this.client.close();
    this.client = new Etcd3({ hosts: this.server.url });
  }
}

providerContract('etcd', () => new EtcdHarness(), { ttl: true, kvLayout: true });

describe('etcd provider', () => {
  const cleanup: Array<() => Promise<void> | void> = [];
  afterEach(async () => {
    for (const fn of cleanup.splice(0).reverse()) await fn();
  });

  const harness = async (): Promise<EtcdHarness> => {
    const h = new EtcdHarness();
    await h.setup();
    cleanup.push(() => h.teardown());
    return h;
  };
  const run = async (provider: EtcdProvider, log = captureLogs().log): Promise<ProviderRun> => {
    const r = await new ProviderRun(provider).start(log);
    cleanup.push(() => r.stop());
    return r;
  };

  /**
   * etcd can end a watch stream while the connection stays up (it cancels watches when the
   * member loses its leader, "etcdserver: no leader"); a one-member test cluster cannot lose its
   * leader, so the test stalls the network, writes, then ends the stream with that error itself.
   */
  const endStreamWhileStalled = async (provider: EtcdProvider, proxy: TcpProxy, whileStalled: () => Promise<void>): Promise<void> => {
    proxy.pause();
    await whileStalled();
    const stream = (provider as unknown as { stream: EventEmitter }).stream;
    stream.emit('error', Object.assign(new Error('etcdserver: no leader'), { code: 13 }));
    proxy.unpause();
  };

  /** A provider reaching etcd through a TCP proxy the test can cut or stall; `old` is registered. */
  const runBehindProxy = async () => {
    const h = await harness();
    const proxy = await startTcpProxy(h.server.clientPort);
    cleanup.push(() => proxy.close());
    await h.putService('old', ['http://127.0.0.1:9001']);
    const logs = captureLogs();
    const provider = h.createProvider({}, proxy.endpoint);
    const r = await run(provider, logs.log);
    return { h, proxy, logs, provider, r };
  };

  it('resumes its watch from the last revision seen when only the stream ended, without re-reading', async () => {
    const { h, proxy, logs, provider, r } = await runBehindProxy();
    await endStreamWhileStalled(provider, proxy, async () => {
      await h.deleteService('old');
      await h.putService('new', ['http://127.0.0.1:9002']);
    });
    await waitFor(() => r.servers('new')?.length === 1 && r.servers('old') === undefined, 'the changes made meanwhile', 10_000);
    expect(provider.rangeReads).toBe(1);
    expect(logs.matching(/resuming from revision/)).toHaveLength(1);
    expect(logs.matching(/is unreachable/)).toHaveLength(0);
  });

  it('re-reads the whole tree when the revisions it has to resume from were compacted', async () => {
    const { h, proxy, logs, provider, r } = await runBehindProxy();
    await endStreamWhileStalled(provider, proxy, async () => {
      await h.deleteService('old');
      await h.putService('new', ['http://127.0.0.1:9002']);
      const { header } = await h.client.kv.range({ key: Buffer.from(ROOT) });
      await h.client.kv.compact({ revision: header.revision, physical: true });
    });
    await waitFor(() => r.servers('new')?.length === 1 && r.servers('old') === undefined, 'the re-read after compaction', 10_000);
    expect(logs.matching(/compacted/)).toHaveLength(1);
    expect(provider.rangeReads).toBe(2);
  });

  it('re-reads the whole tree after the connection failed, and loses nothing written meanwhile', async () => {
    const { h, proxy, logs, provider, r } = await runBehindProxy();
    proxy.cut();
    await waitFor(() => logs.matching(/is unreachable/).length > 0, 'the cut to be noticed');
    await h.deleteService('old');
    await h.putService('new', ['http://127.0.0.1:9002']);
    proxy.restore();
    await waitFor(() => r.servers('new')?.length === 1 && r.servers('old') === undefined, 'the missed changes', 10_000);
    expect(provider.rangeReads).toBe(2);
    expect(logs.matching(/reachable again.*re-read/)).toHaveLength(1);
  });

  it('removes a server the moment its lease is revoked', async () => {
    const h = await harness();
    const r = await run(h.createProvider());
    await h.putService('stay', ['http://127.0.0.1:9001']);
    const lease = h.client.lease(60);
    lease.on('lost', () => undefined);
    await lease.put(`${ROOT}/http/services/stay/loadBalancer/servers/i-lease/url`).value('http://127.0.0.1:9002');
    await waitFor(() => r.servers('stay')?.length === 2, 'the leased server');
    await lease.revoke();
    await waitFor(() => r.servers('stay')?.length === 1, 'the revoked server to go');
    expect(r.servers('stay')).toEqual(['http://127.0.0.1:9001']);
  });

  it('logs an outage and the recovery once each, and emits nothing while down', async () => {
    const h = await harness();
    await expectOutageLoggedOnce(h, (log) => run(h.createProvider(), log));
  });

  it('starts without etcd, reports it, and picks the tree up when etcd appears', async () => {
    const h = await harness();
    await h.server.stop();
    const r = await run(h.createProvider());
    expect(r.latest?.errors?.map(formatConfigError).join('\n')).toMatch(/etcd 127\.0\.0\.1:\d+.*unreachable/);
    await h.server.restart(servicesKeys({ app: ['http://127.0.0.1:9001'] }));
    await waitFor(() => r.servers('app')?.length === 1, 'the tree once etcd is up', 10_000);
    expect(r.latest?.errors).toEqual([]);
  });
});
