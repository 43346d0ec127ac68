import { Etcd3, Range, type IDuplexStream, type IOptions, type IWatchRequest, type IWatchResponse } from 'etcd3';
import type { Logger } from 'pino';
import type { ConfigError, ProviderSnapshot } from '../../src/config/dynamic-config.js';
import { backoffDelay, DEFAULT_BACKOFF, type BackoffOptions } from '../kv/backoff.js';
import { Coalescer } from '../kv/coalescer.js';
import { KvMirror } from '../kv/kv-mirror.js';
import { loadTls, type KvTlsOptions } from '../kv/kv-tls.js';
import { SourceHealth } from '../kv/source-health.js';
import type { Provider } from '../provider.js';

export interface EtcdProviderOptions {
  /** `host:port` or `http(s)://host:port`. */
  endpoints: string[];
  rootKey: string;
  username?: string;
  password?: string;
  tls?: KvTlsOptions;
  /** Watch events are turned into a snapshot at most once per this many ms. */
  coalesceMs?: number;
  reconnect?: BackoffOptions;
  /** Deadline of one range read (ms). */
  requestTimeoutMs?: number;
}

type Policy = NonNullable<NonNullable<IOptions['faultHandling']>['global']>;

/**
 * The client's default circuit breaker would refuse calls for 5 s after three failures and its
 * retries would hide an outage; this provider does its own backoff, so calls go straight through.
 */
const passThrough = {
  execute: <T>(fn: (context: { signal: AbortSignal }) => PromiseLike<T> | T) => Promise.resolve().then(() => fn({ signal: new AbortController().signal })),
} as unknown as Policy;

/**
 * Watches the keys under `rootKey` in etcd (Traefik's KV layout) and emits the whole tree as a
 * snapshot. One range read, then one watch from the read's revision + 1. A watch stream that ends
 * while etcd stays reachable resumes from the last revision seen (a compacted revision, another
 * cluster ID or a revision that went back falls back to a full re-read); after the connection
 * itself failed, the tree is re-read, since a rebuilt cluster can look the same. Lease expiry and
 * revocation arrive as delete events. While etcd is unreachable nothing is emitted: the last
 * good config keeps serving.
 */
export class EtcdProvider implements Provider {
  readonly name = 'etcd';
  private readonly mirror: KvMirror;
  private readonly prefix: string;
  private client: Etcd3 | undefined;
  private emit: ((s: ProviderSnapshot) => void) | undefined;
  private log!: Logger;
  private health!: SourceHealth;
  private emitter!: Coalescer;
  private stream: IDuplexStream<IWatchRequest, IWatchResponse> | undefined;
  /** Bumped whenever a stream is abandoned, so its late events are ignored. */
  private generation = 0;
  /** Every event up to this revision is in the mirror. */
  private revision = 0n;
  private clusterId = '';
  private failures = 0;
  private retryTimer: NodeJS.Timeout | undefined;
  private reading = false;
  private readAgain = false;
  private started = false;
  private stopped = false;
  private resolveStart: (() => void) | undefined;
  /** Full range reads that succeeded so far (tests and the benchmark check how many a scenario costs). */
  rangeReads = 0;
  /** The last full read: keys under the root and its duration. */
  lastFullRead = { keys: 0, ms: 0 };

  constructor(private readonly options: EtcdProviderOptions) {
    this.mirror = new KvMirror(this.name, options.rootKey);
    this.prefix = `${options.rootKey}/`;
  }

  private get source(): string {
    return `etcd ${this.options.endpoints.join(',')}`;
  }

  async start(emit: (snapshot: ProviderSnapshot) => void, log: Logger): Promise<void> {
    this.emit = emit;
    this.log = log.child({ provider: this.name });
    this.health = new SourceHealth(this.log, this.source);
    this.emitter = new Coalescer(this.options.coalesceMs ?? 5, async () => this.emitIfChanged(), (err) => this.log.error({ err }, 'etcd emit failed'), { leading: true });
    this.client = new Etcd3(this.clientOptions());
    const first = new Promise<void>((resolve) => (this.resolveStart = resolve));
    void this.readAndWatch();
    await first;
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.emit = undefined;
    this.resolveStart?.();
    if (this.retryTimer) clearTimeout(this.retryTimer);
    this.dropStream();
    await this.emitter?.stop();
    this.client?.close();
  }

