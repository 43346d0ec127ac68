import { isDeepStrictEqual } from 'node:util';
import type { DynamicConfig, ProviderSnapshot, ValidatedConfig } from './dynamic-config.js';
import { validateSnapshotsSliced, type ValidateOptions } from './validate.js';

export interface ConfigWatcherOptions extends ValidateOptions {
  /** Coalesce snapshots arriving within this many ms into one rebuild. */
  debounceMs: number;
  /** Gets every new config, oldest first; a returned promise (the table build) is awaited by flush(). */
  onConfig: (config: ValidatedConfig) => void | Promise<unknown>;
}

/**
 * Keeps the last snapshot of each provider, and after a burst of updates settles, merges and
 * validates them and hands the result on — unless nothing changed. Validation runs in time
 * slices; one that a newer snapshot overtakes is abandoned and started over on the newest
 * snapshots (once: the restart runs to its end, so a stream of updates cannot starve it).
 * Results are handed on in order, never an older one after a newer one.
 */
export class ConfigWatcher {
  private readonly snapshots = new Map<string, ProviderSnapshot>();
  private timer: NodeJS.Timeout | undefined;
  private last: ValidatedConfig | undefined;
  /** Bumped by every update; the generation validated last. */
  private generation = 0;
  private validatedGeneration = -1;
  /** Validations run one at a time, in order. */
  private queue: Promise<unknown> = Promise.resolve();
  /** What onConfig returned for the newest config handed on. */
  private delivery: Promise<unknown> = Promise.resolve();
  private stopped = false;

  constructor(private readonly options: ConfigWatcherOptions) {}

  update(snapshot: ProviderSnapshot): void {
    this.snapshots.set(snapshot.provider, snapshot);
    this.generation++;
    if (this.timer) return;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      void this.flush();
    }, this.options.debounceMs);
  }

  /**
   * Validates and publishes the latest snapshots now (startup, tests). Resolves once that
   * config — or a newer one handed on meanwhile — was handed on and what onConfig returned
   * settled; returns whether a new config was handed on.
   */
  async flush(): Promise<boolean> {
    if (this.timer) {
      clearTimeout(this.timer);
      this.timer = undefined;
    }
    const run = this.queue.then(() => this.validateLatest());
    this.queue = run.catch(() => undefined);
    const delivered = await run;
    for (let seen: Promise<unknown> | undefined; seen !== this.delivery; ) {
      seen = this.delivery;
      await seen;
    }
    return delivered;
  }

  get current(): ValidatedConfig | undefined {
    return this.last;
  }

  stop(): void {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
  }

  private async validateLatest(): Promise<boolean> {
    let mayAbandon = true;
    for (;;) {
      const generation = this.generation;
      if (this.stopped || generation === this.validatedGeneration) return false;
      const stale = mayAbandon ? () => this.stopped || this.generation !== generation : () => this.stopped;
      const result = await validateSnapshotsSliced(this.snapshots.values(), this.options, stale);
      if (!result.done) {
        mayAbandon = false;
        continue;
      }
      this.validatedGeneration = generation;
      const next = result.value;
      if (this.last && sameConfig(this.last.config, next.config) && isDeepStrictEqual(this.last.errors, next.errors)) return false;
      this.last = next;
      this.delivery = Promise.resolve(this.options.onConfig(next));
      return true;
    }
  }
}

/** Deep equality that costs a pointer comparison per unchanged item (validation reuses their objects). */
function sameConfig(a: DynamicConfig, b: DynamicConfig): boolean {
  return sameItems(a.http.routers, b.http.routers) && sameItems(a.http.services, b.http.services);
}

function sameItems<T>(a: ReadonlyMap<string, T>, b: ReadonlyMap<string, T>): boolean {
  if (a.size !== b.size) return false;
  for (const [name, x] of a) {
    const y = b.get(name);
    if (x !== y && (y === undefined || !isDeepStrictEqual(x, y))) return false;
  }
  return true;
}
