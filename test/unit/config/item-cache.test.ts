import { describe, expect, it } from 'vitest';
import { ItemCache, type CacheEntry } from '../../../src/config/item-cache.js';

type Entry = CacheEntry & { value: string };
const entry = (value: string): Entry => ({ value, item: undefined, round: 0 });

describe('ItemCache', () => {
  it('a provider\'s first round files its entries; later rounds find them by identity or content, and drop the unused', () => {
    const cache = new ItemCache<Entry>();
    const a = { url: 'http://a' };
    const b = { url: 'http://b' };
    cache.beginRound();
    expect(cache.get('p', 'a', a)).toBeUndefined();
    cache.set('p', 'a', a, entry('A'));
    cache.set('p', 'b', b, entry('B'));
    cache.endRound();

    cache.beginRound();
    expect(cache.get('p', 'a', a)?.value).toBe('A');
    expect(cache.get('p', 'a', { url: 'http://a' })?.value).toBe('A'); // equal content, new object
    expect(cache.get('p', 'a', { url: 'http://x' })).toBeUndefined(); // changed
    cache.endRound(); // b was not used: dropped

    cache.beginRound();
    expect(cache.get('p', 'b', b)).toBeUndefined();
    expect(cache.get('p', 'a', a)?.value).toBe('A');
    cache.set('p', 'c', { url: 'http://c' }, entry('C'));
    cache.endRound();

    cache.beginRound();
    expect(cache.get('p', 'c', { url: 'http://c' })?.value).toBe('C');
    cache.endRound(); // a not used: dropped, c kept
    cache.beginRound();
    expect(cache.get('p', 'a', a)).toBeUndefined();
    expect(cache.get('p', 'c', { url: 'http://c' })?.value).toBe('C');
  });

  it('a provider none of whose entries a round used goes; one that comes back starts afresh', () => {
    const cache = new ItemCache<Entry>();
    const a = { url: 'http://a' };
    cache.beginRound();
    cache.set('p', 'a', a, entry('A'));
    cache.endRound();
    cache.beginRound();
    cache.endRound();
    cache.beginRound();
    expect(cache.get('p', 'a', a)).toBeUndefined();
    cache.set('p', 'a', a, entry('A2'));
    cache.endRound();
    cache.beginRound();
    expect(cache.get('p', 'a', a)?.value).toBe('A2');
  });

  it('counts an entry replaced after a miss once, however the miss came about', () => {
    const cache = new ItemCache<Entry>();
    const [a, b, c] = [{ url: 'http://a' }, { url: 'http://b' }, { url: 'http://c' }];
    cache.beginRound();
    expect(cache.get('p', 'a', a)).toBeUndefined(); // a new provider
    cache.set('p', 'a', a, entry('A'));
    cache.set('p', 'b', b, entry('B'));
    cache.set('p', 'c', c, entry('C'));
    cache.endRound();

    // a is used, then missed (its old entry counted already) and replaced; c is used, b is not.
    cache.beginRound();
    expect(cache.get('p', 'a', a)?.value).toBe('A');
    const a2 = { url: 'http://a2' };
    expect(cache.get('p', 'a', a2)).toBeUndefined();
    cache.set('p', 'a', a2, entry('A2'));
    expect(cache.get('p', 'c', c)?.value).toBe('C');
    cache.endRound(); // a counted twice would make a, b and c look used: b would stay

    // a is missed (unused so far) and replaced, then replaced again with no miss before (a
    // moved report); c is not used.
    cache.beginRound();
    expect(cache.get('p', 'b', b)).toBeUndefined();
    const a3 = { url: 'http://a3' };
    expect(cache.get('p', 'a', a3)).toBeUndefined();
    cache.set('p', 'a', a3, entry('A3'));
    cache.set('p', 'a', a3, entry('A3 moved'));
    cache.endRound(); // a counted twice would make a and c look used: c would stay

    cache.beginRound();
    expect(cache.get('p', 'c', c)).toBeUndefined();
    expect(cache.get('p', 'a', a3)?.value).toBe('A3 moved');
  });
});
