import type { Logger } from 'pino';

/**
 * Logs a source's outage once when it starts and once when it ends, however many reconnect
 * attempts lie between (a flapping source must not flood the log).
 */
export class SourceHealth {
  private downSince: number | undefined;

  constructor(
    private readonly log: Logger,
    /** `redis 127.0.0.1:6379`, `etcd http://127.0.0.1:2379`. */
    readonly source: string,
  ) {}

  get isDown(): boolean {
    return this.downSince !== undefined;
  }

  down(reason: string): void {
    if (this.downSince !== undefined) return;
    this.downSince = Date.now();
    this.log.warn({ source: this.source, reason }, `${this.source} is unreachable (${reason}); keeping the last good config and reconnecting with backoff`);
  }

  /** Returns true when this ends an outage. */
  up(detail: string): boolean {
    if (this.downSince === undefined) return false;
    const seconds = (Date.now() - this.downSince) / 1000;
    this.downSince = undefined;
    this.log.info({ source: this.source, downSeconds: Math.round(seconds * 10) / 10 }, `${this.source} is reachable again after ${seconds.toFixed(1)} s; ${detail}`);
    return true;
  }
}
