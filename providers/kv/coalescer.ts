export interface CoalescerOptions {
  /**
   * Run a trigger that follows a quiet spell (no run in the last interval) on the next turn of
   * the event loop instead of after the interval: an isolated change then waits for nothing,
   * while a burst still shares one run per interval. Off: every first trigger waits the interval.
   */
  leading?: boolean;
}

/**
 * Runs `task` at most once per `intervalMs`, never two at once: triggers while a run is scheduled
 * share it, and a trigger during a run schedules exactly one more after it. This is what turns a
 * burst of 5,000 key notifications into a handful of reads.
 */
export class Coalescer {
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;
  private pending = false;
  private stopped = false;
  private lastRun = -Infinity;

  constructor(
    private readonly intervalMs: number,
    private readonly task: () => Promise<void>,
    private readonly onError: (err: unknown) => void,
    private readonly options: CoalescerOptions = {},
  ) {}

  /** `delayMs` overrides the wait (0 = next turn, e.g. after a reconnect). */
  trigger(delayMs?: number): void {
    if (this.stopped) return;
    if (this.running) {
      this.pending = true;
      return;
    }
    if (this.timer) return;
    const wait = delayMs ?? (this.options.leading ? Math.max(0, this.lastRun + this.intervalMs - performance.now()) : this.intervalMs);
    this.timer = setTimeout(() => {
      this.timer = undefined;
      void this.run();
    }, wait);
  }

  /** Stops future runs and waits for the current one. */
  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    await this.running;
  }

  private async run(): Promise<void> {
    this.lastRun = performance.now();
    this.running = this.task().catch(this.onError);
    await this.running;
    this.running = undefined;
    if (this.pending) {
      this.pending = false;
      this.trigger();
    }
  }
}
