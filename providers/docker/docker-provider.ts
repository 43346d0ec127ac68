import { isDeepStrictEqual } from 'node:util';
import Docker from 'dockerode';
import type { Logger } from 'pino';
import type { ConfigError, ProviderSnapshot } from '../../src/config/dynamic-config.js';
import { backoffDelay, DEFAULT_BACKOFF, type BackoffOptions } from '../kv/backoff.js';
import { Coalescer } from '../kv/coalescer.js';
import type { KvTlsOptions } from '../kv/kv-tls.js';
import { SourceHealth } from '../kv/source-health.js';
import type { Provider } from '../provider.js';
import { containerConfig, type ContainerConfig, type LabelOptions } from './container-config.js';
import { factsOf } from './container-facts.js';
import { engineAddress } from './docker-endpoint.js';
import { exposureOf } from './labels.js';
import { mergeContainers } from './merge-containers.js';

export interface DockerProviderOptions {
  /** `unix:///var/run/docker.sock` or `tcp://host:2375`. */
  endpoint: string;
  tls?: KvTlsOptions;
  exposedByDefault: boolean;
  /** Network whose address to use when a container is on several ('' = the first by name). */
  network: string;
  /** Rule of a container's default router; `{{name}}` is the container name, normalized. */
  defaultRule: string;
  labelPrefix: string;
  /** Events are turned into a snapshot at most once per this many ms. */
  coalesceMs?: number;
  reconnect?: BackoffOptions;
  /** Deadline of one API call (list, inspect, ping, opening the event stream). */
  requestTimeoutMs?: number;
  /** Ping the engine this often; a silent engine (half-open TCP) is reconnected. */
  heartbeatMs?: number;
  /** Inspects in flight at once during a full listing. */
  inspectConcurrency?: number;
}

/** What the newest event about a container asks for. */
type Pending = 'inspect' | 'gone';

/** Container events that can change what is routed. */
const EVENTS = ['start', 'die', 'stop', 'kill', 'health_status', 'destroy', 'rename', 'pause', 'unpause'];
/** `docker stop` sends one of these first: the container stops taking new requests right then. */
const STOP_SIGNALS = new Set(['2', '3', '9', '15', 'SIGINT', 'SIGQUIT', 'SIGKILL', 'SIGTERM']);

interface EngineEvent {
  Type?: string;
  Action?: string;
  status?: string;
  id?: string;
  Actor?: { ID?: string; Attributes?: Record<string, string> };
}

/**
 * Routes running containers by their labels (Traefik's Docker provider). Lists the running
 * containers once, then follows the Events API; an event inspects only the container it names
 * (and none at all for containers whose labels say they are not exposed, since events carry the
 * labels). Every (re)connect opens the event stream first and then re-lists, so nothing that
 * happened while disconnected is missed. While the engine is unreachable nothing is emitted:
 * the last good config keeps serving.
 */
export class DockerProvider implements Provider {
  readonly name = 'docker';
  private readonly docker: Docker;
  private readonly labels: LabelOptions;
  private readonly containers = new Map<string, ContainerConfig>();
  private readonly pending = new Map<string, Pending>();
  private emit: ((s: ProviderSnapshot) => void) | undefined;
  private log!: Logger;
  private health!: SourceHealth;
  private sync!: Coalescer;
  private stream: NodeJS.ReadableStream | undefined;
  private streamAbort: AbortController | undefined;
  /** Bumped whenever a connection is given up, so its late callbacks are ignored. */
  private generation = 0;
  private needsFull = true;
  private forceEmit = true;
  private changed = true;
  private failures = 0;
  private reconnectTimer: NodeJS.Timeout | undefined;
  private heartbeatTimer: NodeJS.Timeout | undefined;
  private started = false;
  private stopped = false;
  private resolveStart: (() => void) | undefined;
  /** Connection attempts, API calls and events so far, for tests and logs. */
  readonly stats = { connects: 0, lists: 0, inspects: 0, events: 0 };

  constructor(private readonly options: DockerProviderOptions) {
    const address = engineAddress(options.endpoint, options.tls);
    this.docker = new Docker(address.options);
    this.labels = {
      provider: this.name,
      prefix: options.labelPrefix,
      exposedByDefault: options.exposedByDefault,
      network: options.network,
      defaultRule: options.defaultRule,
      hostAddress: address.hostAddress,
    };
  }

  private get source(): string {
    return `docker ${this.options.endpoint}`;
  }

  private get timeoutMs(): number {
    return this.options.requestTimeoutMs ?? 10_000;
  }

