import type { ConfigError, OriginLookup, Origins, ProviderSnapshot, RawDynamicConfig } from '../../src/config/dynamic-config.js';
import type { FileProviderOptions } from './file-provider.js';

/**
 * What the file provider's thread (file-thread.ts) and the main thread say to each other.
 * A snapshot crosses as one or more parts, each answered with `ack` once the main thread took it
 * in: a message is deserialised in one go, so a 10,000-router file sent whole would block the
 * event loop ~45 ms; in parts of PART_ITEMS items no turn takes more than a few ms.
 */

export interface FileThreadData {
  options: FileProviderOptions;
  /** What the main thread read at start (FileProvider.goodTexts()): the thread's last good versions. */
  seed: Record<string, string>;
  /** The main logger's level, so the thread does not ship lines nobody writes. */
  logLevel: string;
}

export type ToFileThread = { type: 'ack' } | { type: 'stop' };

export type FromFileThread =
  | ({ type: 'part' } & SnapshotPart)
  /** The folder is watched (and was read since). */
  | { type: 'started' }
  | { type: 'log'; level: LogLevel; fields: Record<string, unknown>; msg: string }
  | { type: 'stopped' };

export type LogLevel = 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace';

/** Items per part: ~1,000 items deserialise in 3-4 ms. */
export const PART_ITEMS = 1000;

export interface SnapshotPart {
  /** The first part also carries the config's other keys (tcp:, http.middlewares, …), for validation to report. */
  rest?: RawDynamicConfig;
  routers: Record<string, unknown>;
  services: Record<string, unknown>;
  /**
   * Origins of the part's items themselves (`http.routers.app`; every reload's reports show
   * them), as two arrays: an object with as many keys costs ~6× more to rebuild.
   */
  originKeys: string[];
  originValues: string[];
  /**
   * Every other origin (fields, ~10 per item), needed only when an error names one: one JSON
   * string `[keys, values]`, one allocation to receive, decoded on first use (OriginTable).
   */
  fieldOrigins: string;
  /** Only on the last part. */
  errors?: ConfigError[];
  last: boolean;
}

/** Splits a snapshot into parts of at most `maxItems` routers and services. */
export function toParts(snapshot: ProviderSnapshot, maxItems = PART_ITEMS): SnapshotPart[] {
  const { http, ...others } = snapshot.config;
  const { routers: r, services: s, ...httpOthers } = http ?? {};
  // `routers:` with nothing under it reads as null.
  const routers = r ?? {};
  const services = s ?? {};
  const rest: RawDynamicConfig = { ...others };
  if (http) rest.http = httpOthers;
  const items: Array<['routers' | 'services', string]> = [];
  for (const name of Object.keys(routers)) items.push(['routers', name]);
  for (const name of Object.keys(services)) items.push(['services', name]);
  const count = Math.max(1, Math.ceil(items.length / maxItems));
  const parts: SnapshotPart[] = [];
  // Which part an item-level origin travels with: its item's; the sections' with the first.
  const partOf = new Map<string, number>();
  for (const key of [...Object.keys(others), 'http', ...Object.keys(httpOthers).map((k) => `http.${k}`), 'http.routers', 'http.services']) partOf.set(key, 0);
  for (let i = 0; i < count; i++) {
    const part: SnapshotPart = { routers: {}, services: {}, originKeys: [], originValues: [], fieldOrigins: '', last: i === count - 1 };
    if (i === 0) part.rest = rest;
    for (const [section, name] of items.slice(i * maxItems, (i + 1) * maxItems)) {
      setOwn(part[section], name, (section === 'routers' ? routers : services)[name]);
      partOf.set(`http.${section}.${name}`, i);
    }
    parts.push(part);
  }
  const fieldKeys: string[] = [];
  const fieldValues: string[] = [];
  eachOrigin(snapshot.origins, (key, origin) => {
    const i = partOf.get(key);
    if (i === undefined) {
      fieldKeys.push(key);
      fieldValues.push(origin);
    } else {
      parts[i]!.originKeys.push(key);
      parts[i]!.originValues.push(origin);
    }
  });
  // The field origins, spread evenly over the parts.
  const perPart = Math.ceil(fieldKeys.length / count);
  for (const [i, part] of parts.entries()) {
    const from = i * perPart;
    if (from < fieldKeys.length) part.fieldOrigins = JSON.stringify([fieldKeys.slice(from, from + perPart), fieldValues.slice(from, from + perPart)]);
  }
  if (snapshot.errors?.length) parts[parts.length - 1]!.errors = snapshot.errors;
  return parts;
}

function eachOrigin(origins: Origins | undefined, fn: (path: string, origin: string) => void): void {
  if (!origins) return;
  if (origins instanceof Map) {
    for (const [path, origin] of origins as ReadonlyMap<string, string>) fn(path, origin);
    return;
  }
  if (typeof (origins as OriginLookup).get === 'function') throw new Error('file thread: origins must be a record or a Map');
  const record = origins as Readonly<Record<string, string>>;
  for (const path in record) fn(path, record[path]!);
}

/** Puts parts back together, in order; `add` returns the snapshot once its last part is in. */
export class SnapshotAssembly {
  private config: RawDynamicConfig | undefined;
  private origins = new OriginTable();

  constructor(private readonly provider: string) {}

  add(part: SnapshotPart): ProviderSnapshot | undefined {
    if (part.rest) {
      this.config = part.rest;
      this.origins = new OriginTable();
      if (part.last) {
        // One part (any file up to PART_ITEMS items): its objects are used as they came.
        this.config.http = { ...this.config.http, routers: part.routers, services: part.services };
      } else {
        this.config.http = { ...this.config.http, routers: {}, services: {} };
      }
    } else if (!this.config) {
      throw new Error('file thread: a snapshot part came without its first part');
    }
    const config = this.config;
    if (!(part.rest && part.last)) {
      const http = config.http!;
      for (const name of Object.keys(part.routers)) setOwn(http.routers!, name, part.routers[name]);
      for (const name of Object.keys(part.services)) setOwn(http.services!, name, part.services[name]);
    }
    this.origins.add(part);
    if (!part.last) return undefined;
    this.config = undefined;
    const snapshot: ProviderSnapshot = { provider: this.provider, config, origins: this.origins };
    if (part.errors) snapshot.errors = part.errors;
    return snapshot;
  }
}

/** Origins as they arrive from the thread: item origins at once, field origins decoded when first asked for. */
export class OriginTable implements OriginLookup {
  private readonly known = new Map<string, string>();
  private encoded: string[] = [];

  add(part: Pick<SnapshotPart, 'originKeys' | 'originValues' | 'fieldOrigins'>): void {
    for (let i = 0; i < part.originKeys.length; i++) this.known.set(part.originKeys[i]!, part.originValues[i]!);
    if (part.fieldOrigins) this.encoded.push(part.fieldOrigins);
  }

  get(path: string): string | undefined {
    const hit = this.known.get(path);
    if (hit !== undefined || this.encoded.length === 0) return hit;
    for (const text of this.encoded) {
      const [keys, values] = JSON.parse(text) as [string[], string[]];
      for (let i = 0; i < keys.length; i++) this.known.set(keys[i]!, values[i]!);
    }
    this.encoded = [];
    return this.known.get(path);
  }
}

/** An item named `__proto__` is data, as js-yaml made it, not the prototype setter. */
function setOwn(target: Record<string, unknown>, key: string, value: unknown): void {
  if (key === '__proto__') Object.defineProperty(target, key, { value, writable: true, enumerable: true, configurable: true });
  else target[key] = value;
}
