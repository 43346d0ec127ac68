import { sameData } from './same-data.js';

interface Entry<T> {
  /** The raw item this value was made from. */
  item: unknown;
  value: T;
  /** Last round that used the entry; older ones are dropped when a round ends. */
  round: number;
}

/**
 * Remembers what validation made of each item it saw valid, per provider and item name, so a
 * reload that changes one item out of 10,000 validates one item. An item is recognised by
 * identity first (providers hand back the very same object for an unchanged item: the KV
 * mirror, the file provider for an unchanged file, workers patching their config), else by
 * content (a re-read file yields equal new objects). Only valid items are kept (an error
 * carries line numbers, which move when other items do). Entries a round did not use are
 * dropped when it ends, so memory stays proportional to the live config.
 */
export class ItemCache<T> {
  private readonly byProvider = new Map<string, Map<string, Entry<T>>>();
  private round = 0;
  private size = 0;
  private used = 0;

  /** Starts a validation round (a round that never ends — superseded — leaves no harm). */
  beginRound(): void {
    this.round++;
    this.used = 0;
  }

  get(provider: string, name: string, item: unknown): T | undefined {
    const entry = this.byProvider.get(provider)?.get(name);
    if (entry === undefined) return undefined;
    if (entry.item !== item) {
      if (!sameData(entry.item, item)) return undefined;
      // Same content in a new object: remember the new one, so next time identity finds it.
      entry.item = item;
    }
    this.touch(entry);
    return entry.value;
  }

  /** The value kept for a name, whatever item it was made from, without marking it used. */
  peek(provider: string, name: string): T | undefined {
    return this.byProvider.get(provider)?.get(name)?.value;
  }

  /** Records (or replaces) the value for an item valid in this round. */
  set(provider: string, name: string, item: unknown, value: T): void {
    let items = this.byProvider.get(provider);
    if (!items) {
      items = new Map();
      this.byProvider.set(provider, items);
    }
    const entry = items.get(name);
    if (entry) {
      entry.item = item;
      entry.value = value;
      this.touch(entry);
      return;
    }
    items.set(name, { item, value, round: this.round });
    this.size++;
    this.used++;
  }

  /** Ends a round: drops entries it did not use (walks the cache only when there are some). */
  endRound(): void {
    if (this.used === this.size) return;
    for (const [provider, items] of this.byProvider) {
      for (const [name, entry] of items) {
        if (entry.round !== this.round) {
          items.delete(name);
          this.size--;
        }
      }
      if (items.size === 0) this.byProvider.delete(provider);
    }
  }

  clear(): void {
    this.byProvider.clear();
    this.size = 0;
    this.used = 0;
  }

  private touch(entry: Entry<T>): void {
    if (entry.round === this.round) return;
    entry.round = this.round;
    this.used++;
  }
}
