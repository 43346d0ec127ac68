import { randomBytes } from 'node:crypto';
import net from 'node:net';
import path from 'node:path';
import type Docker from 'dockerode';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { formatConfigError } from '../../src/config/dynamic-config.js';
import { parseStaticConfig, StaticConfigError } from '../../src/config/static-load.js';
import { validateSnapshots } from '../../src/config/validate.js';
import { containerConfig, type ContainerConfig, type LabelOptions } from '../../providers/docker/container-config.js';
import type { ContainerFacts } from '../../providers/docker/container-facts.js';
import { DockerProvider, type DockerProviderOptions } from '../../providers/docker/docker-provider.js';
import { mergeContainers } from '../../providers/docker/merge-containers.js';
import { removeLabelled, runContainer, startDockerEngine, type DockerEngine } from '../helpers/docker-engine.mjs';
import { captureLogs } from '../helpers/log-capture.js';
import { waitFor } from '../helpers/wait.js';
import { providerContract } from './contract.js';
import { ProviderRun } from './provider-run.js';

/** One private dockerd for this file (the contract restarts it, so it is not shared with other files). */
let engine: DockerEngine;
beforeAll(async () => {
  engine = await startDockerEngine();
}, 60_000);
afterAll(async () => {
  await engine?.destroy();
}, 60_000);

/** Marks test containers (outside any label prefix the provider reads) so a test can remove its own. */
const OWNER = 'sy-test.owner';
const SERVICE = 'sy-test.service';
const FAST: Partial<DockerProviderOptions> = { reconnect: { initialMs: 20, maxMs: 300 }, coalesceMs: 5 };

function uniquePrefix(): string {
  return `sy${randomBytes(3).toString('hex')}`;
}

function provider(options: Partial<DockerProviderOptions> & { labelPrefix: string }): DockerProvider {
  return new DockerProvider({ endpoint: engine.endpoint, exposedByDefault: false, network: '', defaultRule: 'Host(`{{name}}`)', ...FAST, ...options });
}

/**
 * The contract's operations as a user does them with containers: a service is one container per
 * server URL (host network, port label), changing it recreates them, a restart restarts dockerd.
 * Each harness reads its own label prefix with exposedByDefault false, so it sees only its containers.
 */
class DockerHarness {
  readonly prefix = uniquePrefix();
  readonly badWeightOrigin = new RegExp(`^container ${this.prefix}-bad-0: label ${this.prefix}\\.http\\.services\\.bad\\.loadBalancer\\.server\\.weight$`);

  async setup(): Promise<void> {}

  async teardown(): Promise<void> {
    await removeLabelled(engine.docker, OWNER, this.prefix);
  }

  createProvider(): DockerProvider {
    return provider({ labelPrefix: this.prefix });
  }

  private labels(name: string, port: number, extra: Record<string, string> = {}): Record<string, string> {
    const p = this.prefix;
    return {
      [OWNER]: p,
      [SERVICE]: name,
      [`${p}.enable`]: 'true',
      [`${p}.http.routers.${name}.rule`]: `PathPrefix(\`/${name}\`)`,
      [`${p}.http.routers.${name}.service`]: name,
      [`${p}.http.services.${name}.loadBalancer.server.port`]: String(port),
      ...extra,
    };
  }

  private async create(docker: Docker, name: string, urls: string[]): Promise<void> {
    await Promise.all(
      urls.map((url, i) => {
        const u = new URL(url);
        if (u.hostname !== '127.0.0.1') throw new Error(`host-network containers are reached on 127.0.0.1, not ${u.hostname}`);
        const extra = u.protocol === 'https:' ? { [`${this.prefix}.http.services.${name}.loadBalancer.server.scheme`]: 'https' } : {};
        return runContainer(docker, { name: `${this.prefix}-${name}-${i}`, labels: this.labels(name, Number(u.port), extra), restartAlways: true });
      }),
    );
  }

  async putService(name: string, urls: string[]): Promise<void> {
    // Labels are fixed at creation: changing a service means recreating its containers.
    await removeLabelled(engine.docker, SERVICE, name);
    await this.create(engine.docker, name, urls);
  }

  async deleteService(name: string): Promise<void> {
    await removeLabelled(engine.docker, SERVICE, name);
  }

