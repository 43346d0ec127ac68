import pino from 'pino';
import { describe, expect, it } from 'vitest';
import { strategies } from '../../../src/balancer/strategies.js';
import type { BalancerServer } from '../../../src/balancer/types.js';
import { ServerRegistry } from '../../../src/runtime/server-registry.js';
import { ServicePool } from '../../../src/runtime/service-pool.js';

const log = pino({ level: 'silent' });

function setup(urls: string[], opts: { slowStart?: number; panicThreshold?: number; checked?: boolean } = {}) {
  let now = 1_000_000;
  const clock = () => now;
  const registry = new ServerRegistry({ maxIdleSockets: 1, idleTimeout: 1000 }, log, clock);
  const servers: BalancerServer[] = urls.map((url) => ({ url, weight: 1, state: registry.acquire('svc@t', url, opts.checked ?? false) }));
  const panics: boolean[] = [];
  const pool = new ServicePool(
    servers,
    strategies.roundRobin,
    registry.pool('svc@t'),
    { slowStart: opts.slowStart ?? 0, panicThreshold: opts.panicThreshold ?? 0 },
    undefined,
    'svc@t',
    (_service, p) => panics.push(p),
    clock,
  );
  const count = (n: number): Record<string, number> => {
    const out: Record<string, number> = {};
    for (let i = 0; i < n; i++) {
      const s = pool.pick({ clientIp: '127.0.0.1' });
      const k = s?.url ?? 'none';
      out[k] = (out[k] ?? 0) + 1;
    }
    return out;
  };
  const pass = (i: number) => registry.reportCheck(servers[i]!.state, { time: now, ok: true, detail: 'ok' }, { healthyThreshold: 1, unhealthyThreshold: 1 });
  const fail = (i: number) => registry.reportCheck(servers[i]!.state, { time: now, ok: false, detail: 'status 500' }, { healthyThreshold: 1, unhealthyThreshold: 1 });
  return { registry, servers, pool, count, pass, fail, panics, advance: (ms: number) => (now += ms) };
}

describe('ServicePool', () => {
  it('balances only over available servers and sees health changes without a rebuild', () => {
    const t = setup(['a', 'b']);
    expect(t.count(10)).toEqual({ a: 5, b: 5 });
    t.registry.reportFailure(t.servers[0]!.state, { maxFailures: 1, failureWindow: 1000, ejectFor: 5000 }, 'ECONNREFUSED');
    expect(t.count(10)).toEqual({ b: 10 });
    t.advance(5000);
    // The ejection ends by timer in real life; here the active check ends it early.
    t.pass(0);
    expect(t.count(10)).toEqual({ a: 5, b: 5 });
  });

  it('answers nothing (→ 503) when every server is down', () => {
    const t = setup(['a', 'b'], { checked: true });
    expect(t.count(3)).toEqual({ none: 3 });
    t.pass(1);
    expect(t.count(3)).toEqual({ b: 3 });
    t.fail(1);
    expect(t.count(3)).toEqual({ none: 3 });
  });

  it('enters panic mode below the threshold and balances over all servers', () => {
    const t = setup(['a', 'b', 'c', 'd'], { checked: true, panicThreshold: 50 });
    t.pass(0);
    expect(t.count(8)).toEqual({ a: 2, b: 2, c: 2, d: 2 });
    expect(t.panics).toEqual([true]);
    t.pass(1);
    expect(t.count(8)).toEqual({ a: 4, b: 4 });
    expect(t.panics).toEqual([true, false]);
  });

  it('ramps a server that came up from 10% to its full share over slowStart', () => {
    const t = setup(['a', 'b'], { checked: true, slowStart: 1000 });
    t.pass(0);
    t.advance(2000);
    t.pass(1);
    const shares: number[] = [];
    for (let step = 0; step <= 10; step++) {
      const c = t.count(1000);
      shares.push((c['b'] ?? 0) / 1000);
      t.advance(100);
    }
    // 10% of b's weight at first (b gets ~1/11), then more at each step, then half.
    expect(shares[0]).toBeLessThan(0.15);
    for (let i = 1; i < shares.length; i++) expect(shares[i]!).toBeGreaterThanOrEqual(shares[i - 1]! - 0.01);
    expect(shares[5]).toBeGreaterThan(0.25);
    expect(shares[5]).toBeLessThan(0.45);
    expect(shares[10]).toBeCloseTo(0.5, 2);
  });

  it('excludes tried servers for retries', () => {
    const t = setup(['a', 'b', 'c']);
    const tried = new Set([t.servers[0]!.state, t.servers[1]!.state]);
    for (let i = 0; i < 5; i++) expect(t.pool.pickExcluding({ clientIp: 'x' }, tried)?.url).toBe('c');
    tried.add(t.servers[2]!.state);
    expect(t.pool.pickExcluding({ clientIp: 'x' }, tried)).toBeUndefined();
  });
});