  private clientOptions(): IOptions {
    const o = this.options;
    const tls = o.tls ? loadTls('etcd', o.tls) : undefined;
    const scheme = tls ? 'https' : 'http';
    const timeout = o.requestTimeoutMs ?? 10_000;
    return {
      hosts: o.endpoints.map((e) => (/^https?:\/\//.test(e) ? e : `${scheme}://${e}`)),
      ...(o.username !== undefined ? { auth: { username: o.username, password: o.password ?? '' } } : {}),
      ...(tls
        ? { credentials: { rootCertificate: tls.ca as Buffer, ...(tls.key ? { privateKey: tls.key } : {}), ...(tls.cert ? { certChain: tls.cert } : {}) } }
        : {}),
      dialTimeout: 5_000,
      defaultCallOptions: (ctx) => (ctx.isStream ? {} : { deadline: Date.now() + timeout }),
      faultHandling: { host: () => passThrough, global: passThrough },
      grpcOptions: {
        // A large tree is one range read: allow big answers.
        'grpc.max_receive_message_length': 256 * 1024 * 1024,
        // A silent (half-open) connection is noticed by keepalive pings, then reconnected.
        'grpc.keepalive_time_ms': 10_000,
        'grpc.keepalive_timeout_ms': 5_000,
        'grpc.keepalive_permit_without_calls': 1,
      },
    };
  }

  /** The full read: one range over the root, then a watch from the revision after it. */
  private async readAndWatch(): Promise<void> {
    if (this.stopped) return;
    // One read at a time; a request during a read means "read again after it".
    if (this.reading) {
      this.readAgain = true;
      return;
    }
    this.reading = true;
    try {
      do {
        this.readAgain = false;
        await this.readOnce();
      } while (this.readAgain && !this.stopped);
    } finally {
      this.reading = false;
    }
  }

  private async readOnce(): Promise<void> {
    this.dropStream();
    let res;
    const started = performance.now();
    try {
      res = await this.client!.getAll().prefix(this.prefix).exec();
      this.rangeReads++;
    } catch (err) {
      this.readAgain = false;
      this.failed(err as Error, () => void this.readAndWatch());
      return;
    }
    if (this.stopped) return;
    const next = new Map<string, string>();
    for (const kv of res.kvs) next.set(kv.key.toString(), kv.value.toString());
    this.mirror.replace(next);
    this.lastFullRead = { keys: next.size, ms: Math.round((performance.now() - started) * 100) / 100 };
    this.revision = BigInt(res.header.revision);
    this.clusterId = res.header.cluster_id;
    this.failures = 0;
    this.health.up(`re-read ${next.size} keys under ${this.prefix} at revision ${this.revision}`);
    this.emitSnapshot(true);
    this.openWatch();
  }

  private openWatch(): void {
    if (this.stopped) return;
    const generation = ++this.generation;
    const range = Range.prefix(this.prefix);
    void this.client!.watchClient.watch().then(
      (stream) => {
        if (generation !== this.generation || this.stopped) {
          stream.cancel();
          return;
        }
        this.stream = stream;
        stream.on('data', (res) => this.onWatchResponse(generation, res));
        stream.on('error', (err) => this.onWatchDown(generation, err));
        stream.on('end', () => this.onWatchDown(generation, new Error('the watch stream ended')));
        stream.write({
          create_request: { key: range.start, range_end: range.end, start_revision: String(this.revision + 1n), progress_notify: true },
        });
      },
      (err: Error) => this.onWatchDown(generation, err),
    );
  }

  private onWatchResponse(generation: number, res: IWatchResponse): void {
    if (generation !== this.generation || this.stopped) return;
    if (res.canceled) {
      const compacted = res.compact_revision && res.compact_revision !== '0';
      this.log.warn(
        { compactRevision: res.compact_revision, reason: res.cancel_reason },
        compacted
          ? `etcd compacted its history past revision ${this.revision + 1n}; re-reading the tree`
          : `etcd cancelled the watch (${res.cancel_reason || 'no reason given'}); re-reading the tree`,
      );
      void this.readAndWatch();
      return;
    }
    if (res.created) {
      // A different cluster (rebuilt, restored from a snapshot) or a store that went back in
      // time would never send the events we missed: read everything again.
      if (res.header.cluster_id !== this.clusterId || BigInt(res.header.revision) < this.revision) {
        this.log.warn(
          { clusterId: res.header.cluster_id, previousClusterId: this.clusterId, revision: res.header.revision, lastSeen: String(this.revision) },
          'etcd behind the endpoint is not the store we read before; re-reading the tree',
        );
        void this.readAndWatch();
        return;
      }
      this.failures = 0;
      return;
    }
    if (res.events.length === 0) {
      // Progress notification: every event up to header.revision has been sent.
      const rev = BigInt(res.header.revision);
      if (rev > this.revision) this.revision = rev;
      return;
    }
    for (const ev of res.events) {
      const key = ev.kv.key.toString();
      if (ev.type === 'Put') this.mirror.set(key, ev.kv.value.toString());
      else this.mirror.delete(key);
      const rev = BigInt(ev.kv.mod_revision);
      if (rev > this.revision) this.revision = rev;
    }
    this.emitter.trigger();
  }

  private onWatchDown(generation: number, err: Error): void {
    if (generation !== this.generation || this.stopped) return;
    this.dropStream();
    if (isTransportFailure(err) || this.health.isDown) {
      // The connection itself failed: what answers next may be another store (a cluster rebuilt
      // with the same name and peer URLs even has the same cluster ID), so re-read everything.
      this.failed(err, () => void this.readAndWatch());
      return;
    }
    // Only the stream ended (etcd cancels watches on leader loss, for instance) and the store is
    // the same one: resume from the last revision seen; a compacted revision falls back to a re-read.
    this.failures++;
    this.log.warn({ reason: err.message, resumeFrom: String(this.revision + 1n) }, `etcd watch stream ended (${err.message}); resuming from revision ${this.revision + 1n}`);
    if (this.retryTimer) clearTimeout(this.retryTimer);
    this.retryTimer = setTimeout(() => this.openWatch(), backoffDelay(this.failures, this.options.reconnect ?? DEFAULT_BACKOFF));
  }

  /** Logs the outage once, and tries `retry` again after a backoff. */
  private failed(err: Error, retry: () => void): void {
    if (this.stopped) return;
    const reason = err.message.split('\n')[0] ?? String(err);
    this.health.down(reason);
    this.failures++;
    if (!this.started) {
      this.started = true;
      const error: ConfigError = { provider: this.name, item: this.source, field: '', message: `unreachable (${reason}); its routes appear as soon as it answers` };
      this.emit?.({ provider: this.name, config: {}, origins: {}, errors: [error] });
      this.resolveStart?.();
    }
    if (this.retryTimer) clearTimeout(this.retryTimer);
    this.retryTimer = setTimeout(() => {
      this.retryTimer = undefined;
      retry();
    }, backoffDelay(this.failures, this.options.reconnect ?? DEFAULT_BACKOFF));
  }

  private dropStream(): void {
    this.generation++;
    const stream = this.stream;
    this.stream = undefined;
    if (stream) {
      // A cancelled stream reports a CANCELLED error: swallow it.
      stream.on('error', () => undefined);
      stream.cancel();
    }
  }

  private emitIfChanged(): void {
    this.emitSnapshot(false);
  }

  private emitSnapshot(force: boolean): void {
    const snapshot = this.mirror.takeSnapshot(force || !this.started);
    this.started = true;
    if (snapshot) this.emit?.(snapshot);
    this.resolveStart?.();
  }
}

/** gRPC UNAVAILABLE / DEADLINE_EXCEEDED, or a socket error: the connection, not just the stream, failed. */
function isTransportFailure(err: Error): boolean {
  const code = (err as { code?: unknown }).code;
  return code === 14 || code === 4 || /ECONNREFUSED|ECONNRESET|EPIPE|ETIMEDOUT|connection/i.test(err.message);
}
