import { describe, expect, it } from 'vitest';
import { ipHashBalancer } from '../../../src/balancer/ip-hash.js';
import type { Balancer, BalancerServer } from '../../../src/balancer/types.js';
import { ipOf, makePool, makeServers, nameOf, rebuild } from './helpers.js';

const CLIENTS = 10_000;

function assign(b: Balancer): string[] {
  return Array.from({ length: CLIENTS }, (_, i) => nameOf(b.pick({ clientIp: ipOf(i) })));
}
const build = (servers: readonly BalancerServer[]) => ipHashBalancer(servers, makePool());

describe('ipHash (weighted rendezvous)', () => {
  it('sends the same IP to the same server every time', () => {
    const b = build(makeServers({ a: 1, b: 1, c: 1, d: 1 }));
    const first = assign(b);
    expect(assign(b)).toEqual(first);
    for (let i = 0; i < 50; i++) expect(nameOf(b.pick({ clientIp: ipOf(123) }))).toBe(first[123]);
  });

  it('agrees across independent builds of the same config, whatever the server order', () => {
    const one = assign(build(makeServers({ a: 1, b: 2, c: 1, d: 1 })));
    const two = assign(build(makeServers({ d: 1, c: 1, b: 2, a: 1 })));
    expect(two).toEqual(one);
  });

  it('is stable across processes and versions (golden values)', () => {
    const even = build(makeServers({ a: 1, b: 1, c: 1, d: 1 }));
    const weighted = build(makeServers({ a: 3, b: 1, c: 2 }));
    const golden: [string, string, string][] = [
      ['10.0.0.1', 'a', 'a'],
      ['10.0.0.2', 'b', 'b'],
      ['192.168.1.77', 'd', 'a'],
      ['203.0.113.9', 'c', 'c'],
      ['2001:db8::1', 'b', 'a'],
      ['2001:db8::2', 'b', 'b'],
      ['127.0.0.1', 'c', 'c'],
      ['172.16.5.4', 'b', 'b'],
    ];
    for (const [ip, e, w] of golden) {
      expect(nameOf(even.pick({ clientIp: ip })), ip).toBe(e);
      expect(nameOf(weighted.pick({ clientIp: ip })), ip).toBe(w);
    }
  });

  it('treats an IPv4-mapped IPv6 address like the IPv4 address', () => {
    const b = build(makeServers({ a: 1, b: 1, c: 1, d: 1, e: 1 }));
    for (let i = 0; i < 200; i++) {
      expect(b.pick({ clientIp: `::ffff:${ipOf(i)}` })).toBe(b.pick({ clientIp: ipOf(i) }));
    }
  });

  it('removing a server moves only that server\'s clients', () => {
    const servers = makeServers({ a: 1, b: 1, c: 1, d: 1, e: 1 });
    const before = assign(build(servers));
    const after = assign(build(rebuild(servers).filter((s) => nameOf(s) !== 'c')));
    let moved = 0;
    for (let i = 0; i < CLIENTS; i++) {
      if (before[i] === 'c') {
        expect(after[i]).not.toBe('c');
        moved++;
      } else {
        expect(after[i]).toBe(before[i]);
      }
    }
    expect(moved).toBeGreaterThan(0);
  });

  it('a server that starts draining loses only its own clients', () => {
    const servers = makeServers({ a: 1, b: 1, c: 1 });
    const b = build(servers);
    const before = assign(b);
    servers[0]!.state.draining = true;
    const after = assign(b);
    for (let i = 0; i < CLIENTS; i++) if (before[i] !== 'a') expect(after[i]).toBe(before[i]);
    expect(after).not.toContain('a');
  });

  it('adding a 5th server to 4 moves about 1/5 of clients, all to the new server', () => {
    const servers = makeServers({ a: 1, b: 1, c: 1, d: 1 });
    const before = assign(build(servers));
    const after = assign(build([...rebuild(servers), ...makeServers({ e: 1 })]));
    let moved = 0;
    for (let i = 0; i < CLIENTS; i++) {
      if (after[i] !== before[i]) {
        moved++;
        expect(after[i]).toBe('e');
      }
    }
    expect(moved / CLIENTS).toBeGreaterThan(0.12);
    expect(moved / CLIENTS).toBeLessThan(0.28);
  });

  it('weights 3:1 give about 75/25', () => {
    const names = assign(build(makeServers({ a: 3, b: 1 })));
    const share = names.filter((n) => n === 'a').length / CLIENTS;
    expect(Math.abs(share - 0.75)).toBeLessThanOrEqual(0.05);
  });

  it('equal weights spread evenly', () => {
    const names = assign(build(makeServers({ a: 1, b: 1, c: 1, d: 1 })));
    for (const n of ['a', 'b', 'c', 'd']) {
      const share = names.filter((x) => x === n).length / CLIENTS;
      expect(Math.abs(share - 0.25), n).toBeLessThanOrEqual(0.03);
    }
  });
});
