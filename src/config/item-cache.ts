/**
 * Remembers what validation made of items it saw valid, so a reload that changes one item out
 * of 10,000 validates one item. Items are found by identity first (providers hand back the very
 * same object for an unchanged item: the KV mirror, the file provider for an unchanged file),
 * else by content. Only valid items are kept (an error carries line numbers, which move when
 * other items do). The content map keeps just the entries the last round used, so memory stays
 * proportional to the live config; identity entries go with their objects.
 */
export class ItemCache<T> {
  private readonly byObject = new WeakMap<object, Map<string, { key: string; value: T }>>();
  private previous = new Map<string, T>();
  private current = new Map<string, T>();

  /** `scope` is everything besides the item that decides the result (provider, name, …). */
  get(scope: string, item: unknown): T | undefined {
    if (isObject(item)) {
      const entry = this.byObject.get(item)?.get(scope);
      if (entry !== undefined) {
        // Still in use: keep its content entry alive too (the key string is reused, no stringify).
        this.current.set(entry.key, entry.value);
        return entry.value;
      }
    }
    const key = contentKey(scope, item);
    const hit = this.current.get(key) ?? this.previous.get(key);
    if (hit !== undefined) {
      this.current.set(key, hit);
      if (isObject(item)) this.remember(item, scope, key, hit);
    }
    return hit;
  }

  set(scope: string, item: unknown, value: T): void {
    const key = contentKey(scope, item);
    this.current.set(key, value);
    if (isObject(item)) this.remember(item, scope, key, value);
  }

  /** Ends a validation round. */
  rotate(): void {
    this.previous = this.current;
    this.current = new Map();
  }

  private remember(item: object, scope: string, key: string, value: T): void {
    let scopes = this.byObject.get(item);
    if (!scopes) {
      scopes = new Map();
      this.byObject.set(item, scopes);
    }
    scopes.set(scope, { key, value });
  }
}

function isObject(v: unknown): v is object {
  return typeof v === 'object' && v !== null;
}

function contentKey(scope: string, item: unknown): string {
  return `${scope}\u0000${JSON.stringify(item) ?? 'null'}`;
}

/** The scope of an item: who defines it, its name, and anything else its validity depends on. */
export function itemScope(provider: string, name: string, extra = ''): string {
  return `${provider}\u0000${name}\u0000${extra}`;
}
