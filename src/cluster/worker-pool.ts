import cluster, { type ClusterSettings, type Worker } from 'node:cluster';
import type { Socket } from 'node:net';
import type { Logger } from 'pino';
import { mergeStats, type LiveStats } from '../api/live-stats.js';
import { emptyConfig, type DynamicConfig } from '../config/dynamic-config.js';
import type { StaticConfig } from '../config/static-config.js';
import type { HealthVerdict } from '../runtime/server-state.js';
import { diffConfig, type ConfigPatch } from './config-patch.js';
import { ConnectionDispatcher } from './connection-dispatcher.js';
import type { FromWorker, ToWorker } from './messages.js';

export interface WorkerPoolOptions {
  count: number;
  config: StaticConfig;
  /** The compiled worker entry (…/dist/src/cluster/worker-main.js). */
  exec: string;
  log: Logger;
  /** Every server's current health verdict, for a worker that starts or restarts. */
  healthSnapshot: () => HealthVerdict[];
  /** A worker's traffic ejected a server (passive health): the primary makes every worker follow. */
  onEjected: (key: string, until: number, reason: string) => void;
}

interface Slot {
  readonly id: number;
  worker: Worker | undefined;
  /** Has had its full config: from now on it gets patches. */
  initialized: boolean;
  /** Version of the config its current table was built from. */
  applied: number;
  /** Start times of recent restarts, for back-off when a worker keeps crashing. */
  restarts: number[];
}

/** A worker start failed before it served (e.g. its access log cannot be opened); `code` as on a system error. */
export class WorkerStartError extends Error {
  constructor(
    message: string,
    readonly code: string | undefined,
  ) {
    super(message);
  }
}

const RESTART_WINDOW_MS = 60_000;
/** Extra time past the longest graceTimeout before a stopping worker is killed. */
const STOP_MARGIN_MS = 5_000;

/**
 * The primary's side of `workers: N`: binds the entry points and hands each new connection to
 * the worker with the fewest open connections (ConnectionDispatcher), forks the worker
 * processes (node:cluster, for fork and IPC only), sends each the static config, then every
 * dynamic config as a patch and every health verdict, restarts a worker that dies, and stops
 * them gracefully.
 */
export class WorkerPool {
  private readonly slots: Slot[];
  private readonly dispatcher: ConnectionDispatcher;
  private shipped: DynamicConfig | undefined;
  private version = 0;
  /** All workers served once: from now on a worker that dies is replaced. */
  private running = false;
  private stopping = false;
  private addressList: Record<string, { address: string; port: number }> | undefined;
  private statsSeq = 0;
  private readonly onDrained = new Map<Slot, () => void>();
  /** Answers awaited by collectStats, by `workerId:requestId`. */
  private readonly pendingStats = new Map<string, (stats: LiveStats) => void>();

  constructor(private readonly options: WorkerPoolOptions) {
    this.slots = Array.from({ length: options.count }, (_, i) => ({ id: i + 1, worker: undefined, initialized: false, applied: 0, restarts: [] }));
    this.dispatcher = new ConnectionDispatcher(options.config, (id, entryPoint, socket, done) => this.handOff(id, entryPoint, socket, done), options.log);
  }

  /**
   * Binds the entry points (a taken port fails here, before any worker exists), then forks
   * every worker with `config`; resolves once all of them serve. A connection that arrives in
   * between waits for the first worker that serves.
   */
  async start(config: DynamicConfig, version: number): Promise<void> {
    this.shipped = config;
    this.version = version;
    this.addressList = await this.dispatcher.listen();
    // 'advanced' = structured clone: configs cross as they are, without a JSON round trip.
    cluster.setupPrimary({ exec: this.options.exec, serialization: 'advanced' } as ClusterSettings);
    await Promise.all(this.slots.map((slot) => this.spawn(slot)));
    this.running = true;
  }

