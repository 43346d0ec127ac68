import pino from 'pino';
import { describe, expect, it } from 'vitest';
import type { ProviderSnapshot, ValidatedConfig } from '../../../src/config/dynamic-config.js';
import { validateSnapshots } from '../../../src/config/validate.js';
import { buildRoutingTable, buildSteps } from '../../../src/runtime/build-table.js';
import type { RoutingTable } from '../../../src/runtime/routing-table.js';
import { SpareServices } from '../../../src/runtime/spare-services.js';
import { runInSlices } from '../../../src/time-slices.js';
import { trackedRegistries } from '../../helpers/registries.js';

const log = pino({ level: 'silent' });
const EPS = ['web', 'admin'];
type Http = { routers: Record<string, unknown>; services: Record<string, unknown> };

const svc = (...urls: Array<string | [string, number]>) => ({
  loadBalancer: { servers: urls.map((u) => (typeof u === 'string' ? { url: u } : { url: u[0], weight: u[1] })) },
});
const validated = (provider: string, http: Http): ValidatedConfig => {
  const v = validateSnapshots([{ provider, config: { http } } as ProviderSnapshot], { entryPoints: EPS });
  expect(v.errors).toEqual([]);
  return v;
};

/** Route names per entry point in the order a lookup for each host tries them. */
function lookups(table: RoutingTable, hosts: string[]): Record<string, Array<string | undefined>> {
  const out: Record<string, Array<string | undefined>> = {};
  for (const [ep, set] of table.entryPoints) {
    out[ep] = hosts.map((host) => set.match({ host, path: '/x', method: 'GET', headers: {}, clientIp: '127.0.0.1', query: '' } as never)?.name);
  }
  return out;
}
const order = (t: RoutingTable) => [...t.routes.values()].map((r) => [r.name, r.order, r.priority]);

