import { describe, expect, it } from 'vitest';
import { strategies, strategyNames } from '../../../src/balancer/strategies.js';
import type { BalancerFactory, StrategyName } from '../../../src/balancer/types.js';
import {
  countPicks,
  ipOf,
  makePool,
  makeServers,
  mulberry32,
  nameOf,
  rebuild,
  serve,
} from './helpers.js';

/** Allowed deviation of a server's share from weight / total, in share points. */
const shareTolerance: Record<StrategyName, number> = {
  roundRobin: 0.001,
  leastConn: 0.001,
  ipHash: 0.02,
  random: 0.02,
  p2c: 0.02,
};

const cases = strategyNames.map((name) => [name, strategies[name]] as [StrategyName, BalancerFactory]);

describe.each(cases)('balancer contract: %s', (name, factory) => {
  const build = (weights: Record<string, number>, seed = 1) =>
    factory(makeServers(weights), makePool(), { random: mulberry32(seed) });

  it('returns undefined for an empty pool', () => {
    const b = factory([], makePool(), { random: mulberry32(1) });
    expect(b.pick({ clientIp: '10.0.0.1' })).toBeUndefined();
  });

  it('returns undefined when every weight is 0', () => {
    const b = build({ a: 0, b: 0, c: 0 });
    for (let i = 0; i < 20; i++) expect(b.pick({ clientIp: ipOf(i) })).toBeUndefined();
  });

  it('returns undefined when every server is draining', () => {
    const servers = makeServers({ a: 1, b: 2 });
    for (const s of servers) s.state.draining = true;
    const b = factory(servers, makePool(), { random: mulberry32(1) });
    expect(b.pick({ clientIp: '10.0.0.1' })).toBeUndefined();
  });

  it('never picks weight-0 or draining servers', () => {
    const servers = makeServers({ a: 1, zero: 0, drain: 2, d: 1 });
    servers[2]!.state.draining = true;
    const b = factory(servers, makePool(), { random: mulberry32(7) });
    const counts = countPicks(b, 2000);
    expect([...counts.keys()].sort()).toEqual(['a', 'd']);
  });

  it('stops picking a server that starts draining after construction', () => {
    const servers = makeServers({ a: 1, b: 1, c: 1 });
    const b = factory(servers, makePool(), { random: mulberry32(3) });
    countPicks(b, 10);
    servers[1]!.state.draining = true;
    const counts = countPicks(b, 2000);
    expect(counts.has('b')).toBe(false);
    expect(counts.get('a')).toBeGreaterThan(0);
    expect(counts.get('c')).toBeGreaterThan(0);
  });

  it('always picks the only server', () => {
    const servers = makeServers({ only: 3, zero: 0 });
    const b = factory(servers, makePool(), { random: mulberry32(1) });
    for (let i = 0; i < 100; i++) expect(serve(b, ipOf(i))).toBe(servers[0]);
  });

  it('returns servers of the pool (same objects)', () => {
    const servers = makeServers({ a: 1, b: 5, c: 2, d: 1 });
    const b = factory(servers, makePool(), { random: mulberry32(11) });
    for (let i = 0; i < 500; i++) expect(servers).toContain(serve(b, ipOf(i)));
  });

  it('is deterministic with an injected random source', () => {
    const run = () => {
      const b = build({ a: 1, b: 2, c: 3 }, 99);
      return Array.from({ length: 300 }, (_, i) => nameOf(serve(b, ipOf(i % 37))));
    };
    expect(run()).toEqual(run());
  });

  it('shares picks in proportion to weight', () => {
    const weights = { a: 1, b: 2, c: 3, d: 4 };
    const picks = 20_000;
    const counts = countPicks(build(weights, 5), picks);
    for (const [server, w] of Object.entries(weights)) {
      const share = (counts.get(server) ?? 0) / picks;
      expect(Math.abs(share - w / 10), `${server}: ${share}`).toBeLessThanOrEqual(shareTolerance[name]);
    }
  });

  it('continues the same sequence when rebuilt with the same ServerState objects', () => {
    const weights = { a: 3, b: 1, c: 2 };
    const picks = 200;
    const straight = () => {
      const b = factory(makeServers(weights), makePool(), { random: mulberry32(21) });
      return Array.from({ length: picks }, (_, i) => nameOf(serve(b, ipOf(i % 13))));
    };
    const reloaded = () => {
      const random = mulberry32(21);
      const pool = makePool();
      let servers = makeServers(weights);
      let b = factory(servers, pool, { random });
      const seq: string[] = [];
      for (let i = 0; i < picks; i++) {
        if (i % 7 === 3) {
          servers = rebuild(servers);
          b = factory(servers, pool, { random });
        }
        seq.push(nameOf(serve(b, ipOf(i % 13))));
      }
      return seq;
    };
    expect(reloaded()).toEqual(straight());
  });
});
