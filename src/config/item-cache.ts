import { sameData } from './same-data.js';

/**
 * What the cache keeps per item: the value is its own entry (one object per item, not an entry
 * holding a value: a 10,000-router load keeps 20,000 of them, and every object kept is one
 * more for the young-generation GC to copy).
 */
export interface CacheEntry {
  /** The raw item this entry was made from (set by the cache). */
  item: unknown;
  /** Last round that used the entry (set by the cache); older ones are dropped when a round ends. */
  round: number;
}

/** One provider's entries, and how many of them this round used. */
interface ProviderEntries<T> {
  readonly items: Map<string, T>;
  used: number;
  /** Round `used` counts for. */
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
export class ItemCache<T extends CacheEntry> {
  private readonly byProvider = new Map<string, ProviderEntries<T>>();
  private round = 0;
  /**
   * The last get that found nothing to give (a new or changed item): the name, its provider's
   * entries and the name's old entry, if any. The set that usually follows then needs no second
   * lookup of the name (in a 10,000-item Map each lookup is a cache miss in memory).
   */
  private missedName: string | undefined = undefined;
  private missedIn: ProviderEntries<T> | undefined = undefined;
  private missedEntry: T | undefined = undefined;

  /** Starts a validation round (a round that never ends — superseded — leaves no harm). */
  beginRound(): void {
    this.round++;
  }

  get(provider: string, name: string, item: unknown): T | undefined {
    const entries = this.byProvider.get(provider);
    const entry = entries?.items.get(name);
    this.missedName = undefined;
    if (entry === undefined) return this.missed(name, entries, undefined);
    if (entry.item !== item) {
      if (!sameData(entry.item, item)) return this.missed(name, entries, entry);
      // Same content in a new object: remember the new one, so next time identity finds it.
      entry.item = item;
    }
    this.touch(entries!, entry);
    return entry;
  }

  /** The entry kept for a name, whatever item it was made from, without marking it used. */
  peek(provider: string, name: string): T | undefined {
    return this.byProvider.get(provider)?.items.get(name);
  }

  /** Records (or replaces) the entry for an item valid in this round; sets its `item` and `round`. */
  set(provider: string, name: string, item: unknown, entry: T): void {
    let entries = this.byProvider.get(provider);
    // Right after get missed this name (entries undefined then and now: a new provider).
    const afterMiss = name === this.missedName && entries === this.missedIn;
    this.missedName = undefined;
    if (!entries) {
      entries = { items: new Map(), used: 0, round: this.round };
      this.byProvider.set(provider, entries);
    }
    // A replaced entry this round already used is counted once, not again.
    const counted = (afterMiss ? this.missedEntry : entries.items.get(name))?.round === this.round;
    entry.item = item;
    entry.round = this.round;
    if (!counted) this.countUsed(entries);
    entries.items.set(name, entry);
  }

  /**
   * Ends a round: drops entries it did not use. A provider none of whose entries were used
   * (it went away, or was renamed) goes in one step; one whose entries were all used costs nothing.
   */
  endRound(): void {
    for (const [provider, entries] of this.byProvider) {
      const used = entries.round === this.round ? entries.used : 0;
      if (used === entries.items.size) continue;
      if (used === 0) {
        this.byProvider.delete(provider);
        continue;
      }
      for (const [name, entry] of entries.items) if (entry.round !== this.round) entries.items.delete(name);
    }
  }

  clear(): void {
    this.byProvider.clear();
  }

  private missed(name: string, entries: ProviderEntries<T> | undefined, entry: T | undefined): undefined {
    this.missedName = name;
    this.missedIn = entries;
    this.missedEntry = entry;
    return undefined;
  }

  private touch(entries: ProviderEntries<T>, entry: T): void {
    if (entry.round === this.round) return;
    entry.round = this.round;
    this.countUsed(entries);
  }

  /** One more of `entries` used this round. */
  private countUsed(entries: ProviderEntries<T>): void {
    if (entries.round !== this.round) {
      entries.round = this.round;
      entries.used = 0;
    }
    entries.used++;
  }
}