describe('table build reuse', () => {
  const registry = trackedRegistries(log);

  it('keeps an unchanged service\'s runtime and continues its round robin exactly; a changed one gets a new runtime', () => {
    const a = svc(['http://10.0.0.1', 3], 'http://10.0.0.2', 'http://10.0.0.3');
    const http1: Http = { routers: { ra: { rule: 'Host(`a`)', service: 'a' }, rb: { rule: 'Host(`b`)', service: 'b' } }, services: { a, b: svc('http://10.0.1.1') } };
    const http2: Http = { routers: { ...http1.routers }, services: { a, b: svc('http://10.0.1.2') } };
    const pick = (t: RoutingTable, n: number) => Array.from({ length: n }, () => t.services.get('a@reuse1')!.pool.pick({ clientIp: '127.0.0.1' })?.url);

    // Control: the same service with no reload in between.
    const control = buildRoutingTable(validated('reuse1', http1), registry(), { version: 1, entryPoints: EPS });
    const expected = pick(control, 12);

    const reg = registry();
    const t1 = buildRoutingTable(validated('reuse1', http1), reg, { version: 1, entryPoints: EPS });
    const first = pick(t1, 5);
    const t2 = buildRoutingTable(validated('reuse1', http2), reg, { version: 2, entryPoints: EPS, previous: t1 });
    expect([...first, ...pick(t2, 7)]).toEqual(expected);

    expect(t2.services.get('a@reuse1')).toBe(t1.services.get('a@reuse1'));
    expect(t2.services.get('b@reuse1')).not.toBe(t1.services.get('b@reuse1'));
    expect(t2.services.get('b@reuse1')!.servers.map((s) => s.url)).toEqual(['http://10.0.1.2']);
    // The route to the unchanged service is the same object; the other one points at the new runtime.
    expect(t2.routes.get('ra@reuse1')).toBe(t1.routes.get('ra@reuse1'));
    expect(t2.routes.get('rb@reuse1')!.service).toBe(t2.services.get('b@reuse1'));
    expect(t1.routes.get('rb@reuse1')!.service).toBe(t1.services.get('b@reuse1'));
  });

  it('hands back the previous table\'s maps and host index when nothing changed', () => {
    const http: Http = { routers: { r: { rule: 'Host(`x`)', service: 's' } }, services: { s: svc('http://10.0.0.1') } };
    const reg = registry();
    const t1 = buildRoutingTable(validated('reuse2', http), reg, { version: 1, entryPoints: EPS });
    // A new snapshot with the same item objects (what the KV mirror and workers hand over).
    const t2 = buildRoutingTable(validated('reuse2', { routers: { ...http.routers }, services: { ...http.services } }), reg, { version: 2, entryPoints: EPS, previous: t1 });
    expect(t2.services).toBe(t1.services);
    expect(t2.routes).toBe(t1.routes);
    expect(t2.entryPoints).toBe(t1.entryPoints);
    expect(t2.version).toBe(2);
  });

  it('drains a server that left and releases it once its last request ends', () => {
    const reg = registry();
    const t1 = buildRoutingTable(validated('reuse3', { routers: {}, services: { s: svc('http://10.0.0.1', 'http://10.0.0.2') } }), reg, { version: 1, entryPoints: EPS });
    const [x, y] = t1.services.get('s@reuse3')!.servers.map((s) => s.state);
    reg.begin(x!);
    const t2 = buildRoutingTable(validated('reuse3', { routers: {}, services: { s: svc('http://10.0.0.2') } }), reg, { version: 2, entryPoints: EPS, previous: t1 });
    expect(t2.services.get('s@reuse3')!.servers[0]!.state).toBe(y);
    expect(x!.draining).toBe(true);
    expect(y!.draining).toBe(false);
    expect(reg.states()).toContain(x);
    reg.end(x!);
    expect(reg.states()).not.toContain(x);
  });

  it('drains the servers of a service that went away and forgets its pool', () => {
    const reg = registry();
    const stays = svc('http://10.0.6.1');
    const t1 = buildRoutingTable(validated('reuse7', { routers: {}, services: { stays, goes: svc('http://10.0.6.2') } }), reg, { version: 1, entryPoints: EPS });
    const state = t1.services.get('goes@reuse7')!.servers[0]!.state;
    const pool = reg.pool('goes@reuse7');
    buildRoutingTable(validated('reuse7', { routers: {}, services: { stays } }), reg, { version: 2, entryPoints: EPS, previous: t1 });
    expect(state.draining).toBe(true);
    expect(reg.states()).not.toContain(state);
    expect(reg.pool('goes@reuse7')).not.toBe(pool);
    expect(t1.services.get('stays@reuse7')!.servers[0]!.state.draining).toBe(false);
  });

  it('keeps the compiled rule of a route that only moved, and compiles a changed rule anew', () => {
    const routers = { rb: { rule: 'Host(`b`) && PathPrefix(`/b`)', service: 's' }, rc: { rule: 'Host(`c`) && PathPrefix(`/c`)', service: 's' } };
    const reg = registry();
    const t1 = buildRoutingTable(validated('reuse8', { routers, services: { s: svc('http://10.0.8.1') } }), reg, { version: 1, entryPoints: EPS });
    // Two validation rounds that parse other rules: the rule cache lets go of these (rule-cache.ts).
    for (const n of [1, 2]) validated(`reuse8x${n}`, { routers: { x: { rule: `Host(\`x${n}\`)`, service: 's' } }, services: { s: svc('http://10.0.8.1') } });
    // A longer rule sorts first (priority 0 = rule length) and moves both routes down one place.
    const http2: Http = { routers: { ...routers, ra: { rule: 'Host(`a`) && PathPrefix(`/aaaa`)', service: 's' } }, services: { s: svc('http://10.0.8.1') } };
    const t2 = buildRoutingTable(validated('reuse8', http2), reg, { version: 2, entryPoints: EPS, previous: t1 });
    const [b1, b2] = [t1.routes.get('rb@reuse8')!, t2.routes.get('rb@reuse8')!];
    expect(b2).not.toBe(b1);
    expect(b2.order).toBe(b1.order + 1);
    expect(b2.rest).toBe(b1.rest);
    expect(b2.hosts).toBe(b1.hosts);
    const http3: Http = { routers: { ...http2.routers, rb: { rule: 'Host(`b`) && PathPrefix(`/bb`)', service: 's' } }, services: http2.services };
    const t3 = buildRoutingTable(validated('reuse8', http3), reg, { version: 3, entryPoints: EPS, previous: t2 });
    const rest = t3.routes.get('rb@reuse8')!.rest!;
    expect(rest).not.toBe(b2.rest);
    expect([rest({ path: '/bb/x' } as never), rest({ path: '/b/x' } as never)]).toEqual([true, false]);
  });

  it('orders routes after an incremental build exactly as a build from scratch', () => {
    const routers: Record<string, unknown> = {};
    for (let i = 0; i < 300; i++) {
      routers[`r${i}`] = { rule: i % 7 === 0 ? `PathPrefix(\`/p${i}\`)` : `Host(\`h${i % 40}.example.com\`) && PathPrefix(\`/${'x'.repeat(i % 13)}\`)`, service: `s${i % 5}`, priority: i % 11 === 0 ? i : 0, ...(i % 9 === 0 ? { entryPoints: ['admin'] } : {}) };
    }
    const services = Object.fromEntries(Array.from({ length: 5 }, (_, i) => [`s${i}`, svc(`http://10.0.2.${i}`)]));
    const next: Http = { routers: { ...routers }, services: { ...services } };
    for (let i = 0; i < 300; i += 17) delete next.routers[`r${i}`];
    for (let i = 5; i < 300; i += 23) next.routers[`r${i}`] = { rule: `Host(\`h${i}.example.com\`)`, service: 's1', priority: 500 - i };
    for (let i = 300; i < 330; i++) next.routers[`r${i}`] = { rule: `Host(\`h${i % 40}.example.com\`)`, service: `s${i % 5}` };
    next.services.s3 = svc('http://10.0.3.3');

    const reg = registry();
    const t1 = buildRoutingTable(validated('reuse4', { routers, services }), reg, { version: 1, entryPoints: EPS });
    const incremental = buildRoutingTable(validated('reuse4', next), reg, { version: 2, entryPoints: EPS, previous: t1 });
    const scratch = buildRoutingTable(validated('reuse4', next), registry(), { version: 2, entryPoints: EPS });
    expect(order(incremental)).toEqual(order(scratch));
    const hosts = [...Array.from({ length: 45 }, (_, i) => `h${i}.example.com`), 'h305.example.com', 'other'];
    expect(lookups(incremental, hosts)).toEqual(lookups(scratch, hosts));
    expect(incremental.routes.size).toBeGreaterThan(250);
  });

  it('builds the same table in time slices as in one go', async () => {
    const routers: Record<string, unknown> = {};
    const services: Record<string, unknown> = {};
    for (let i = 0; i < 400; i++) {
      routers[`r${i}`] = { rule: `Host(\`h${i % 50}.example.com\`) && PathPrefix(\`/${i % 3}\`)`, service: `s${i % 90}`, priority: i % 4 };
      if (i < 90) services[`s${i}`] = svc(`http://10.0.4.${i}`);
    }
    const config = validated('reuse5', { routers, services });
    const oneGo = buildRoutingTable(config, registry(), { version: 1, entryPoints: EPS });
    let turns = 0;
    const counter = setInterval(() => turns++, 0);
    const sliced = await runInSlices(buildSteps(config, registry(), { version: 1, entryPoints: EPS }), () => false, 0);
    clearInterval(counter);
    expect(sliced.done).toBe(true);
    if (!sliced.done) return;
    expect(turns).toBeGreaterThan(0); // the event loop really ran in between
    expect(order(sliced.value)).toEqual(order(oneGo));
    const hosts = Array.from({ length: 52 }, (_, i) => `h${i}.example.com`);
    expect(lookups(sliced.value, hosts)).toEqual(lookups(oneGo, hosts));
  });

  it('lets the next build take services an abandoned one made, and drains what it does not take', () => {
    const reg = registry();
    const spare = new SpareServices();
    const keep = svc('http://10.0.5.1');
    const t1 = buildRoutingTable(validated('reuse6', { routers: {}, services: { keep } }), reg, { version: 1, entryPoints: EPS });
    const added = svc('http://10.0.5.2');
    const other = svc('http://10.0.5.3');
    // Enough routers that the build still has steps to go after it made its services.
    const routers = Object.fromEntries(Array.from({ length: 200 }, (_, i) => [`r${i}`, { rule: `Host(\`h${i}\`)`, service: 'keep' }]));
    const v2 = validated('reuse6', { routers, services: { keep, added, other } });

    // A build overtaken after it made its new services: abandoned before its last step.
    const steps = buildSteps(v2, reg, { version: 2, entryPoints: EPS, previous: t1, spare });
    const addedConfig = v2.config.http.services.get('added@reuse6')!;
    const otherConfig = v2.config.http.services.get('other@reuse6')!;
    // Its services are made in its first steps (one pause before each new one); routers follow.
    for (let i = 0; i < 10; i++) expect(steps.next().done).toBe(false);
    // A build under way keeps what it made to itself; an abandoned one hands it to `spare`.
    expect(spare.find('other@reuse6', otherConfig)).toBeUndefined();
    steps.return(undefined as never);
    const made = spare.find('added@reuse6', addedConfig)!;
    const otherState = spare.find('other@reuse6', otherConfig)!.servers[0]!.state;
    expect(reg.states()).toContain(otherState);
    expect(t1.services.get('keep@reuse6')!.servers[0]!.state.draining).toBe(false);

    // The next config keeps `added` (same validated object) and drops `other`.
    const v3 = validated('reuse6', { routers: {}, services: { keep, added } });
    const t3 = buildRoutingTable(v3, reg, { version: 2, entryPoints: EPS, previous: t1, spare });
    expect(t3.services.get('added@reuse6')).toBe(made);
    expect(t3.services.get('keep@reuse6')).toBe(t1.services.get('keep@reuse6'));
    expect(otherState.draining).toBe(true);
    expect(reg.states()).not.toContain(otherState);
    expect([...spare.values()]).toEqual([]);
  });
});