  async putBadWeight(name: string): Promise<void> {
    await removeLabelled(engine.docker, SERVICE, name);
    await runContainer(engine.docker, {
      name: `${this.prefix}-${name}-0`,
      labels: this.labels(name, 9001, { [`${this.prefix}.http.services.${name}.loadBalancer.server.weight`]: 'heavy' }),
      restartAlways: true,
    });
  }

  restartSource(): Promise<void> {
    return engine.restart();
  }

  restartSourceWith(services: Record<string, string[]>): Promise<void> {
    return engine.restart(async (side) => {
      await removeLabelled(side, OWNER, this.prefix);
      for (const [name, urls] of Object.entries(services)) await this.create(side, name, urls);
    });
  }
}

// Containers cannot expire, and labels are not a KV store: the ttl and kvLayout cases do not apply.
providerContract('docker', () => new DockerHarness(), { ttl: false, kvLayout: false });

describe('docker provider', () => {
  const cleanup: Array<() => Promise<void> | void> = [];
  afterEach(async () => {
    for (const fn of cleanup.splice(0).reverse()) await fn();
  });

  /** A label prefix of its own, and a way to start containers that are removed after the test. */
  const scope = () => {
    const prefix = uniquePrefix();
    cleanup.push(() => removeLabelled(engine.docker, OWNER, prefix));
    const run = (name: string, labels: Record<string, string> = {}, more: Partial<Parameters<typeof runContainer>[1]> = {}) =>
      runContainer(engine.docker, { name: `${prefix}-${name}`, labels: { [OWNER]: prefix, ...labels }, ...more });
    const l = (path: string): string => `${prefix}.${path}`;
    return { prefix, run, l };
  };
  const start = async (p: DockerProvider, log = captureLogs().log): Promise<ProviderRun> => {
    const r = await new ProviderRun(p).start(log);
    cleanup.push(() => r.stop());
    return r;
  };
  const errorsOf = (r: ProviderRun): string => r.validated().errors.map(formatConfigError).join('\n');

  it('pools the replicas of a service into one pool, one server each, and drops a stopped one', async () => {
    const { prefix, run, l } = scope();
    const labels = (port: number) => ({
      [l('enable')]: 'true',
      [l('http.routers.web.rule')]: 'Host(`web.localhost`)',
      [l('http.services.web.loadBalancer.server.port')]: String(port),
      [l('http.services.web.loadBalancer.strategy')]: 'leastConn',
    });
    await Promise.all([run('web-1', labels(9101)), run('web-2', labels(9102)), run('web-3', labels(9103))]);
    const r = await start(provider({ labelPrefix: prefix }));
    expect(r.servers('web')).toEqual(['http://127.0.0.1:9101', 'http://127.0.0.1:9102', 'http://127.0.0.1:9103']);
    expect(r.validated().config.http.services.get('web@docker')?.loadBalancer.strategy).toBe('leastConn');
    // The router every replica declares is one router.
    expect([...r.validated().config.http.routers.keys()]).toEqual(['web@docker']);
    expect(errorsOf(r)).toBe('');
    await engine.docker.getContainer(`${prefix}-web-2`).stop({ t: 5 });
    await waitFor(() => r.servers('web')?.length === 2, 'the stopped replica to leave the pool');
    expect(r.servers('web')).toEqual(['http://127.0.0.1:9101', 'http://127.0.0.1:9103']);
    await run('web-4', labels(9104));
    await waitFor(() => r.servers('web')?.length === 3, 'a new replica to join');
  });

  it('routes a container only while its Docker health check passes; starting and unhealthy ones are skipped', async () => {
    const { prefix, run, l } = scope();
    const labels = (name: string, port: number) => ({
      [l('enable')]: 'true',
      [l(`http.routers.${name}.rule`)]: `Host(\`${name}.localhost\`)`,
      [l(`http.services.${name}.loadBalancer.server.port`)]: String(port),
    });
    // Never passes; checks for the first time after an hour (stays `starting`); passes once /tmp/ready exists.
    await run('sick', labels('sick', 9201), { health: { cmd: 'false', intervalMs: 100 } });
    await run('slow', labels('slow', 9202), { health: { cmd: 'true', intervalMs: 3_600_000 } });
    const flaky = await run('flaky', labels('flaky', 9203), { health: { cmd: 'test -f /tmp/ready', intervalMs: 100 } });
    await waitFor(async () => (await engine.docker.getContainer(`${prefix}-sick`).inspect()).State.Health?.Status === 'unhealthy', 'docker to call it unhealthy');
    const r = await start(provider({ labelPrefix: prefix }));
    await run('fine', labels('fine', 9204));
    await waitFor(() => r.servers('fine'), 'the container without a health check');
    expect(r.servers('sick')).toBeUndefined();
    expect(r.servers('slow')).toBeUndefined();
    expect(r.servers('flaky')).toBeUndefined();
    expect(errorsOf(r)).toBe('');
    // health_status events route it when its check starts passing, and drop it when it fails again.
    const exec = async (cmd: string[]): Promise<void> => {
      const e = await flaky.exec({ Cmd: cmd });
      await new Promise<void>((resolve, reject) => void e.start({}, (err, stream) => (err ? reject(err) : (stream!.on('end', () => resolve()), stream!.resume()))));
    };
    await exec(['touch', '/tmp/ready']);
    await waitFor(() => r.servers('flaky')?.length === 1, 'the container to be routed once healthy');
    await exec(['rm', '/tmp/ready']);
    await waitFor(() => r.servers('flaky') === undefined, 'the container to leave once unhealthy');
  });

  it('exposedByDefault true routes every container with defaultRule, unless it says enable=false', async () => {
    const { prefix, run, l } = scope();
    await run('plain_app.v2', {}, { expose: [8080] });
    await run('optout', { [l('enable')]: 'false' }, { expose: [8081] });
    const r = await start(provider({ labelPrefix: prefix, exposedByDefault: true, defaultRule: 'Host(`{{name}}.docker.localhost`)' }));
    // The name is normalized for names and hosts: `_` and `.` become `-`.
    const name = `${prefix}-plain-app-v2`;
    expect(r.servers(name)).toEqual(['http://127.0.0.1:8080']);
    expect(r.validated().config.http.routers.get(`${name}@docker`)).toEqual({
      entryPoints: [],
      rule: `Host(\`${name}.docker.localhost\`)`,
      priority: 0,
      service: `${name}@docker`,
    });
    expect(r.servers(`${prefix}-optout`)).toBeUndefined();
    expect(r.validated().config.http.routers.get(`${prefix}-optout@docker`)).toBeUndefined();
  });

  it('exposedByDefault false routes only containers that say enable=true, and events about the others cost no API call', async () => {
    const { prefix, run, l } = scope();
    const p = provider({ labelPrefix: prefix });
    const r = await start(p);
    const before = { ...p.stats };
    await Promise.all([1, 2, 3, 4].map((i) => run(`quiet-${i}`, { [l('http.routers.quiet.rule')]: 'Host(`quiet`)' }, { expose: [8080 + i] })));
    await run('loud', { [l('enable')]: 'true' }, { expose: [8090] });
    await waitFor(() => r.servers(`${prefix}-loud`), 'the enabled container');
    expect(r.serviceCount()).toBe(1);
    // Four starts it ignored by their labels alone, and one inspect for the container it routes.
    expect(p.stats.events - before.events).toBeGreaterThanOrEqual(5);
    expect(p.stats.inspects - before.inspects).toBe(1);
    expect(p.stats.lists).toBe(before.lists);
  });

  it('inspects only the container an event names: no re-list, however many containers run', async () => {
    const { prefix, run, l } = scope();
    const labels = (i: number) => ({ [l('enable')]: 'true', [l(`http.services.s${i}.loadBalancer.server.port`)]: String(9300 + i) });
    for (let i = 0; i < 20; i += 5) await Promise.all([0, 1, 2, 3, 4].map((j) => run(`c${i + j}`, labels(i + j))));
    const p = provider({ labelPrefix: prefix });
    const r = await start(p);
    expect(r.serviceCount()).toBe(20);
    expect(p.stats).toMatchObject({ lists: 1, inspects: 20 });
    await run('new', labels(99));
    await waitFor(() => r.servers('s99'), 'the new container');
    await engine.docker.getContainer(`${prefix}-c3`).stop({ t: 5 });
    await waitFor(() => r.servers('s3') === undefined, 'the stopped container to go');
    // One inspect for the start; a stop needs none (its kill and die events say enough).
    expect(p.stats).toMatchObject({ lists: 1, inspects: 21 });
  });

  it("reads Traefik's own labels with labelPrefix traefik, in any key casing, lists as comma-separated values", async () => {
    const { run } = scope();
    await run('whoami', {
      'traefik.enable': 'true',
      'traefik.http.routers.whoami.rule': 'Host(`whoami.localhost`) && PathPrefix(`/api`)',
      'traefik.http.routers.whoami.entrypoints': 'web,admin',
      'traefik.http.routers.whoami.priority': '7',
      'traefik.http.services.whoami.loadbalancer.server.port': '8088',
      'traefik.http.services.whoami.loadbalancer.server.weight': '3',
      'traefik.http.services.whoami.loadbalancer.sticky.cookie.name': 'sy_whoami',
      'traefik.http.services.whoami.loadbalancer.passhostheader': 'false',
      'switchyard.http.routers.other.rule': 'Host(`ignored`)',
    });
    const p = provider({ labelPrefix: 'traefik' });
    const r = await start(p);
    const v = validateWith(r, ['web', 'admin']);
    expect(v.errors.map(formatConfigError)).toEqual([]);
    expect(v.config.http.routers.get('whoami@docker')).toEqual({
      entryPoints: ['web', 'admin'],
      rule: 'Host(`whoami.localhost`) && PathPrefix(`/api`)',
      priority: 7,
      service: 'whoami@docker',
    });
    expect(v.config.http.services.get('whoami@docker')?.loadBalancer).toMatchObject({
      servers: [{ url: 'http://127.0.0.1:8088', weight: 3 }],
      passHostHeader: false,
      sticky: { cookie: { name: 'sy_whoami' } },
    });
    expect([...v.config.http.routers.keys()]).toEqual(['whoami@docker']);
  });

  it('uses the single exposed port when no port label says; otherwise names the container and the label to add', async () => {
    const { prefix, run, l } = scope();
    await run('one', { [l('enable')]: 'true' }, { expose: [8080] });
    await run('none', { [l('enable')]: 'true' });
    await run('two', { [l('enable')]: 'true' }, { expose: [80, 443] });
    const r = await start(provider({ labelPrefix: prefix }));
    expect(r.servers(`${prefix}-one`)).toEqual(['http://127.0.0.1:8080']);
    const errors = errorsOf(r);
    expect(errors).toContain(
      `container ${prefix}-none: service ${prefix}-none@docker: loadBalancer.server.port: no port: the container exposes no port; add label ${prefix}.http.services.${prefix}-none.loadBalancer.server.port; container ${prefix}-none is not routed until this is fixed`,
    );
    expect(errors).toContain(`container ${prefix}-two: service ${prefix}-two@docker: loadBalancer.server.port: no port: the container exposes several ports (80, 443)`);
    expect(r.servers(`${prefix}-none`)).toBeUndefined();
    expect(r.validated().config.http.routers.get(`${prefix}-none@docker`)).toBeUndefined();
  });

  it('keeps the last config while cut off from a tcp:// engine, logs the outage and the recovery once each, and re-lists on reconnect', async () => {
    const { prefix, run, l } = scope();
    const labels = (port: number) => ({ [l('enable')]: 'true', [l('http.services.app.loadBalancer.server.port')]: String(port) });
    await run('kept', labels(9401));
    await run('lost', labels(9402));
    const proxy = await unixSocketProxy(engine.socket);
    cleanup.push(() => proxy.close());
    const logs = captureLogs();
    const p = provider({ labelPrefix: prefix, endpoint: proxy.endpoint });
    const r = await start(p, logs.log);
    expect(r.servers('app')).toEqual(['http://127.0.0.1:9401', 'http://127.0.0.1:9402']);
    const emitted = r.snapshots.length;
    proxy.cut();
    await waitFor(() => logs.matching(/is unreachable/).length > 0, 'the outage to be logged');
    // Changed while the provider cannot hear the events.
    await engine.docker.getContainer(`${prefix}-lost`).remove({ force: true });
    await run('new', labels(9403));
    const connects = p.stats.connects;
    await waitFor(() => p.stats.connects >= connects + 2, 'reconnect attempts to fail');
    expect(r.snapshots.length).toBe(emitted);
    expect(r.servers('app')).toEqual(['http://127.0.0.1:9401', 'http://127.0.0.1:9402']);
    proxy.restore();
    await waitFor(() => r.servers('app')?.includes('http://127.0.0.1:9403'), 'the re-list after reconnect', 10_000);
    expect(r.servers('app')).toEqual(['http://127.0.0.1:9401', 'http://127.0.0.1:9403']);
    expect(r.snapshots.length).toBe(emitted + 1);
    expect(logs.matching(/is unreachable/)).toHaveLength(1);
    expect(logs.matching(/is reachable again/)).toHaveLength(1);
    expect(p.stats.lists).toBe(2);
    // Events flow again on the new connection.
    await engine.docker.getContainer(`${prefix}-kept`).stop({ t: 5 });
    await waitFor(() => r.servers('app')?.length === 1, 'an event after reconnect');
  });

  it('starts without an engine, says so, and routes its containers once it answers', async () => {
    const { prefix, run, l } = scope();
    await run('early', { [l('enable')]: 'true', [l('http.services.app.loadBalancer.server.port')]: '9501' }, { restartAlways: true });
    await engine.stop();
    let r: ProviderRun;
    try {
      r = await start(provider({ labelPrefix: prefix }));
      expect(r.latest?.errors?.map(formatConfigError).join('\n')).toMatch(new RegExp(`docker unix://${escape(engine.socket)}: unreachable \\(.*\\); its containers are routed as soon as it answers`));
    } finally {
      await engine.start();
    }
    await waitFor(() => r.servers('app')?.length === 1, 'the containers once the engine answers', 15_000);
    expect(r.latest?.errors).toEqual([]);
  });
});

