import { describe, expect, it } from 'vitest';
import { leastConnBalancer } from '../../../src/balancer/least-conn.js';
import type { Balancer } from '../../../src/balancer/types.js';
import { makePool, makeServers, nameOf, rebuild } from './helpers.js';

const pickName = (b: Balancer) => nameOf(b.pick({ clientIp: '10.0.0.1' }));

describe('leastConn', () => {
  it('picks the least loaded server', () => {
    const servers = makeServers({ a: 1, b: 1, c: 1 });
    servers[0]!.state.inFlight = 5;
    servers[1]!.state.inFlight = 2;
    servers[2]!.state.inFlight = 7;
    const b = leastConnBalancer(servers, makePool());
    for (let i = 0; i < 10; i++) expect(pickName(b)).toBe('b');
  });

  it('compares load per weight', () => {
    const servers = makeServers({ a: 2, b: 1 });
    const b = leastConnBalancer(servers, makePool());
    servers[0]!.state.inFlight = 3; // 1.5 per weight
    servers[1]!.state.inFlight = 1; // 1
    expect(pickName(b)).toBe('b');
    servers[0]!.state.inFlight = 1; // 0.5
    expect(pickName(b)).toBe('a');
  });

  it('weight 2 with 2 in flight ties weight 1 with 1 in flight: taken in turn', () => {
    const servers = makeServers({ a: 2, b: 1 });
    servers[0]!.state.inFlight = 2;
    servers[1]!.state.inFlight = 1;
    const b = leastConnBalancer(servers, makePool());
    const seen = new Set(Array.from({ length: 6 }, () => pickName(b)));
    expect(seen).toEqual(new Set(['a', 'b']));
  });

  it('rotates ties instead of always taking the first', () => {
    const b = leastConnBalancer(makeServers({ a: 1, b: 1, c: 1 }), makePool());
    expect(Array.from({ length: 6 }, () => pickName(b)).join('')).toBe('abcabc');
  });

  it('idle ties follow weights', () => {
    const b = leastConnBalancer(makeServers({ a: 3, b: 1 }), makePool());
    const seq = Array.from({ length: 400 }, () => pickName(b));
    expect(seq.filter((s) => s === 'a').length).toBe(300);
  });

  it('spreads requests held open evenly (per weight)', () => {
    const servers = makeServers({ a: 1, b: 2, c: 1 });
    const b = leastConnBalancer(servers, makePool());
    for (let i = 0; i < 40; i++) b.pick({ clientIp: '' })!.state.inFlight++;
    expect(servers.map((s) => s.state.inFlight)).toEqual([10, 20, 10]);
  });

  it('keeps rotating across a rebuild (cursor lives in PoolState)', () => {
    const pool = makePool();
    let servers = makeServers({ a: 1, b: 1 });
    const first = pickName(leastConnBalancer(servers, pool));
    servers = rebuild(servers);
    const second = pickName(leastConnBalancer(servers, pool));
    expect([first, second]).toEqual(['a', 'b']);
  });

  it('works with fractional weights', () => {
    const b = leastConnBalancer(makeServers({ a: 1.5, b: 0.5 }), makePool());
    const seq = Array.from({ length: 4000 }, () => pickName(b));
    const share = seq.filter((s) => s === 'a').length / seq.length;
    expect(Math.abs(share - 0.75)).toBeLessThan(0.01);
  });
});
