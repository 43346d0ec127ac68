import { describe, expect, it } from 'vitest';
import { p2cBalancer } from '../../../src/balancer/p2c.js';
import { randomBalancer } from '../../../src/balancer/random.js';
import { makePool, makeServers, mulberry32, nameOf } from './helpers.js';

/** A random source that replays fixed values. */
function replay(...values: number[]): () => number {
  let i = 0;
  return () => values[i++ % values.length]!;
}

function shares(pick: () => string, n: number): Record<string, number> {
  const c: Record<string, number> = {};
  for (let i = 0; i < n; i++) {
    const k = pick();
    c[k] = (c[k] ?? 0) + 1;
  }
  for (const k of Object.keys(c)) c[k] = c[k]! / n;
  return c;
}

describe('random (weighted)', () => {
  it('maps the random value onto cumulative weights', () => {
    const b = randomBalancer(makeServers({ a: 1, b: 3 }), makePool(), {
      random: replay(0, 0.2499, 0.25, 0.9999999),
    });
    const seq = Array.from({ length: 4 }, () => nameOf(b.pick({ clientIp: '' })));
    expect(seq).toEqual(['a', 'a', 'b', 'b']);
  });

  it('copes with a random source returning exactly 1', () => {
    const b = randomBalancer(makeServers({ a: 1, b: 3 }), makePool(), { random: () => 1 });
    expect(nameOf(b.pick({ clientIp: '' }))).toBe('b');
  });

  it('follows weights with a seeded PRNG', () => {
    const b = randomBalancer(makeServers({ a: 1, b: 3, c: 6 }), makePool(), { random: mulberry32(42) });
    const s = shares(() => nameOf(b.pick({ clientIp: '' })), 50_000);
    expect(s.a).toBeCloseTo(0.1, 1);
    expect(Math.abs(s.a! - 0.1)).toBeLessThan(0.01);
    expect(Math.abs(s.b! - 0.3)).toBeLessThan(0.01);
    expect(Math.abs(s.c! - 0.6)).toBeLessThan(0.01);
  });
});

describe('p2c (power of two choices)', () => {
  it('with one eligible server, returns it', () => {
    const servers = makeServers({ a: 0, b: 2, c: 0 });
    const b = p2cBalancer(servers, makePool(), { random: mulberry32(1) });
    for (let i = 0; i < 20; i++) expect(b.pick({ clientIp: '' })).toBe(servers[1]);
  });

  it('draws two distinct servers and takes the less loaded', () => {
    const servers = makeServers({ a: 1, b: 1 });
    servers[0]!.state.inFlight = 4;
    const b = p2cBalancer(servers, makePool(), { random: mulberry32(3) });
    for (let i = 0; i < 50; i++) expect(nameOf(b.pick({ clientIp: '' }))).toBe('b');
  });

  it('never picks the most loaded server when others are lighter', () => {
    const servers = makeServers({ a: 5, b: 1, c: 1 });
    servers[0]!.state.inFlight = 10; // 2 per weight
    servers[1]!.state.inFlight = 1;
    const b = p2cBalancer(servers, makePool(), { random: mulberry32(8) });
    const s = shares(() => nameOf(b.pick({ clientIp: '' })), 2000);
    expect(s.a).toBeUndefined();
    expect(s.c! > s.b!).toBe(true);
  });

  it('uses load per weight', () => {
    const servers = makeServers({ a: 4, b: 1 });
    servers[0]!.state.inFlight = 3; // 0.75 per weight
    servers[1]!.state.inFlight = 1; // 1
    const b = p2cBalancer(servers, makePool(), { random: mulberry32(5) });
    for (let i = 0; i < 20; i++) expect(nameOf(b.pick({ clientIp: '' }))).toBe('a');
  });

  it('on a tie takes the first drawn', () => {
    // a:1 b:3 -> first draw 0.1 -> a; second draw excludes a -> b; tie at 0 in flight -> a.
    const b = p2cBalancer(makeServers({ a: 1, b: 3 }), makePool(), { random: replay(0.1, 0.5) });
    expect(nameOf(b.pick({ clientIp: '' }))).toBe('a');
  });

  it('follows weights when idle, with a seeded PRNG', () => {
    const b = p2cBalancer(makeServers({ a: 1, b: 3, c: 6 }), makePool(), { random: mulberry32(42) });
    const s = shares(() => nameOf(b.pick({ clientIp: '' })), 50_000);
    expect(Math.abs(s.a! - 0.1)).toBeLessThan(0.01);
    expect(Math.abs(s.b! - 0.3)).toBeLessThan(0.01);
    expect(Math.abs(s.c! - 0.6)).toBeLessThan(0.01);
  });

  it('keeps load flatter than plain random under sustained load', () => {
    const spread = (factory: typeof p2cBalancer) => {
      const servers = makeServers({ a: 1, b: 1, c: 1, d: 1, e: 1, f: 1, g: 1, h: 1 });
      const rnd = mulberry32(77);
      const b = factory(servers, makePool(), { random: rnd });
      const open: typeof servers = [];
      let worst = 0;
      for (let i = 0; i < 20_000; i++) {
        const s = b.pick({ clientIp: '' })!;
        s.state.inFlight++;
        open.push(s);
        if (open.length > 80) {
          const j = Math.floor(rnd() * open.length);
          open[j]!.state.inFlight--;
          open[j] = open[open.length - 1]!;
          open.pop();
        }
        const loads = servers.map((x) => x.state.inFlight);
        worst = Math.max(worst, Math.max(...loads) - Math.min(...loads));
      }
      return worst;
    };
    expect(spread(p2cBalancer)).toBeLessThan(spread(randomBalancer));
  });
});
