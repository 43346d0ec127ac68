import type { Logger } from 'pino';
import type { HealthCheckConfig } from '../config/dynamic-config.js';
import type { RoutingTable } from '../runtime/routing-table.js';
import type { ServerRegistry } from '../runtime/server-registry.js';
import type { ServerState } from '../runtime/server-state.js';
import { probe } from './probe.js';

interface Schedule {
  state: ServerState;
  check: HealthCheckConfig;
  timer: NodeJS.Timeout | undefined;
  running: boolean;
}

/**
 * Runs the active health checks of every checked server. A reload calls `sync`: a server that
 * stays keeps its schedule (and its state in the registry); a new one is checked at once; one
 * that left, or whose service dropped its check, stops being checked.
 */
export class HealthChecker {
  private readonly schedules = new Map<string, Schedule>();
  private stopped = false;

  constructor(
    private readonly registry: ServerRegistry,
    private readonly log: Logger,
  ) {}

  sync(table: RoutingTable): void {
    if (this.stopped) return;
    const wanted = new Set<string>();
    for (const service of table.services.values()) {
      const check = service.healthCheck;
      if (!check) continue;
      for (const server of service.servers) {
        const key = server.state.key;
        wanted.add(key);
        const existing = this.schedules.get(key);
        if (existing && existing.state === server.state) {
          existing.check = check;
          continue;
        }
        if (existing) this.cancel(existing);
        const schedule: Schedule = { state: server.state, check, timer: undefined, running: false };
        this.schedules.set(key, schedule);
        this.plan(schedule, 0);
      }
    }
    for (const [key, schedule] of this.schedules) {
      if (!wanted.has(key)) {
        this.cancel(schedule);
        this.schedules.delete(key);
      }
    }
  }

  /**
   * Resolves once every scheduled server has had its first check (or the slowest check's
   * timeout has passed), so that a starting Switchyard opens its listeners with health known
   * instead of answering 503 while nothing is confirmed yet (Envoy's cluster warming).
   */
  async firstRound(): Promise<void> {
    const pending = [...this.schedules.values()].filter((s) => s.state.lastCheck === undefined);
    if (pending.length === 0) return;
    const limit = Math.max(...pending.map((s) => s.check.timeout)) + 50;
    const deadline = Date.now() + limit;
    while (Date.now() < deadline && pending.some((s) => s.state.lastCheck === undefined && !this.stopped)) {
      await new Promise((r) => setTimeout(r, 5));
    }
  }

  stop(): void {
    this.stopped = true;
    for (const s of this.schedules.values()) this.cancel(s);
    this.schedules.clear();
  }

  private plan(schedule: Schedule, delay: number): void {
    schedule.timer = setTimeout(() => void this.run(schedule), delay);
    schedule.timer.unref();
  }

  private async run(schedule: Schedule): Promise<void> {
    schedule.timer = undefined;
    if (this.stopped || this.schedules.get(schedule.state.key) !== schedule) return;
    schedule.running = true;
    const result = await probe(schedule.state.url, schedule.check);
    schedule.running = false;
    if (this.stopped || this.schedules.get(schedule.state.key) !== schedule) return;
    this.log.debug({ service: schedule.state.service, server: schedule.state.url, ok: result.ok, detail: result.detail }, 'health check');
    this.registry.reportCheck(schedule.state, result, schedule.check);
    const { interval, unhealthyInterval } = schedule.check;
    this.plan(schedule, schedule.state.health === 'up' ? interval : unhealthyInterval);
  }

  private cancel(schedule: Schedule): void {
    if (schedule.timer) clearTimeout(schedule.timer);
    schedule.timer = undefined;
  }
}
