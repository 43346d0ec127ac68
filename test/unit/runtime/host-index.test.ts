import { describe, expect, it } from 'vitest';
import { HostIndex } from '../../../src/runtime/host-index.js';

interface Item {
  order: number;
  hosts: string[] | null;
  /** Whether the item's rest of the rule accepts the request. */
  ok: boolean;
}

/** What a linear scan in order finds: the index must find exactly this. */
function scan(items: readonly Item[], host: string): Item | undefined {
  return items.find((it) => it.ok && (it.hosts === null || it.hosts.some((h) => h === host || (h.startsWith('*.') && host.endsWith(h.slice(1)) && !host.slice(0, -h.length + 1).includes('.')))));
}

function indexOf(items: readonly Item[]): HostIndex<Item> {
  const index = new HostIndex<Item>();
  for (const it of items) index.add(it, it.hosts);
  return index;
}

const accept = (it: Item): boolean => it.ok;

describe('HostIndex', () => {
  it('finds the only item of a host, and nothing for other hosts', () => {
    const only: Item = { order: 0, hosts: ['a.example'], ok: true };
    const index = indexOf([only]);
    expect(index.find('a.example', accept, undefined)).toBe(only);
    expect(index.find('b.example', accept, undefined)).toBeUndefined();
    expect(index.size).toBe(1);
  });

  it('goes on to the next item of a host, in order, when one does not accept the request', () => {
    const items: Item[] = [
      { order: 0, hosts: ['a.example'], ok: false },
      { order: 1, hosts: ['a.example'], ok: false },
      { order: 2, hosts: ['a.example'], ok: true },
    ];
    expect(indexOf(items).find('a.example', accept, undefined)).toBe(items[2]);
  });

  it('merges exact, wildcard and any-host items by order', () => {
    const items: Item[] = [
      { order: 0, hosts: null, ok: false },
      { order: 1, hosts: ['*.example'], ok: false },
      { order: 2, hosts: ['a.example'], ok: false },
      { order: 3, hosts: null, ok: true },
      { order: 4, hosts: ['a.example'], ok: true },
    ];
    expect(indexOf(items).find('a.example', accept, undefined)).toBe(items[3]);
    items[1]!.ok = true;
    expect(indexOf(items).find('a.example', accept, undefined)).toBe(items[1]);
    // A wildcard covers one label only.
    expect(indexOf(items).find('x.a.example', accept, undefined)).toBe(items[3]);
  });

  it('files an item with several hosts under each, once per distinct host', () => {
    const both: Item = { order: 0, hosts: ['a.example', 'b.example', 'a.example'], ok: true };
    const index = indexOf([both]);
    expect(index.find('a.example', accept, undefined)).toBe(both);
    expect(index.find('b.example', accept, undefined)).toBe(both);
  });

  it('agrees with a linear scan on random tables', () => {
    let seed = 7;
    const random = (n: number): number => {
      seed = (seed * 1103515245 + 12345) & 0x7fffffff;
      return seed % n;
    };
    const hosts = ['a.example', 'b.example', 'c.a.example', '*.example', '*.a.example'];
    for (let round = 0; round < 200; round++) {
      const items: Item[] = [];
      const count = 1 + random(8);
      for (let order = 0; order < count; order++) {
        const pick = random(hosts.length + 2);
        const itemHosts = pick >= hosts.length ? (pick === hosts.length ? null : [hosts[random(hosts.length)]!, hosts[random(hosts.length)]!]) : [hosts[pick]!];
        items.push({ order, hosts: itemHosts, ok: random(3) > 0 });
      }
      const index = indexOf(items);
      for (const host of ['a.example', 'b.example', 'c.a.example', 'd.a.example', 'x.example', 'other.test']) {
        expect(index.find(host, accept, undefined), `${host} in ${JSON.stringify(items)}`).toBe(scan(items, host));
      }
    }
  });
});