describe('docker labels → config (pure)', () => {
  const options: LabelOptions = { provider: 'docker', prefix: 'switchyard', exposedByDefault: true, network: '', defaultRule: 'Host(`{{name}}.docker.localhost`)', hostAddress: '127.0.0.1' };
  const facts = (name: string, labels: Record<string, string>, more: Partial<ContainerFacts> = {}): ContainerFacts => ({
    id: `id-${name}`,
    name,
    created: 0,
    labels,
    running: true,
    health: undefined,
    networkMode: 'bridge',
    networks: { bridge: { ipv4: '172.17.0.2', ipv6: '' } },
    exposedPorts: [80],
    ...more,
  });
  const configOf = (f: ContainerFacts, o: Partial<LabelOptions> = {}): ContainerConfig => {
    const view = containerConfig(f, { ...options, ...o });
    if (view.kind !== 'config') throw new Error(`skipped: ${view.reason}`);
    return view.config;
  };
  const merged = (...cs: ContainerConfig[]) => mergeContainers(cs, 'docker');

  it('uses the container IP on its network, or on the network named by label or option', () => {
    const multi = { networks: { front: { ipv4: '10.1.0.5', ipv6: '' }, back: { ipv4: '10.2.0.5', ipv6: '' } } };
    expect(configOf(facts('a', {}, multi)).servers['a']?.url).toBe('http://10.2.0.5:80');
    expect(configOf(facts('a', {}, multi), { network: 'front' }).servers['a']?.url).toBe('http://10.1.0.5:80');
    expect(configOf(facts('a', { 'switchyard.docker.network': 'front' }, multi), { network: 'back' }).servers['a']?.url).toBe('http://10.1.0.5:80');
    const missing = configOf(facts('a', {}, multi), { network: 'db' });
    expect(missing.errors.map(formatConfigError)).toEqual(['container a: has no address on network "db" (it is on back, front); container a is not routed until this is fixed']);
    expect(configOf(facts('h', {}, { networkMode: 'host', networks: {} })).servers['h']?.url).toBe('http://127.0.0.1:80');
  });

  it('fills a router without a rule from defaultRule and without a service from the only service', () => {
    const c = configOf(facts('web_1', { 'switchyard.http.routers.r.entrypoints': 'web', 'switchyard.http.services.svc.loadbalancer.server.scheme': 'HTTPS' }));
    expect(c.routers).toEqual({ r: { entryPoints: ['web'], rule: 'Host(`web-1.docker.localhost`)', service: 'svc' } });
    expect(c.servers['svc']?.url).toBe('https://172.17.0.2:80');
  });

  it('names the router that needs a service label when the container defines several services', () => {
    const c = configOf(
      facts('multi', {
        'switchyard.http.routers.r.rule': 'Host(`m`)',
        'switchyard.http.services.a.loadBalancer.server.port': '80',
        'switchyard.http.services.b.loadBalancer.server.port': '81',
      }),
    );
    expect(c.errors.map(formatConfigError)).toEqual([
      'container multi: router r@docker: service: the container defines several services (a, b); say which with label switchyard.http.routers.r.service',
    ]);
    expect(Object.keys(c.routers)).toEqual([]);
    expect(Object.keys(c.servers)).toEqual(['a', 'b']);
  });

  it('rejects server lists, unknown server fields and a bad enable value, naming the label', () => {
    const text = (labels: Record<string, string>): string[] => configOf(facts('x', labels)).errors.map(formatConfigError);
    expect(text({ 'switchyard.http.services.s.loadBalancer.servers.0.url': 'http://1.2.3.4' })[0]).toMatch(
      /^container x: label switchyard\.http\.services\.s\.loadBalancer\.servers\.0\.url: service s@docker: loadBalancer\.servers: servers come from the containers themselves; set switchyard\.http\.services\.s\.loadBalancer\.server\.port/,
    );
    expect(text({ 'switchyard.http.services.s.loadBalancer.server.host': 'x' })[0]).toMatch(/unknown server label; expected .*server\.port/);
    expect(text({ 'switchyard.enable': 'yes' })[0]).toBe('container x: label switchyard.enable: expected true or false, got "yes"; container x is not routed until this is fixed');
    // Keys are case-insensitive, so two labels can name one field: the first (in key order) is used.
    expect(text({ 'switchyard.http.routers.r.rule': 'Host(`a`)', 'switchyard.http.routers.r.Rule': 'Host(`b`)' })).toEqual([
      'container x: label switchyard.http.routers.r.rule: names the same field as label switchyard.http.routers.r.Rule (path segments are case-insensitive); using label switchyard.http.routers.r.Rule',
    ]);
    expect(text({ 'switchyard.http.services.s.loadBalancer.server.port': '99999' })[0]).toMatch(/server\.port: service s@docker: loadBalancer\.server\.port: expected a port number 1-65535, got "99999"/);
  });

  it('keeps the older container’s definition when replicas disagree, and says where', () => {
    const labels = (strategy: string) => ({ 'switchyard.http.services.web.loadBalancer.strategy': strategy, 'switchyard.http.routers.web.rule': 'Host(`w`)' });
    const old = configOf(facts('web-old', labels('leastConn'), { created: 1, networks: { n: { ipv4: '10.0.0.1', ipv6: '' } } }));
    const young = configOf(facts('web-new', labels('p2c'), { created: 2, networks: { n: { ipv4: '10.0.0.2', ipv6: '' } } }));
    const m = merged(young, old);
    expect(m.config.http?.services?.['web']).toEqual({
      loadBalancer: { strategy: 'leastConn', servers: [{ url: 'http://10.0.0.2:80' }, { url: 'http://10.0.0.1:80' }] },
    });
    expect(m.errors.map(formatConfigError)).toEqual([
      'container web-new: service web@docker: containers web-old and web-new define it differently (loadBalancer.strategy); using web-old\'s, the older one',
    ]);
    expect(m.origins['http.services.web.loadBalancer.strategy']).toBe('container web-old: label switchyard.http.services.web.loadBalancer.strategy');
  });

  it('uses a server URL two containers resolve to once', () => {
    const host = { networkMode: 'host', networks: {} };
    const m = merged(configOf(facts('a', { 'switchyard.http.services.s.loadBalancer.server.port': '80' }, host)), configOf(facts('b', { 'switchyard.http.services.s.loadBalancer.server.port': '80' }, host)));
    expect(m.config.http?.services?.['s']).toEqual({ loadBalancer: { servers: [{ url: 'http://127.0.0.1:80' }] } });
    expect(m.errors.map(formatConfigError).join('\n')).toMatch(/containers a and b both resolve to http:\/\/127\.0\.0\.1:80; b is left out/);
  });

  it('skips containers that are not running, not exposed, or whose health check is starting or unhealthy', () => {
    expect(containerConfig(facts('a', {}, { running: false }), options)).toMatchObject({ kind: 'skip', reason: 'not running' });
    expect(containerConfig(facts('a', {}, { health: 'starting' }), options)).toMatchObject({ kind: 'skip' });
    expect(containerConfig(facts('a', {}, { health: 'unhealthy' }), options)).toMatchObject({ kind: 'skip' });
    expect(containerConfig(facts('a', {}, { health: 'healthy' }), options)).toMatchObject({ kind: 'config' });
    expect(containerConfig(facts('a', {}), { ...options, exposedByDefault: false })).toMatchObject({ kind: 'skip' });
    expect(containerConfig(facts('a', { 'SwitchYard.Enable': 'TRUE' }), { ...options, exposedByDefault: false })).toMatchObject({ kind: 'config' });
  });
});