  async start(emit: (snapshot: ProviderSnapshot) => void, log: Logger): Promise<void> {
    this.emit = emit;
    this.log = log.child({ provider: this.name });
    this.health = new SourceHealth(this.log, this.source);
    this.sync = new Coalescer(this.options.coalesceMs ?? 5, () => this.runSync(), (err) => this.log.error({ err }, 'docker sync failed'));
    const first = new Promise<void>((resolve) => (this.resolveStart = resolve));
    void this.connect();
    await first;
    this.heartbeatTimer = setInterval(() => this.heartbeat(), this.options.heartbeatMs ?? 5_000);
    this.heartbeatTimer.unref();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.emit = undefined;
    this.generation++;
    if (this.reconnectTimer) clearTimeout(this.reconnectTimer);
    if (this.heartbeatTimer) clearInterval(this.heartbeatTimer);
    this.closeStream();
    this.resolveStart?.();
    await this.sync?.stop();
  }

  /** Opens the event stream, then asks for a full listing (events that arrive meanwhile wait for it). */
  private async connect(): Promise<void> {
    if (this.stopped) return;
    const generation = ++this.generation;
    this.stats.connects++;
    const abort = new AbortController();
    const timer = setTimeout(() => abort.abort(), this.timeoutMs);
    let stream: NodeJS.ReadableStream;
    try {
      const filters = JSON.stringify({ type: ['container'], event: EVENTS });
      stream = (await this.docker.getEvents({ filters, abortSignal: abort.signal } as Docker.GetEventsOptions)) as NodeJS.ReadableStream;
    } catch (err) {
      this.lost(generation, reasonOf(err, abort.signal.aborted ? `no answer within ${this.timeoutMs} ms` : undefined));
      return;
    } finally {
      clearTimeout(timer);
    }
    if (generation !== this.generation) {
      abort.abort();
      return;
    }
    this.stream = stream;
    this.streamAbort = abort;
    let buffered = '';
    stream.on('data', (chunk: Buffer | string) => {
      buffered += chunk.toString();
      let newline: number;
      while ((newline = buffered.indexOf('\n')) >= 0) {
        const line = buffered.slice(0, newline).trim();
        buffered = buffered.slice(newline + 1);
        if (line) this.onEvent(line);
      }
    });
    stream.once('error', (err: Error) => this.lost(generation, reasonOf(err)));
    stream.once('end', () => this.lost(generation, 'the event stream ended'));
    stream.once('close', () => this.lost(generation, 'the event stream closed'));
    this.needsFull = true;
    this.forceEmit = true;
    this.sync.trigger(0);
  }

  /** The connection is gone: say so once, keep the last config, and reconnect with backoff. */
  private lost(generation: number, reason: string): void {
    if (this.stopped || generation !== this.generation) return;
    this.generation++;
    this.closeStream();
    this.health.down(reason);
    if (!this.started) this.startUnreachable(reason);
    this.failures++;
    if (this.reconnectTimer) clearTimeout(this.reconnectTimer);
    this.reconnectTimer = setTimeout(() => void this.connect(), backoffDelay(this.failures, this.options.reconnect ?? DEFAULT_BACKOFF));
  }

  private closeStream(): void {
    this.streamAbort?.abort();
    this.streamAbort = undefined;
    const s = this.stream as (NodeJS.ReadableStream & { destroy?: () => void }) | undefined;
    this.stream = undefined;
    s?.destroy?.();
  }

  /** The engine cannot be reached at start: go live without its containers, and keep trying. */
  private startUnreachable(reason: string): void {
    this.started = true;
    const error: ConfigError = {
      provider: this.name,
      item: this.source,
      field: '',
      message: `unreachable (${reason}); its containers are routed as soon as it answers`,
    };
    this.emit?.({ provider: this.name, config: {}, origins: {}, errors: [error] });
    this.resolveStart?.();
  }

  private onEvent(line: string): void {
    let event: EngineEvent;
    try {
      event = JSON.parse(line) as EngineEvent;
    } catch {
      this.log.debug({ line: line.slice(0, 200) }, 'ignoring an event that is not JSON');
      return;
    }
    const id = event.Actor?.ID ?? event.id;
    const action = (event.Action ?? event.status ?? '').split(':')[0];
    if (event.Type !== 'container' || !id || !action) return;
    this.stats.events++;
    const attributes = event.Actor?.Attributes ?? {};
    // Events repeat the container's labels: one that is not exposed needs no inspect, ever.
    const exposure = exposureOf(attributes, this.options.labelPrefix, this.options.exposedByDefault);
    if ('exposed' in exposure && !exposure.exposed && !this.containers.has(id)) return;
    let next: Pending;
    switch (action) {
      case 'destroy':
      case 'die':
      case 'stop':
        next = 'gone';
        break;
      case 'kill':
        // A stop begins with SIGTERM (then SIGKILL): new requests go elsewhere while it shuts down.
        // Other signals (a SIGHUP reload) leave it routed.
        if (!STOP_SIGNALS.has(attributes['signal'] ?? '')) return;
        next = 'gone';
        break;
      default:
        next = 'inspect';
    }
    this.pending.set(id, next);
    this.sync.trigger();
  }

