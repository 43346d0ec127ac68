import type { ConfigError, OriginLookup, Origins, ProviderSnapshot, RawDynamicConfig } from '../../src/config/dynamic-config.js';
import { sameData } from '../../src/config/same-data.js';
import type { Steps } from '../../src/time-slices.js';
import type { FileProviderOptions } from './file-provider.js';

/**
 * What the file provider's thread (file-thread.ts) and the main thread say to each other.
 * The thread sends each snapshot as a patch against the one it sent before — the items that
 * changed, the item origins that moved — so an edit to one router of 10,000 sends one router,
 * and the main thread's validation finds every other item as the same object as before (a
 * lookup, no deep compare). A patch goes in parts of at most PART_ITEMS items, each answered with
 * `ack` once the main thread took it in: a message is deserialised in one go, and a whole
 * 10,000-router file would block the event loop ~45 ms; a part takes a few ms.
 */

export interface FileThreadData {
  options: FileProviderOptions;
  /** What the main thread read at start (FileProvider.goodTexts()): the thread's last good versions. */
  seed: Record<string, string>;
  /** The main logger's level, so the thread does not ship lines nobody writes. */
  logLevel: string;
}

export type ToFileThread = { type: 'ack' } | { type: 'stop' };

export type FromFileThread = ({ type: 'part' } & PatchPart) | { type: 'log'; level: LogLevel; fields: Record<string, unknown>; msg: string };

export type LogLevel = 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace';

/** Items per part: ~1,000 items deserialise in 3-4 ms. */
export const PART_ITEMS = 1000;

/** One part of the changes from the snapshot sent last to the next one. */
export interface PatchPart {
  /** First part of the thread's first snapshot: start from nothing, not from the last snapshot. */
  full?: boolean;
  /** First part, when they changed: the config's other keys (tcp:, http.middlewares, …), for validation to report. */
  rest?: RawDynamicConfig;
  /** Items added or changed. */
  routers: Record<string, unknown>;
  services: Record<string, unknown>;
  /** First part: items gone. */
  removed?: { routers: string[]; services: string[] };
  /**
   * Origins of items themselves (`http.routers.app`; every reload's reports show them) that are
   * new or moved, as two arrays (an object with as many keys costs ~6× more to rebuild).
   */
  originKeys: string[];
  originValues: string[];
  /** First part: item origins gone. */
  removedOrigins?: string[];
  /**
   * Last part, when they changed: every other origin (fields, ~10 per item), needed only when an
   * error names one, as one JSON string decoded on first use (OriginTable): either all of them,
   * `[paths, origins]`, or what changed since the last, `[paths, origins, removedPaths]` — a
   * 10,000-router file has ~110,000 field origins, 9 MB of JSON, and an edit moves a few.
   */
  fieldBase?: string;
  fieldDelta?: string;
  /** Last part: the snapshot's source errors (a file that does not parse). */
  errors?: ConfigError[];
  last: boolean;
}

/** Field-origin deltas in a row before the thread sends all of them again (the main thread keeps the chain). */
const MAX_FIELD_DELTAS = 16;

/** A snapshot as the thread keeps it between patches. */
interface Kept {
  rest: RawDynamicConfig;
  routers: Record<string, unknown>;
  services: Record<string, unknown>;
  itemOrigins: Map<string, string>;
  fieldOrigins: Map<string, string>;
}

/** A snapshot as the main thread keeps it: field origins as the JSON chunks that make them (base, then deltas). */
interface Received {
  rest: RawDynamicConfig;
  routers: Record<string, unknown>;
  services: Record<string, unknown>;
  itemOrigins: Map<string, string>;
  fieldChunks: readonly string[];
}

const NOTHING: Kept = { rest: {}, routers: {}, services: {}, itemOrigins: new Map(), fieldOrigins: new Map() };
const NOTHING_RECEIVED: Received = { rest: {}, routers: {}, services: {}, itemOrigins: new Map(), fieldChunks: [] };
/** Keys copied between two points where the main thread's patching may pause. */
const COPY_STEP = 1000;

/** The thread's side: turns each snapshot into the parts that patch the last one sent. */
export class PatchSender {
  private sent: Kept | undefined;
  private fieldDeltas = 0;

