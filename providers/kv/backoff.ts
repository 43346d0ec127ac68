export interface BackoffOptions {
  /** First delay after a failure (ms). */
  initialMs: number;
  /** Ceiling (ms). */
  maxMs: number;
}

export const DEFAULT_BACKOFF: BackoffOptions = { initialMs: 100, maxMs: 5_000 };

/**
 * Delay before reconnect attempt `attempt` (1, 2, …): doubling from `initialMs` up to `maxMs`,
 * with ±20% jitter so many proxies do not knock on a recovering server in step.
 */
export function backoffDelay(attempt: number, options: BackoffOptions = DEFAULT_BACKOFF): number {
  const base = Math.min(options.maxMs, options.initialMs * 2 ** Math.max(0, Math.min(attempt - 1, 30)));
  return Math.max(1, Math.round(base * (0.8 + Math.random() * 0.4)));
}
