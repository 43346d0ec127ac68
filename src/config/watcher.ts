import { isDeepStrictEqual } from 'node:util';
import type { ProviderSnapshot, ValidatedConfig } from './dynamic-config.js';
import { validateSnapshots, type ValidateOptions } from './validate.js';

export interface ConfigWatcherOptions extends ValidateOptions {
  /** Coalesce snapshots arriving within this many ms into one rebuild. */
  debounceMs: number;
  onConfig: (config: ValidatedConfig) => void;
}

/**
 * Keeps the last snapshot of each provider, and after a burst of updates settles, merges and
 * validates them and hands the result on — unless nothing changed.
 */
export class ConfigWatcher {
  private readonly snapshots = new Map<string, ProviderSnapshot>();
  private timer: NodeJS.Timeout | undefined;
  private last: ValidatedConfig | undefined;

  constructor(private readonly options: ConfigWatcherOptions) {}

  update(snapshot: ProviderSnapshot): void {
    this.snapshots.set(snapshot.provider, snapshot);
    if (this.timer) return;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.flush();
    }, this.options.debounceMs);
  }

  /** Validates and publishes now (startup, tests); returns whether anything changed. */
  flush(): boolean {
    if (this.timer) {
      clearTimeout(this.timer);
      this.timer = undefined;
    }
    const next = validateSnapshots(this.snapshots.values(), this.options);
    if (this.last && isDeepStrictEqual(this.last.config, next.config) && isDeepStrictEqual(this.last.errors, next.errors)) {
      return false;
    }
    this.last = next;
    this.options.onConfig(next);
    return true;
  }

  get current(): ValidatedConfig | undefined {
    return this.last;
  }

  stop(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
  }
}
