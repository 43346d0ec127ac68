import { describe, expect, it } from 'vitest';
import * as api from '../../../src/balancer/index.js';
import { resolveStrategyName, strategies, strategyNames } from '../../../src/balancer/strategies.js';

describe('strategies', () => {
  it('lists every strategy once', () => {
    expect([...strategyNames].sort()).toEqual(['ipHash', 'leastConn', 'p2c', 'random', 'roundRobin']);
    for (const n of strategyNames) expect(typeof strategies[n]).toBe('function');
  });

  it('resolves names case-insensitively', () => {
    expect(resolveStrategyName('roundRobin')).toBe('roundRobin');
    expect(resolveStrategyName('ROUNDROBIN')).toBe('roundRobin');
    expect(resolveStrategyName('leastconn')).toBe('leastConn');
    expect(resolveStrategyName('IpHash')).toBe('ipHash');
    expect(resolveStrategyName('random')).toBe('random');
    expect(resolveStrategyName('P2C')).toBe('p2c');
  });

  it("accepts Traefik's aliases wrr and hrw", () => {
    expect(resolveStrategyName('wrr')).toBe('roundRobin');
    expect(resolveStrategyName('WRR')).toBe('roundRobin');
    expect(resolveStrategyName('hrw')).toBe('ipHash');
  });

  it('rejects unknown names', () => {
    for (const n of ['', 'least_conn', 'round-robin', 'rr', 'toString', '__proto__', 'constructor']) {
      expect(resolveStrategyName(n), n).toBeUndefined();
    }
  });

  it('index re-exports the public API', () => {
    expect(api.strategies).toBe(strategies);
    expect(typeof api.resolveStrategyName).toBe('function');
    expect(typeof api.StickyCookie).toBe('function');
    expect(typeof api.isEligible).toBe('function');
    for (const f of [api.roundRobinBalancer, api.leastConnBalancer, api.ipHashBalancer, api.randomBalancer, api.p2cBalancer]) {
      expect(typeof f).toBe('function');
    }
  });
});