  parts(snapshot: ProviderSnapshot, maxItems = PART_ITEMS): PatchPart[] {
    const next = keep(snapshot);
    const full = this.sent === undefined;
    const prev = this.sent ?? NOTHING;
    this.sent = next;
    const changed: Array<['routers' | 'services', string]> = [];
    const removed = { routers: [] as string[], services: [] as string[] };
    for (const section of ['routers', 'services'] as const) {
      const before = prev[section];
      const now = next[section];
      for (const name of Object.keys(now)) {
        if (!Object.hasOwn(before, name) || !sameData(before[name], now[name])) changed.push([section, name]);
      }
      for (const name of Object.keys(before)) if (!Object.hasOwn(now, name)) removed[section].push(name);
    }
    const moved: Array<[string, string]> = [];
    for (const [path, origin] of next.itemOrigins) if (prev.itemOrigins.get(path) !== origin) moved.push([path, origin]);
    const removedOrigins = [...prev.itemOrigins.keys()].filter((path) => !next.itemOrigins.has(path));

    const count = Math.max(1, Math.ceil(changed.length / maxItems));
    const movedPerPart = Math.ceil(moved.length / count);
    const parts: PatchPart[] = [];
    for (let i = 0; i < count; i++) {
      const part: PatchPart = { routers: {}, services: {}, originKeys: [], originValues: [], last: i === count - 1 };
      for (const [section, name] of changed.slice(i * maxItems, (i + 1) * maxItems)) setOwn(part[section], name, next[section][name]);
      for (const [path, origin] of moved.slice(i * movedPerPart, (i + 1) * movedPerPart)) {
        part.originKeys.push(path);
        part.originValues.push(origin);
      }
      parts.push(part);
    }
    const first = parts[0]!;
    const last = parts[parts.length - 1]!;
    if (full) first.full = true;
    if (full || !sameData(prev.rest, next.rest)) first.rest = next.rest;
    if (removed.routers.length > 0 || removed.services.length > 0) first.removed = removed;
    if (removedOrigins.length > 0) first.removedOrigins = removedOrigins;
    this.fieldChanges(full, prev.fieldOrigins, next.fieldOrigins, last);
    if (snapshot.errors?.length) last.errors = snapshot.errors;
    return parts;
  }

  private fieldChanges(full: boolean, before: Map<string, string>, now: Map<string, string>, part: PatchPart): void {
    const setPaths: string[] = [];
    const setOrigins: string[] = [];
    const removed: string[] = [];
    if (!full) {
      for (const [path, origin] of now) {
        if (before.get(path) !== origin) {
          setPaths.push(path);
          setOrigins.push(origin);
        }
      }
      for (const path of before.keys()) if (!now.has(path)) removed.push(path);
      if (setPaths.length + removed.length === 0) return;
    }
    if (full || this.fieldDeltas >= MAX_FIELD_DELTAS || setPaths.length + removed.length > now.size / 4) {
      part.fieldBase = JSON.stringify([[...now.keys()], [...now.values()]]);
      this.fieldDeltas = 0;
    } else {
      part.fieldDelta = JSON.stringify([setPaths, setOrigins, removed]);
      this.fieldDeltas++;
    }
  }
}

/**
 * The main thread's side: applies the parts, in order. `add` is steps (src/time-slices.ts), so
 * copying a 10,000-item section (~4 ms each) can pause for requests; its value is the snapshot
 * once the last part is in.
 */
export class PatchReceiver {
  private current: Received = NOTHING_RECEIVED;
  private draft: Received | undefined;
  private readonly decodedBase = new DecodedBase();

  constructor(private readonly provider: string) {}

  *add(part: PatchPart): Steps<ProviderSnapshot | undefined> {
    let draft = this.draft;
    if (!draft) {
      // Copies: the last snapshot may still be in validation, and stays as it was.
      const base = part.full ? NOTHING_RECEIVED : this.current;
      draft = {
        rest: base.rest,
        routers: yield* copyRecord(base.routers),
        services: yield* copyRecord(base.services),
        itemOrigins: yield* copyMap(base.itemOrigins),
        fieldChunks: base.fieldChunks,
      };
      for (const name of part.removed?.routers ?? []) delete draft.routers[name];
      for (const name of part.removed?.services ?? []) delete draft.services[name];
      for (const path of part.removedOrigins ?? []) draft.itemOrigins.delete(path);
      this.draft = draft;
    } else if (part.full) {
      throw new Error('file thread: a new snapshot began before the last one ended');
    }
    if (part.rest) draft.rest = part.rest;
    for (const name of Object.keys(part.routers)) setOwn(draft.routers, name, part.routers[name]);
    for (const name of Object.keys(part.services)) setOwn(draft.services, name, part.services[name]);
    for (let i = 0; i < part.originKeys.length; i++) draft.itemOrigins.set(part.originKeys[i]!, part.originValues[i]!);
    if (part.fieldBase !== undefined) draft.fieldChunks = [part.fieldBase];
    if (part.fieldDelta !== undefined) draft.fieldChunks = [...draft.fieldChunks, part.fieldDelta];
    if (!part.last) return undefined;
    this.current = draft;
    this.draft = undefined;
    const { http, ...others } = draft.rest;
    const config: RawDynamicConfig = { ...others, http: { ...http, routers: draft.routers, services: draft.services } };
    const snapshot: ProviderSnapshot = { provider: this.provider, config, origins: new OriginTable(draft.itemOrigins, draft.fieldChunks, this.decodedBase) };
    if (part.errors) snapshot.errors = part.errors;
    return snapshot;
  }
}

