/**
 * Candidate lookup by Host so that 10,000 host routers cost a map lookup, not a scan.
 * Items are bucketed by exact host, by wildcard parent (`*.example.com` → `example.com`), or
 * in the "any host" list. A lookup walks the three sorted candidate lists merged by `order`,
 * so priority order is exactly what a linear scan would give.
 */
export interface Ordered {
  readonly order: number;
}

/**
 * The items filed under one host, in order: the item itself when it is the only one (the usual
 * host has one router: a 10,000-host table keeps 10,000 lists of one fewer, ~56 B each), else a list.
 */
type Bucket<T> = T | T[];

/** Item `i` of a bucket (Ordered items are never arrays themselves). */
function at<T>(bucket: Bucket<T> | undefined, i: number): T | undefined {
  if (bucket === undefined) return undefined;
  if (Array.isArray(bucket)) return bucket[i];
  return i === 0 ? bucket : undefined;
}

export class HostIndex<T extends Ordered> {
  private readonly exact = new Map<string, Bucket<T>>();
  private readonly wildcard = new Map<string, Bucket<T>>();
  private readonly anyHost: T[] = [];
  private count = 0;

  /** `hosts` null = the item does not constrain the host. Items must be added in `order`. */
  add(item: T, hosts: readonly string[] | null): void {
    this.count++;
    if (hosts === null) {
      this.anyHost.push(item);
      return;
    }
    // One host is the common case: no Set to drop duplicates.
    if (hosts.length === 1) this.addHost(item, hosts[0]!);
    else for (const host of new Set(hosts)) this.addHost(item, host);
  }

  private addHost(item: T, host: string): void {
    if (host.startsWith('*.')) push(this.wildcard, host.slice(2), item);
    else push(this.exact, host, item);
  }

  get size(): number {
    return this.count;
  }

  /**
   * First item, in order, among those that could serve `host`, for which `accept(item, arg)`
   * is true. `arg` is passed through so callers need no per-call closure on the hot path.
   */
  find<A>(host: string, accept: (item: T, arg: A) => boolean, arg: A): T | undefined {
    const a = this.exact.get(host);
    // No wildcard routers (the usual table): no parent-domain string made per request.
    const dot = this.wildcard.size > 0 ? host.indexOf('.') : -1;
    const b = dot >= 0 ? this.wildcard.get(host.slice(dot + 1)) : undefined;
    const c = this.anyHost;
    let i = 0;
    let j = 0;
    let k = 0;
    for (;;) {
      const x = at(a, i);
      const y = at(b, j);
      const z = c[k];
      let next: T | undefined;
      if (x && (!y || x.order <= y.order) && (!z || x.order <= z.order)) {
        next = x;
        i++;
      } else if (y && (!z || y.order <= z.order)) {
        next = y;
        j++;
      } else if (z) {
        next = z;
        k++;
      } else {
        return undefined;
      }
      if (accept(next, arg)) return next;
    }
  }
}

function push<T>(map: Map<string, Bucket<T>>, key: string, item: T): void {
  const bucket = map.get(key);
  if (bucket === undefined) map.set(key, item);
  else if (Array.isArray(bucket)) bucket.push(item);
  else map.set(key, [bucket, item]);
}