  /** A new config: every worker that has its full config gets what changed. */
  shipConfig(config: DynamicConfig, version: number): void {
    const patch = diffConfig(this.shipped, config);
    this.shipped = config;
    this.version = version;
    for (const slot of this.slots) if (slot.initialized) this.send(slot, { type: 'config', version, patch });
  }

  /** Every worker reopens its access log file. */
  reopenLogs(): void {
    for (const slot of this.slots) if (slot.initialized) this.send(slot, { type: 'reopen-logs' });
  }

  shipHealth(verdicts: HealthVerdict[]): void {
    if (verdicts.length === 0) return;
    for (const slot of this.slots) if (slot.initialized) this.send(slot, { type: 'health', verdicts });
  }

  /** The newest config version every worker has built its table from. */
  get appliedVersion(): number {
    return Math.min(...this.slots.map((s) => s.applied));
  }

  /**
   * Every worker's traffic counts, merged (for the admin API). A worker that does not answer
   * within `timeoutMs` (busy, restarting) is left out rather than holding the API up.
   */
  async collectStats(timeoutMs = 1_000): Promise<LiveStats> {
    const id = ++this.statsSeq;
    const replies = this.slots
      .filter((slot) => slot.initialized)
      .map(
        (slot) =>
          new Promise<LiveStats | undefined>((resolve) => {
            const key = `${slot.id}:${id}`;
            const timer = setTimeout(() => {
              this.pendingStats.delete(key);
              resolve(undefined);
            }, timeoutMs);
            this.pendingStats.set(key, (stats) => {
              clearTimeout(timer);
              this.pendingStats.delete(key);
              resolve(stats);
            });
            this.send(slot, { type: 'stats', id });
          }),
      );
    return mergeStats((await Promise.all(replies)).filter((s): s is LiveStats => s !== undefined));
  }

  /** Each worker's open client connections, as the primary counts them (worker id → count). */
  openConnections(): Map<number, number> {
    return this.dispatcher.openByWorker();
  }

  /** Where entry point `name` listens (the primary's socket). */
  address(name: string): { address: string; port: number } {
    const a = this.addressList?.[name];
    if (!a) throw new Error(`no entry point ${name}`);
    return a;
  }

  /**
   * From now on a worker that exits is not started again. Called first thing at shutdown: a
   * SIGTERM to the whole process group (systemd's KillMode=control-group) reaches the workers
   * too, and they may be gone before stop() is called (the providers stop first).
   */
  markStopping(): void {
    this.stopping = true;
  }

  /**
   * Every worker finishes its HTTP requests; then all close their WebSockets and exit. A worker
   * that takes too long is killed.
   */
  async stop(): Promise<void> {
    this.stopping = true;
    this.dispatcher.close();
    const grace = Math.max(...Object.values(this.options.config.entryPoints).map((ep) => ep.transport.lifeCycle.graceTimeout));
    const live = this.slots.flatMap((slot) => (slot.worker && !slot.worker.isDead() ? [{ slot, worker: slot.worker }] : []));
    const exits = live.map(({ worker }) => new Promise<void>((resolve) => worker.once('exit', () => resolve())));
    const timer = setTimeout(() => {
      for (const { slot, worker } of live) {
        if (worker.isDead()) continue;
        this.options.log.warn({ worker: slot.id }, 'worker did not stop in time; killing it');
        worker.process.kill('SIGKILL');
      }
    }, grace + STOP_MARGIN_MS);
    await Promise.all(
      live.map(({ slot, worker }, i) => {
        const drained = new Promise<void>((resolve) => {
          this.onDrained.set(slot, resolve);
          void exits[i]!.then(resolve);
        });
        // A worker still starting (a replacement) may not listen for messages yet, and a message
        // sent before it does is lost; it has no connection either: it just stops.
        if (slot.initialized) this.send(slot, { type: 'drain' });
        else worker.process.kill('SIGTERM');
        return drained;
      }),
    );
    for (const { slot } of live) this.send(slot, { type: 'finish' });
    await Promise.all(exits);
    clearTimeout(timer);
  }

