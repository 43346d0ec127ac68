import { describe, expect, it } from 'vitest';
import { roundRobinBalancer } from '../../../src/balancer/round-robin.js';
import type { Balancer } from '../../../src/balancer/types.js';
import { makePool, makeServers, nameOf, rebuild } from './helpers.js';

const picks = (b: Balancer, n: number) => Array.from({ length: n }, () => nameOf(b.pick({ clientIp: '10.0.0.1' })));

function windowCounts(seq: string[], start: number, size: number): Record<string, number> {
  const c: Record<string, number> = {};
  for (const s of seq.slice(start, start + size)) c[s] = (c[s] ?? 0) + 1;
  return c;
}

describe('roundRobin (smooth weighted)', () => {
  it('interleaves 3:1 as a,a,b,a', () => {
    const b = roundRobinBalancer(makeServers({ a: 3, b: 1 }), makePool());
    expect(picks(b, 8)).toEqual(['a', 'a', 'b', 'a', 'a', 'a', 'b', 'a']);
  });

  it('every window of 4 consecutive picks holds exactly 3 a and 1 b', () => {
    const b = roundRobinBalancer(makeServers({ a: 3, b: 1 }), makePool());
    const seq = picks(b, 400);
    for (let i = 0; i + 4 <= seq.length; i++) expect(windowCounts(seq, i, 4)).toEqual({ a: 3, b: 1 });
  });

  it('spreads 5:1:1 smoothly (a,a,b,a,c,a,a)', () => {
    const b = roundRobinBalancer(makeServers({ a: 5, b: 1, c: 1 }), makePool());
    expect(picks(b, 7).join('')).toBe('aabacaa');
  });

  it('equal weights alternate', () => {
    const b = roundRobinBalancer(makeServers({ a: 1, b: 1, c: 1 }), makePool());
    expect(picks(b, 6).join('')).toBe('abcabc');
  });

  it('continues mid-sequence after a rebuild with the same states', () => {
    let servers = makeServers({ a: 3, b: 1 });
    const pool = makePool();
    const first = picks(roundRobinBalancer(servers, pool), 2);
    servers = rebuild(servers);
    const rest = picks(roundRobinBalancer(servers, pool), 6);
    expect([...first, ...rest]).toEqual(['a', 'a', 'b', 'a', 'a', 'a', 'b', 'a']);
  });

  it('follows new weights after a reload that changes them', () => {
    let servers = makeServers({ a: 1, b: 1 });
    picks(roundRobinBalancer(servers, makePool()), 3);
    servers = rebuild(servers, { a: 3, b: 1 });
    const seq = picks(roundRobinBalancer(servers, makePool()), 400);
    for (let i = 0; i + 4 <= seq.length; i++) expect(windowCounts(seq, i, 4)).toEqual({ a: 3, b: 1 });
  });

  it('restarts instead of bursting when a weight drops sharply', () => {
    let servers = makeServers({ a: 100, b: 1 });
    picks(roundRobinBalancer(servers, makePool()), 37);
    servers = rebuild(servers, { a: 1, b: 1 });
    expect(picks(roundRobinBalancer(servers, makePool()), 6).join('')).toBe('ababab');
  });

  it('adapts when a server joins or leaves', () => {
    let servers = makeServers({ a: 2, b: 1 });
    picks(roundRobinBalancer(servers, makePool()), 2);
    servers = [...rebuild(servers), ...makeServers({ c: 1 })];
    const seq = picks(roundRobinBalancer(servers, makePool()), 400);
    expect(windowCounts(seq, 0, 400)).toEqual({ a: 200, b: 100, c: 100 });
    const left = rebuild(servers).filter((s) => nameOf(s) !== 'b');
    const after = picks(roundRobinBalancer(left, makePool()), 300);
    expect(windowCounts(after, 0, 300)).toEqual({ a: 200, c: 100 });
  });

  it('skips a server that started draining without disturbing the others', () => {
    const servers = makeServers({ a: 1, b: 1, c: 1 });
    const b = roundRobinBalancer(servers, makePool());
    picks(b, 2);
    servers[1]!.state.draining = true;
    expect(picks(b, 6).join('')).not.toContain('b');
  });
});
