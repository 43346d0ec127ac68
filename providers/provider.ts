import type { Logger } from 'pino';
import type { ProviderSnapshot } from '../src/config/dynamic-config.js';

/**
 * A source of dynamic configuration (Traefik's `Provide(configChan)`): it turns its source
 * into full snapshots of its own namespace and hands each one to `emit`. It never routes.
 */
export interface Provider {
  /** The namespace its items are qualified with: `app@file`. */
  readonly name: string;
  /** Starts watching; resolves once the first snapshot has been emitted. */
  start(emit: (snapshot: ProviderSnapshot) => void, log: Logger): Promise<void>;
  stop(): Promise<void>;
}
