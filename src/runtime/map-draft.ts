/**
 * A Map filled in order that stays the `previous` one for as long as every entry set is the
 * same key with the same value at the same position, and is copied at the first difference:
 * a reload that changed nothing allocates no new 10,000-entry map.
 */
export class MapDraft<K, V> {
  private readonly previousKeys: Iterator<K> | undefined;
  private copy: Map<K, V> | undefined;
  /** Entries set so far that matched `previous`, while there is no copy. */
  private matched = 0;

  constructor(private readonly previous: ReadonlyMap<K, V> | undefined) {
    this.previousKeys = previous?.keys();
  }

  get size(): number {
    return this.copy ? this.copy.size : this.matched;
  }

  set(key: K, value: V): void {
    if (!this.copy) {
      if (this.previous && this.previousKeys!.next().value === key && this.previous.get(key) === value) {
        this.matched++;
        return;
      }
      this.copy = this.prefix();
    }
    this.copy.set(key, value);
  }

  /** The finished map: `previous` itself when nothing differed. */
  done(): ReadonlyMap<K, V> {
    if (this.copy) return this.copy;
    if (this.previous && this.matched === this.previous.size) return this.previous;
    return this.prefix();
  }

  private prefix(): Map<K, V> {
    const map = new Map<K, V>();
    if (this.matched === 0 || !this.previous) return map;
    for (const [k, v] of this.previous) {
      map.set(k, v);
      if (map.size === this.matched) break;
    }
    return map;
  }
}