  private spawn(slot: Slot): Promise<void> {
    const worker = cluster.fork({ SWITCHYARD_WORKER_ID: String(slot.id) });
    slot.worker = worker;
    slot.initialized = false;
    slot.applied = 0;
    // A message to a worker that is exiting (it got the signal too) fails with EPIPE, emitted
    // here; unhandled, it would crash the primary. The exit handler does what there is to do.
    worker.on('error', (err) => this.options.log.debug({ worker: slot.id, err: err.message }, 'a message to a worker was not delivered (it is exiting)'));
    return new Promise<void>((resolve, reject) => {
      worker.on('message', (msg: FromWorker) => {
        switch (msg.type) {
          case 'ready':
            this.initialize(slot);
            break;
          case 'applied':
            slot.applied = msg.version;
            break;
          case 'drained':
            this.onDrained.get(slot)?.();
            break;
          case 'serving':
            if (!this.stopping) this.dispatcher.addWorker(slot.id);
            resolve();
            break;
          case 'connections':
            this.dispatcher.report(slot.id, msg);
            break;
          case 'failed':
            reject(new WorkerStartError(msg.message, msg.code));
            break;
          case 'ejected':
            this.options.onEjected(msg.key, msg.until, `${msg.reason} (worker ${slot.id})`);
            break;
          case 'stats':
            this.pendingStats.get(`${slot.id}:${msg.id}`)?.(msg.stats);
            break;
        }
      });
      worker.once('exit', (code, signal) => {
        reject(new WorkerStartError(`worker ${slot.id} exited during start-up (code ${code}, signal ${signal})`, undefined));
        this.exited(slot, worker, code, signal);
      });
    });
  }

  /** The worker listens for messages: static config, the whole current config, health, serve. */
  private initialize(slot: Slot): void {
    this.send(slot, { type: 'init', config: this.options.config });
    const patch: ConfigPatch = diffConfig(undefined, this.shipped ?? emptyConfig());
    this.send(slot, { type: 'config', version: this.version, patch });
    this.send(slot, { type: 'health', verdicts: this.options.healthSnapshot() });
    this.send(slot, { type: 'serve' });
    slot.initialized = true;
  }

  private exited(slot: Slot, worker: Worker, code: number | null, signal: string | null): void {
    if (slot.worker !== worker) return;
    slot.worker = undefined;
    slot.initialized = false;
    this.dispatcher.removeWorker(slot.id);
    if (this.stopping || !this.running) return;
    const now = Date.now();
    slot.restarts = slot.restarts.filter((t) => t > now - RESTART_WINDOW_MS);
    // Back off when it keeps dying (a crash loop must not eat the machine): 0, 0.1, 0.3, 0.7 … 4.9 s.
    const delay = Math.min(5_000, 100 * 2 ** slot.restarts.length) - 100;
    slot.restarts.push(now);
    this.options.log.error({ worker: slot.id, code, signal, restartIn: delay }, `worker ${slot.id} exited unexpectedly; starting a new one`);
    setTimeout(() => {
      if (this.stopping) return;
      this.spawn(slot).catch((err: Error) => this.options.log.error({ worker: slot.id, err: err.message }, 'restarted worker failed to start'));
    }, delay).unref();
  }

  private handOff(id: number, entryPoint: string, socket: Socket, done: (err: Error | null) => void): void {
    const worker = this.slots[id - 1]?.worker;
    if (!worker?.isConnected()) {
      socket.destroy();
      return;
    }
    worker.send({ type: 'connection', entryPoint } satisfies ToWorker, socket, done);
  }

  private send(slot: Slot, msg: ToWorker): void {
    const worker = slot.worker;
    if (worker?.isConnected()) worker.send(msg);
  }
}
