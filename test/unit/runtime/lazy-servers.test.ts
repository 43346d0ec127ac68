import { afterEach, describe, expect, it } from 'vitest';
import { localStats } from '../../../src/api/live-stats.js';
import { serviceView } from '../../../src/api/service-view.js';
import type { ProviderSnapshot, ValidatedConfig } from '../../../src/config/dynamic-config.js';
import { validateSnapshots } from '../../../src/config/validate.js';
import { buildRoutingTable } from '../../../src/runtime/build-table.js';
import type { RoutingTable } from '../../../src/runtime/routing-table.js';
import type { ServerRegistry } from '../../../src/runtime/server-registry.js';
import { captureLogs } from '../../helpers/log-capture.js';
import { trackedRegistries } from '../../helpers/registries.js';

// A new service's servers are acquired from the registry by their first reader (service-runtime.ts),
// unless something needs their states at build time (build-table.ts, newServiceRuntime).

const EPS = ['web'];
type Http = { routers: Record<string, unknown>; services: Record<string, unknown> };

const svc = (...urls: string[]) => ({ loadBalancer: { servers: urls.map((url) => ({ url })) } });
const validated = (provider: string, http: Http): ValidatedConfig => {
  const v = validateSnapshots([{ provider, config: { http } } as ProviderSnapshot], { entryPoints: EPS });
  expect(v.errors).toEqual([]);
  return v;
};
const urls = (reg: ServerRegistry) => reg.states().map((s) => s.key);

