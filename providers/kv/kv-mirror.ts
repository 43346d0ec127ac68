import type { ConfigError, ProviderSnapshot, RawDynamicConfig } from '../../src/config/dynamic-config.js';
import { kvToConfig, type KvConfig } from './kv-to-config.js';

interface Built {
  kv: KvConfig;
  /** Where the item sits (`http`, `services`, `app`) when it is one plain item, for direct placement. */
  place: [string, string, string] | undefined;
}

interface Item {
  entries: Map<string, string>;
  /** The item flattened; dropped when one of its keys changes. */
  built: Built | undefined;
  /** The build whose origins are in the shared origins map. */
  published: Built | undefined;
}

/**
 * A provider's copy of the keys under its root, grouped by item (`http/services/app`), so a
 * change rebuilds only the items it touched: registering one server in a 5,000-server tree
 * flattens a dozen keys, not 6,000. Unchanged items keep their objects from one snapshot to the
 * next. A snapshot is produced only when something changed (or when forced).
 */
export class KvMirror {
  private readonly items = new Map<string, Item>();
  private sortedItems: string[] | undefined;
  private count = 0;
  private changed = true;
  private readonly prefix: string;
  /**
   * Dotted path → key, kept up to date item by item rather than rebuilt (15,000 entries for a
   * 5,000-server tree). Every snapshot carries this one object: it always matches the latest
   * snapshot, the only one the config watcher keeps and validates.
   */
  private readonly origins: Record<string, string> = {};

  constructor(
    readonly provider: string,
    readonly rootKey: string,
  ) {
    this.prefix = `${rootKey}/`;
  }

  get size(): number {
    return this.count;
  }

  get(key: string): string | undefined {
    return this.items.get(this.itemOf(key))?.entries.get(key);
  }

  set(key: string, value: string): void {
    if (!key.startsWith(this.prefix)) return;
    const id = this.itemOf(key);
    let item = this.items.get(id);
    if (!item) {
      item = { entries: new Map(), built: undefined, published: undefined };
      this.items.set(id, item);
      this.sortedItems = undefined;
    }
    const before = item.entries.get(key);
    if (before === value) return;
    if (before === undefined) this.count++;
    item.entries.set(key, value);
    item.built = undefined;
    this.changed = true;
  }

  delete(key: string): void {
    const id = this.itemOf(key);
    const item = this.items.get(id);
    if (!item?.entries.delete(key)) return;
    this.count--;
    item.built = undefined;
    if (item.entries.size === 0) {
      this.unpublish(item);
      this.items.delete(id);
      this.sortedItems = undefined;
    }
    this.changed = true;
  }

  /** Replaces everything with a full read of the tree; items that read the same keep their build. */
  replace(next: Map<string, string>): void {
    const seen = new Set<string>();
    for (const [key, value] of next) {
      if (!key.startsWith(this.prefix)) continue;
      seen.add(key);
      this.set(key, value);
    }
    if (seen.size === this.count) return;
    for (const item of [...this.items.values()]) {
      for (const key of [...item.entries.keys()]) if (!seen.has(key)) this.delete(key);
    }
  }

  /** The full snapshot when something changed since the last one (or when `force`d). */
  takeSnapshot(force = false, sourceErrors: ConfigError[] = []): ProviderSnapshot | undefined {
    if (!this.changed && !force) return undefined;
    this.changed = false;
    this.sortedItems ??= [...this.items.keys()].sort();
    const config: Record<string, unknown> = {};
    const errors: ConfigError[] = [...sourceErrors];
    for (const id of this.sortedItems) {
      const item = this.items.get(id)!;
      if (!item.built) {
        item.built = this.build(item);
        this.unpublish(item);
        for (const [path, key] of Object.entries(item.built.kv.origins)) this.origins[path] ??= key;
        item.published = item.built;
      }
      const { kv, place } = item.built;
      if (kv.errors.length > 0) errors.push(...kv.errors);
      if (!place || !placeItem(config, place, kv.config)) mergeItem(config, kv.config as Record<string, unknown>, '', this.origins, errors, this.provider);
    }
    return { provider: this.provider, config: config as RawDynamicConfig, origins: this.origins, errors };
  }

  private build(item: Item): Built {
    const kv = kvToConfig(item.entries, this.rootKey, this.provider);
    return { kv, place: placeOf(kv.config) };
  }

  /** Drops an item's own origins (three segments deep or more) from the shared map. */
  private unpublish(item: Item): void {
    if (!item.published) return;
    for (const path of Object.keys(item.published.kv.origins)) {
      if (path.indexOf('.', path.indexOf('.') + 1) >= 0) delete this.origins[path];
    }
    item.published = undefined;
  }

  /**
   * The item a key belongs to: its first three path segments below the root (`http/services/app`),
   * section names folded to lower case, as the layout matches them case-insensitively.
   */
  private itemOf(key: string): string {
    const rest = key.slice(this.prefix.length);
    const a = rest.indexOf('/');
    if (a < 0) return rest.toLowerCase();
    const b = rest.indexOf('/', a + 1);
    if (b < 0) return rest.toLowerCase();
    const c = rest.indexOf('/', b + 1);
    return `${rest.slice(0, b).toLowerCase()}${c < 0 ? rest.slice(b) : rest.slice(b, c)}`;
  }
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** `{http: {services: {app: …}}}` → ['http', 'services', 'app']; undefined for any other shape. */
function placeOf(config: unknown): [string, string, string] | undefined {
  const path: string[] = [];
  let node = config;
  for (let depth = 0; depth < 3; depth++) {
    if (!isObject(node)) return undefined;
    const keys = Object.keys(node);
    if (keys.length !== 1) return undefined;
    path.push(keys[0]!);
    node = node[keys[0]!];
  }
  return path as [string, string, string];
}

/** Puts a plain item straight into its section; false when the section is not a plain object. */
function placeItem(config: Record<string, unknown>, [top, section, name]: [string, string, string], built: unknown): boolean {
  const topLevel = (config[top] ??= {});
  if (!isObject(topLevel)) return false;
  const sectionLevel = (topLevel[section] ??= {});
  if (!isObject(sectionLevel) || name in sectionLevel) return false;
  sectionLevel[name] = ((built as Record<string, Record<string, Record<string, unknown>>>)[top]!)[section]![name];
  return true;
}

/**
 * Merges one item's tree into the snapshot. Items only share the section levels (`http`,
 * `http.routers`), which are copied, so merging never writes into another item's cached build.
 */
function mergeItem(
  target: Record<string, unknown>,
  source: Record<string, unknown>,
  path: string,
  origins: Record<string, string>,
  errors: ConfigError[],
  provider: string,
): void {
  for (const [k, v] of Object.entries(source)) {
    const at = path ? `${path}.${k}` : k;
    const prior = target[k];
    const section = isObject(v) && !at.includes('.', at.indexOf('.') + 1);
    if (prior === undefined) {
      if (section) {
        const copy: Record<string, unknown> = {};
        target[k] = copy;
        mergeItem(copy, v, at, origins, errors, provider);
      } else {
        target[k] = v;
      }
    } else if (isObject(prior) && isObject(v)) {
      mergeItem(prior, v, at, origins, errors, provider);
    } else {
      // A short key with a value (`root/http/routers`) where other keys have items below it.
      errors.push({ provider, item: `key ${origins[at] ?? at}`, field: '', message: 'has a value and also keys below it; the value is ignored' });
      if (isObject(v)) {
        const copy: Record<string, unknown> = {};
        target[k] = copy;
        mergeItem(copy, v, at, origins, errors, provider);
      }
    }
  }
}
