import { objectList } from '../object-list.js';

/**
 * A map written as a list of `set` calls and made into a Map only when something first reads
 * it. Validation files a status report for every item it sees, 20,000 in a 10,000-router load,
 * and only the admin API ever reads them: as two Maps of 10,000 entries they cost ~2 ms of
 * inserts each and ~46 B per entry kept; as a list, one array (bench/RESULTS.md, "First load:
 * items as providers hand them over, and the usual item without zod"). The Map is made by
 * replaying the sets in order, so every read behaves exactly as a Map filled the same way would
 * (a key set twice keeps its first place and its last value).
 */
export class DeferredMap<K, V> implements ReadonlyMap<K, V> {
  /** Keys and values in turn, in the order they were set; dropped once the Map is made. */
  private pending: Array<K | V> | undefined = objectList();
  private made: Map<K, V> | undefined;

  set(key: K, value: V): this {
    if (this.made) this.made.set(key, value);
    else this.pending!.push(key, value);
    return this;
  }

  private get map(): Map<K, V> {
    if (!this.made) {
      const map = new Map<K, V>();
      const list = this.pending!;
      for (let i = 0; i < list.length; i += 2) map.set(list[i] as K, list[i + 1] as V);
      this.made = map;
      this.pending = undefined;
    }
    return this.made;
  }

  get size(): number {
    return this.map.size;
  }

  get(key: K): V | undefined {
    return this.map.get(key);
  }

  has(key: K): boolean {
    return this.map.has(key);
  }

  forEach(callback: (value: V, key: K, map: ReadonlyMap<K, V>) => void, thisArg?: unknown): void {
    for (const [k, v] of this.map) callback.call(thisArg, v, k, this);
  }

  entries(): MapIterator<[K, V]> {
    return this.map.entries();
  }

  keys(): MapIterator<K> {
    return this.map.keys();
  }

  values(): MapIterator<V> {
    return this.map.values();
  }

  [Symbol.iterator](): MapIterator<[K, V]> {
    return this.map[Symbol.iterator]();
  }
}