describe('servers acquired by their first reader', () => {
  const { log, lines } = captureLogs('info');
  const registry = trackedRegistries(log);
  afterEach(() => {
    lines.length = 0;
  });
  const build = (reg: ServerRegistry, provider: string, http: Http, previous?: RoutingTable, eagerServers?: boolean) =>
    buildRoutingTable(validated(provider, http), reg, { version: (previous?.version ?? 0) + 1, entryPoints: EPS, ...(previous ? { previous } : {}), ...(eagerServers ? { eagerServers } : {}) });

  it('a new unchecked service acquires nothing at build; its first pick acquires its servers, once', () => {
    const reg = registry();
    const t = build(reg, 'lazy1', { routers: { r: { rule: 'Host(`a`)', service: 'a' } }, services: { a: svc('http://10.1.0.1', 'http://10.1.0.2') } });
    expect(urls(reg)).toEqual([]);
    const service = t.services.get('a@lazy1')!;
    expect(service.acquiredServers).toBeUndefined();
    expect(service.panic).toBe(false);
    const picked = service.pool.pick({ clientIp: '127.0.0.1' });
    expect(picked?.url).toBe('http://10.1.0.1');
    expect(urls(reg)).toEqual(['a@lazy1|http://10.1.0.1', 'a@lazy1|http://10.1.0.2']);
    expect(service.acquiredServers).toBe(service.servers);
    expect(service.servers[0]!.state).toBe(picked!.state);
    expect(service.servers[0]!.state).toMatchObject({ available: true, health: 'up', draining: false, inFlight: 0 });
  });

  it('with eagerServers, or a health check, or a sticky cookie, a new service acquires its servers at build', () => {
    const reg = registry();
    build(reg, 'lazy2', { routers: {}, services: { a: svc('http://10.2.0.1') } }, undefined, true);
    expect(urls(reg)).toEqual(['a@lazy2|http://10.2.0.1']);

    const reg2 = registry();
    const checked = { loadBalancer: { servers: [{ url: 'http://10.2.0.2' }], healthCheck: { path: '/health', interval: '10s' } } };
    const sticky = { loadBalancer: { servers: [{ url: 'http://10.2.0.3' }], sticky: { cookie: {} } } };
    const t = build(reg2, 'lazy2', { routers: {}, services: { checked, sticky, plain: svc('http://10.2.0.4') } });
    expect(urls(reg2)).toEqual(['checked@lazy2|http://10.2.0.2', 'sticky@lazy2|http://10.2.0.3']);
    expect(t.services.get('checked@lazy2')!.servers[0]!.state.health).toBe('unknown');
    expect(t.services.get('sticky@lazy2')!.sticky).toBeDefined();
    expect(lines.map((l) => l.msg)).toEqual(['server waits for its first health check']);
  });

  it('a service that goes, or changes, before any request drains nothing and acquires nothing', () => {
    const reg = registry();
    const t1 = build(reg, 'lazy3', { routers: {}, services: { goes: svc('http://10.3.0.1'), changes: svc('http://10.3.0.2') } });
    const t2 = build(reg, 'lazy3', { routers: {}, services: { changes: svc('http://10.3.0.3') } }, t1);
    expect(urls(reg)).toEqual([]);
    expect(lines.filter((l) => l.msg.includes('draining'))).toEqual([]);
    expect(t2.services.get('changes@lazy3')!.acquiredServers).toBeUndefined();
  });

  it('a changed service whose servers were acquired keeps the states that stay and drains the rest, at build time', () => {
    const reg = registry();
    const t1 = build(reg, 'lazy4', { routers: {}, services: { s: svc('http://10.4.0.1', 'http://10.4.0.2') } });
    const [stays, leaves] = t1.services.get('s@lazy4')!.servers.map((s) => s.state);
    reg.begin(leaves!);
    const t2 = build(reg, 'lazy4', { routers: {}, services: { s: svc('http://10.4.0.1', 'http://10.4.0.3') } }, t1);
    const now = t2.services.get('s@lazy4')!;
    // Acquired by the build, to know which states stay: the same object for the server that stays.
    expect(now.acquiredServers?.map((s) => s.state)[0]).toBe(stays);
    expect(leaves!.draining).toBe(true);
    expect(stays!.draining).toBe(false);
    expect(lines.filter((l) => l.msg.includes('draining')).map((l) => l.server)).toEqual(['http://10.4.0.2']);
  });

  it('a service that comes back while its server still drains revives that server at build time', () => {
    const reg = registry();
    const http: Http = { routers: {}, services: { s: svc('http://10.5.0.1') } };
    const t1 = build(reg, 'lazy5', http);
    const state = t1.services.get('s@lazy5')!.servers[0]!.state;
    reg.begin(state);
    const t2 = build(reg, 'lazy5', { routers: {}, services: {} }, t1);
    expect(state.draining).toBe(true);
    expect(reg.hasDraining('s@lazy5')).toBe(true);
    const t3 = build(reg, 'lazy5', { routers: {}, services: { s: svc('http://10.5.0.1') } }, t2);
    expect(t3.services.get('s@lazy5')!.acquiredServers?.[0]!.state).toBe(state);
    expect(state).toMatchObject({ draining: false, inFlight: 1 });
    expect(reg.hasDraining('s@lazy5')).toBe(false);
    reg.end(state);
    expect(reg.states()).toContain(state);
  });

  it('a released draining server no longer counts as draining', () => {
    const reg = registry();
    const t1 = build(reg, 'lazy6', { routers: {}, services: { s: svc('http://10.6.0.1') } });
    const state = t1.services.get('s@lazy6')!.servers[0]!.state;
    reg.begin(state);
    build(reg, 'lazy6', { routers: {}, services: {} }, t1);
    expect(reg.hasDraining('s@lazy6')).toBe(true);
    reg.end(state);
    expect(reg.states()).not.toContain(state);
    expect(reg.hasDraining('s@lazy6')).toBe(false);
  });

  it('the admin view and the live stats of a service no request used acquire nothing, and show its servers up and idle', () => {
    const reg = registry();
    const t = build(reg, 'lazy7', { routers: {}, services: { s: svc('http://10.7.0.1') } });
    const live = localStats(t, reg.states());
    expect(live.panic.size).toBe(0);
    const view = serviceView(t, new Map(), live, 's@lazy7') as { servers: Array<Record<string, unknown>> };
    expect(view.servers).toEqual([
      { url: 'http://10.7.0.1', weight: 1, state: 'up', health: 'up', lastCheck: null, failures: 0, ejectedUntil: null, inFlight: 0, webSockets: 0, served: 0 },
    ]);
    expect(urls(reg)).toEqual([]);
    // Once used, the view shows the acquired state.
    const state = t.services.get('s@lazy7')!.servers[0]!.state;
    reg.begin(state);
    const used = serviceView(t, new Map([[state.key, state]]), localStats(t, reg.states()), 's@lazy7') as { servers: Array<Record<string, unknown>> };
    expect(used.servers[0]).toMatchObject({ state: 'up', inFlight: 1 });
  });

  it('in a worker, a server first acquired after another worker ejected it starts ejected', () => {
    const reg = registry();
    const t = build(reg, 'lazy8', { routers: {}, services: { s: svc('http://10.8.0.1', 'http://10.8.0.2') } });
    const until = Date.now() + 60_000;
    reg.applyRemoteHealth({ key: 's@lazy8|http://10.8.0.1', health: 'up', lastCheck: undefined, ejectedUntil: until });
    const [a, b] = t.services.get('s@lazy8')!.servers.map((s) => s.state);
    expect(a).toMatchObject({ ejectedUntil: until, available: false, health: 'up' });
    expect(b).toMatchObject({ ejectedUntil: 0, available: true });
    expect(t.services.get('s@lazy8')!.pool.pick({ clientIp: '127.0.0.1' })?.state).toBe(b);
  });
});