describe('providers.docker in the static config', () => {
  const parse = (docker: unknown) =>
    parseStaticConfig(JSON.stringify({ entryPoints: { web: { address: '127.0.0.1:0' } }, providers: { docker } }), path.join('/tmp', 'switchyard.yaml')).config.providers.docker;
  const problems = (docker: unknown): string => {
    try {
      parse(docker);
      return '';
    } catch (err) {
      return (err as StaticConfigError).problems.join('\n');
    }
  };

  it("has Traefik's defaults", () => {
    expect(parse(null)).toEqual({ endpoint: 'unix:///var/run/docker.sock', exposedByDefault: true, network: '', defaultRule: 'Host(`{{name}}`)', labelPrefix: 'switchyard' });
    expect(parse({ endpoint: 'tcp://10.0.0.1:2375', labelPrefix: 'traefik', exposedByDefault: false })).toMatchObject({ endpoint: 'tcp://10.0.0.1:2375', labelPrefix: 'traefik' });
  });

  it('names a bad endpoint, an unknown placeholder and a defaultRule that does not parse', () => {
    expect(problems({ endpoint: '/var/run/docker.sock' })).toMatch(/providers\.docker\.endpoint: expected unix:\/\/\/path\/to\/docker\.sock or tcp:\/\/host:port/);
    expect(problems({ defaultRule: 'Host(`{{ normalize .Name }}`)' })).toMatch(/providers\.docker\.defaultRule: unknown placeholder \{\{ normalize \.Name \}\}; the only one is \{\{name\}\}/);
    expect(problems({ defaultRule: 'Host(`{{name}}`' })).toMatch(/providers\.docker\.defaultRule: not a valid rule/);
  });
});

