import { describe, expect, it } from 'vitest';
import type { DynamicConfig, RouterConfig, ServiceConfig } from '../../../src/config/dynamic-config.js';
import { applyPatch, diffConfig } from '../../../src/cluster/config-patch.js';

const router = (rule: string, service = 'app@file'): RouterConfig => ({ entryPoints: [], rule, priority: 0, service });
const service = (url: string): ServiceConfig => ({
  loadBalancer: { strategy: 'roundRobin', servers: [{ url, weight: 1 }], passHostHeader: true, retries: 1, retryBodyLimit: 65536, slowStart: 0, panicThreshold: 0 },
});
const config = (routers: Record<string, RouterConfig>, services: Record<string, ServiceConfig>): DynamicConfig => ({
  http: { routers: new Map(Object.entries(routers)), services: new Map(Object.entries(services)) },
});

/** What crosses the IPC channel: a structured clone, as `serialization: 'advanced'` makes it. */
const overTheWire = <T>(v: T): T => structuredClone(v);

describe('config patches between the primary and a worker', () => {
  it('the first patch is full and rebuilds the config exactly', () => {
    const next = config({ a: router('Host(`a`)') }, { 'app@file': service('http://127.0.0.1:1') });
    const patch = diffConfig(undefined, next);
    expect(patch.full).toBe(true);
    expect(applyPatch(undefined, overTheWire(patch))).toEqual(next);
  });

  it('carries only the items whose object changed, and the worker keeps the others\' objects', () => {
    const app = service('http://127.0.0.1:1');
    const other = service('http://127.0.0.1:2');
    const a = router('Host(`a`)');
    const prev = config({ a, b: router('Host(`b`)') }, { 'app@file': app, 'other@file': other });
    const next = config({ a, c: router('Host(`c`)') }, { 'app@file': app, 'other@file': service('http://127.0.0.1:3') });
    const patch = overTheWire(diffConfig(prev, next));
    expect(patch.full).toBe(false);
    expect([...patch.routers.set.keys()]).toEqual(['c']);
    expect(patch.routers.remove).toEqual(['b']);
    expect([...patch.services.set.keys()]).toEqual(['other@file']);
    expect(patch.services.remove).toEqual([]);

    const workerPrev = overTheWire(prev);
    const patched = applyPatch(workerPrev, patch);
    expect(patched).toEqual(next);
    // Identity of unchanged items is what lets the worker's runtime reuse them.
    expect(patched.http.routers.get('a')).toBe(workerPrev.http.routers.get('a'));
    expect(patched.http.services.get('app@file')).toBe(workerPrev.http.services.get('app@file'));
    // The previous config is not modified: a table built from it may still be serving.
    expect([...workerPrev.http.routers.keys()]).toEqual(['a', 'b']);
  });

  it('an unchanged config patches nothing', () => {
    const prev = config({ a: router('Host(`a`)') }, { 'app@file': service('http://127.0.0.1:1') });
    const patch = diffConfig(prev, config(Object.fromEntries(prev.http.routers), Object.fromEntries(prev.http.services)));
    expect(patch).toEqual({ full: false, routers: { set: new Map(), remove: [] }, services: { set: new Map(), remove: [] } });
  });
});
