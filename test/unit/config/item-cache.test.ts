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
});
