import { describe, expect, it } from 'vitest';
import { DeferredMap } from '../../../src/config/deferred-map.js';

/** The same sets on a Map and a DeferredMap. */
function both(sets: Array<[string, number]>): [Map<string, number>, DeferredMap<string, number>] {
  const map = new Map<string, number>();
  const deferred = new DeferredMap<string, number>();
  for (const [k, v] of sets) {
    map.set(k, v);
    deferred.set(k, v);
  }
  return [map, deferred];
}

describe('DeferredMap', () => {
  it('reads as the Map the same sets would fill, a key set twice keeping its first place and last value', () => {
    const [map, deferred] = both([['a', 1], ['b', 2], ['a', 3], ['c', 4]]);
    expect([...deferred]).toEqual([...map]);
    expect(deferred.size).toBe(3);
    expect(deferred.get('a')).toBe(3);
    expect(deferred.has('b')).toBe(true);
    expect(deferred.has('z')).toBe(false);
    expect([...deferred.keys()]).toEqual(['a', 'b', 'c']);
    expect([...deferred.values()]).toEqual([3, 2, 4]);
    expect([...deferred.entries()]).toEqual([...map.entries()]);
  });

  it('takes sets after it was read', () => {
    const [map, deferred] = both([['a', 1]]);
    expect(deferred.get('a')).toBe(1);
    map.set('b', 2).set('a', 5);
    deferred.set('b', 2).set('a', 5);
    expect([...deferred]).toEqual([...map]);
  });

  it('calls forEach with value, key and itself, in order', () => {
    const [, deferred] = both([['x', 1], ['y', 2]]);
    const seen: unknown[] = [];
    deferred.forEach((v, k, m) => seen.push([k, v, m === deferred]));
    expect(seen).toEqual([['x', 1, true], ['y', 2, true]]);
  });

  it('is empty until something is set', () => {
    const deferred = new DeferredMap<string, number>();
    expect(deferred.size).toBe(0);
    expect([...deferred]).toEqual([]);
  });
});