function* copyRecord(from: Readonly<Record<string, unknown>>): Steps<Record<string, unknown>> {
  const to: Record<string, unknown> = {};
  let n = 0;
  for (const key of Object.keys(from)) {
    if (++n % COPY_STEP === 0) yield;
    setOwn(to, key, from[key]);
  }
  return to;
}

function* copyMap<K, V>(from: ReadonlyMap<K, V>): Steps<Map<K, V>> {
  const to = new Map<K, V>();
  let n = 0;
  for (const [key, value] of from) {
    if (++n % COPY_STEP === 0) yield;
    to.set(key, value);
  }
  return to;
}

/**
 * The field origins of the last base chunk, decoded: a snapshot with an invalid item asks for
 * field origins at every reload, and decoding a 10,000-router file's (~9 MB of JSON) takes
 * ~50 ms, so it is done once per base and shared; each table decodes only its deltas.
 */
class DecodedBase {
  private chunk = '';
  private map = new Map<string, string>();

  of(chunk: string): ReadonlyMap<string, string> {
    if (chunk !== this.chunk) {
      const [paths, origins] = JSON.parse(chunk) as [string[], string[]];
      this.map = new Map(paths.map((p, i) => [p, origins[i]!]));
      this.chunk = chunk;
    }
    return this.map;
  }
}

/** One snapshot's origins: item origins at hand, field origins decoded the first time one is asked for. */
export class OriginTable implements OriginLookup {
  /** The deltas since the base, newest last, decoded; `null` = removed. */
  private changes: Map<string, string | null> | undefined;

  constructor(
    private readonly items: ReadonlyMap<string, string>,
    /** JSON: all field origins, then the deltas since (see PatchPart.fieldBase/fieldDelta). */
    private readonly fieldChunks: readonly string[],
    private readonly base: DecodedBase = new DecodedBase(),
  ) {}

  get(path: string): string | undefined {
    const hit = this.items.get(path);
    if (hit !== undefined || this.fieldChunks.length === 0) return hit;
    this.changes ??= decodeDeltas(this.fieldChunks.slice(1));
    const changed = this.changes.get(path);
    if (changed !== undefined) return changed ?? undefined;
    return this.base.of(this.fieldChunks[0]!).get(path);
  }
}

function decodeDeltas(deltas: readonly string[]): Map<string, string | null> {
  const changes = new Map<string, string | null>();
  for (const delta of deltas) {
    const [paths, origins, removed] = JSON.parse(delta) as [string[], string[], string[]];
    for (let i = 0; i < paths.length; i++) changes.set(paths[i]!, origins[i]!);
    for (const path of removed) changes.set(path, null);
  }
  return changes;
}

/** A snapshot in the kept form: sections apart, origins split into the items' own and the fields'. */
function keep(snapshot: ProviderSnapshot): Kept {
  const { http, ...others } = snapshot.config;
  const { routers, services, ...httpOthers } = http ?? {};
  const rest: RawDynamicConfig = { ...others };
  if (http) rest.http = httpOthers;
  // `routers:` with nothing under it reads as null.
  const kept: Kept = { rest, routers: routers ?? {}, services: services ?? {}, itemOrigins: new Map(), fieldOrigins: new Map() };
  const itemPaths = new Set(['http', 'http.routers', 'http.services', ...Object.keys(others), ...Object.keys(httpOthers).map((k) => `http.${k}`)]);
  for (const name of Object.keys(kept.routers)) itemPaths.add(`http.routers.${name}`);
  for (const name of Object.keys(kept.services)) itemPaths.add(`http.services.${name}`);
  eachOrigin(snapshot.origins, (path, origin) => (itemPaths.has(path) ? kept.itemOrigins : kept.fieldOrigins).set(path, origin));
  return kept;
}

/** The FileProvider's origins are a record (parseYaml, mergeFiles): one that can only be looked up cannot be sent. */
function eachOrigin(origins: Origins | undefined, fn: (path: string, origin: string) => void): void {
  if (!origins) return;
  if (typeof (origins as OriginLookup).get === 'function') throw new Error('file thread: origins must be a record');
  const record = origins as Readonly<Record<string, string>>;
  for (const path in record) fn(path, record[path]!);
}

/** An item named `__proto__` is data, as js-yaml made it, not the prototype setter. */
function setOwn(target: Record<string, unknown>, key: string, value: unknown): void {
  if (key === '__proto__') Object.defineProperty(target, key, { value, writable: true, enumerable: true, configurable: true });
  else target[key] = value;
}