/** ProviderRun validates against entry point `web` only; some tests declare more. */
function validateWith(r: ProviderRun, entryPoints: string[]) {
  return validateSnapshots(r.latest ? [r.latest] : [], { entryPoints });
}

function escape(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/** tcp://127.0.0.1:PORT in front of the engine's unix socket, which a test can cut and restore. */
async function unixSocketProxy(socketPath: string): Promise<{ endpoint: string; cut(): void; restore(): void; close(): Promise<void> }> {
  const sockets = new Set<net.Socket>();
  let open = true;
  const track = (s: net.Socket): void => {
    sockets.add(s);
    s.once('close', () => sockets.delete(s));
    s.on('error', () => s.destroy());
  };
  const server = net.createServer((client) => {
    track(client);
    if (!open) return void client.destroy();
    const upstream = net.connect(socketPath);
    track(upstream);
    client.pipe(upstream).pipe(client);
    client.once('close', () => upstream.destroy());
    upstream.once('close', () => client.destroy());
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as net.AddressInfo).port;
  return {
    endpoint: `tcp://127.0.0.1:${port}`,
    cut: () => {
      open = false;
      for (const s of sockets) s.destroy();
    },
    restore: () => {
      open = true;
    },
    close: async () => {
      for (const s of sockets) s.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