  /** One serialised step: a full listing after a (re)connect, else the containers events named. */
  private async runSync(): Promise<void> {
    if (this.stopped || !this.stream) return;
    const generation = this.generation;
    const full = this.needsFull;
    try {
      if (full) {
        this.needsFull = false;
        this.pending.clear();
        await this.readAll();
      } else {
        const batch = [...this.pending];
        this.pending.clear();
        await mapLimit(batch, this.options.inspectConcurrency ?? 16, async ([id, what]) => {
          this.put(id, what === 'gone' ? undefined : await this.inspect(id));
        });
      }
    } catch (err) {
      if (generation !== this.generation || this.stopped) return;
      // A call failed while the stream is up (a timeout, an engine error): start over, re-listing.
      if (full) this.needsFull = true;
      this.lost(generation, reasonOf(err));
      return;
    }
    if (generation !== this.generation || this.stopped) return;
    if (full) {
      this.failures = 0;
      this.health.up(`re-listed its running containers (${this.containers.size} routed)`);
    }
    const force = full && this.forceEmit;
    if (full) this.forceEmit = false;
    this.publish(force);
    this.started = true;
    this.resolveStart?.();
  }

  /** Lists the running containers and inspects those whose labels may route them. */
  private async readAll(): Promise<void> {
    const list = await this.docker.listContainers({ abortSignal: AbortSignal.timeout(this.timeoutMs) } as Docker.ContainerListOptions);
    this.stats.lists++;
    const candidates = list.filter((c) => {
      const exposure = exposureOf(c.Labels ?? {}, this.options.labelPrefix, this.options.exposedByDefault);
      return !('exposed' in exposure) || exposure.exposed;
    });
    const next = new Map<string, ContainerConfig>();
    await mapLimit(candidates, this.options.inspectConcurrency ?? 16, async (c) => {
      const config = await this.inspect(c.Id);
      if (config) next.set(c.Id, config);
    });
    if (next.size !== this.containers.size || [...next].some(([id, c]) => !isDeepStrictEqual(this.containers.get(id), c))) {
      this.containers.clear();
      for (const [id, c] of next) this.containers.set(id, c);
      this.changed = true;
    }
    this.log.debug({ running: list.length, routed: next.size }, 'listed the running containers');
  }

  /** The container's share of the config, or undefined when it is gone or not routed. */
  private async inspect(id: string): Promise<ContainerConfig | undefined> {
    let info: Docker.ContainerInspectInfo;
    try {
      this.stats.inspects++;
      info = await this.docker.getContainer(id).inspect({ abortSignal: AbortSignal.timeout(this.timeoutMs) } as Docker.ContainerInspectOptions);
    } catch (err) {
      if ((err as { statusCode?: number }).statusCode === 404) return undefined;
      throw err;
    }
    const view = containerConfig(factsOf(info), this.labels);
    if (view.kind === 'skip') {
      this.log.debug({ container: info.Name.replace(/^\//, '') }, `container not routed: ${view.reason}`);
      return undefined;
    }
    return view.config;
  }

  private put(id: string, config: ContainerConfig | undefined): void {
    const before = this.containers.get(id);
    if (config === undefined) {
      if (before) {
        this.containers.delete(id);
        this.changed = true;
        this.log.debug({ container: before.name }, 'container left');
      }
      return;
    }
    if (before && isDeepStrictEqual(before, config)) return;
    this.containers.set(id, config);
    this.changed = true;
    this.log.debug({ container: config.name }, before ? 'container changed' : 'container joined');
  }

  private publish(force: boolean): void {
    if (!this.changed && !force) return;
    this.changed = false;
    const merged = mergeContainers(this.containers.values(), this.name);
    this.emit?.({ provider: this.name, config: merged.config, origins: merged.origins, errors: merged.errors });
  }

  /** A half-open TCP connection never reports an error: ping, and reconnect when the engine is silent. */
  private heartbeat(): void {
    if (this.stopped || !this.stream) return;
    const generation = this.generation;
    (this.docker.ping as (o: { abortSignal: AbortSignal }) => Promise<unknown>).call(this.docker, { abortSignal: AbortSignal.timeout(this.timeoutMs) }).catch((err: unknown) => this.lost(generation, `no answer to /_ping (${reasonOf(err)})`));
  }
}

function reasonOf(err: unknown, fallback?: string): string {
  if (fallback) return fallback;
  const e = err as { code?: string; message?: string; statusCode?: number; reason?: string };
  if (e?.code && e.message) return e.message;
  if (e?.statusCode) return `HTTP ${e.statusCode}${e.reason ? ` ${e.reason}` : ''}`;
  return e?.message ?? String(err);
}

/** Runs `fn` over `items`, at most `limit` at a time; rejects with the first failure. */
async function mapLimit<T>(items: readonly T[], limit: number, fn: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < items.length) await fn(items[next++]!);
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
}
