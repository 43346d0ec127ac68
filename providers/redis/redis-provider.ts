import { Redis, type RedisOptions } from 'ioredis';
import type { Logger } from 'pino';
import type { ConfigError, ProviderSnapshot } from '../../src/config/dynamic-config.js';
import { backoffDelay, DEFAULT_BACKOFF, type BackoffOptions } from '../kv/backoff.js';
import { Coalescer } from '../kv/coalescer.js';
import { KvMirror } from '../kv/kv-mirror.js';
import { loadTls, type KvTlsOptions } from '../kv/kv-tls.js';
import { SourceHealth } from '../kv/source-health.js';
import type { Provider } from '../provider.js';
import { escapeGlob } from './glob.js';
import { missingNotifyFlags } from './notify-flags.js';

export interface RedisProviderOptions {
  /** `host:port`; with `sentinel`, the sentinels' addresses. */
  endpoints: string[];
  rootKey: string;
  username?: string;
  password?: string;
  db?: number;
  tls?: KvTlsOptions;
  sentinel?: { masterName: string; username?: string; password?: string };
  /** Full re-read interval when keyspace notifications cannot be enabled (CONFIG refused). */
  pollIntervalMs?: number;
  /** Reads triggered by notifications run at most once per this many ms (default 5). */
  coalesceMs?: number;
  reconnect?: BackoffOptions;
  /** PING both connections this often; one that does not answer in time is reconnected. */
  heartbeatMs?: number;
  /** SCAN COUNT per call. */
  scanCount?: number;
}

type Mode = 'notify' | 'poll';

const MGET_CHUNK = 1000;

/**
 * Watches the keys under `rootKey` in Redis (Traefik's KV layout) and emits the whole tree as a
 * snapshot. Change detection: keyspace notifications (enabled with CONFIG SET when allowed;
 * when CONFIG is refused, a full re-read every `pollIntervalMs`). Every (re)connect re-reads the
 * whole tree (SCAN + MGET, pipelined) after subscribing, so nothing written during an outage is
 * missed. While Redis is unreachable nothing is emitted: the last good config keeps serving.
 */
export class RedisProvider implements Provider {
  readonly name = 'redis';
  private readonly mirror: KvMirror;
  private readonly pattern: string;
  private readonly channelPrefix: string;
  private cmd: Redis | undefined;
  private sub: Redis | undefined;
  private emit: ((s: ProviderSnapshot) => void) | undefined;
  private log!: Logger;
  private health!: SourceHealth;
  private sync!: Coalescer;
  /** Keys named by notifications since the last read. */
  private readonly dirty = new Set<string>();
  /** Subscribe and check notifications, then re-read everything: after any (re)connect. */
  private needsSetup = true;
  private needsFull = true;
  /** Emit after the next full read even if nothing changed (a reconnect promises a fresh snapshot). */
  private forceEmit = true;
  private mode: Mode | undefined;
  private pollTimer: NodeJS.Timeout | undefined;
  private heartbeatTimer: NodeJS.Timeout | undefined;
  private retryTimer: NodeJS.Timeout | undefined;
  private failures = 0;
  private lastError = '';
  private started = false;
  private stopped = false;
  private resolveStart: (() => void) | undefined;
  /** Round trips of the last full read (SCAN + MGET calls), for tests and logs. */
  lastFullRead = { keys: 0, commands: 0, ms: 0 };

  constructor(private readonly options: RedisProviderOptions) {
    this.mirror = new KvMirror(this.name, options.rootKey);
    this.pattern = `${escapeGlob(options.rootKey)}/*`;
    this.channelPrefix = `__keyspace@${options.db ?? 0}__:`;
  }

  private get source(): string {
    return this.options.sentinel
      ? `redis master ${this.options.sentinel.masterName} via sentinel ${this.options.endpoints.join(',')}`
      : `redis ${this.options.endpoints[0]}`;
  }

  async start(emit: (snapshot: ProviderSnapshot) => void, log: Logger): Promise<void> {
    this.emit = emit;
    this.log = log.child({ provider: this.name });
    this.health = new SourceHealth(this.log, this.source);
    this.sync = new Coalescer(this.options.coalesceMs ?? 5, () => this.runSync(), (err) => this.log.error({ err }, 'redis sync failed'), { leading: true });
    const clientOptions = this.clientOptions();
    this.cmd = this.connectClient(new Redis(clientOptions), 'command');
    this.sub = this.connectClient(new Redis(clientOptions), 'subscriber');
    this.sub.on('pmessage', (_pattern: string, channel: string) => {
      this.dirty.add(channel.slice(this.channelPrefix.length));
      this.sync.trigger();
    });
    const first = new Promise<void>((resolve) => (this.resolveStart = resolve));
    void this.cmd.connect().catch(() => undefined);
    void this.sub.connect().catch(() => undefined);
    await first;
    this.heartbeatTimer = setInterval(() => this.heartbeat(), this.options.heartbeatMs ?? 5_000);
    this.heartbeatTimer.unref();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.emit = undefined;
    if (this.retryTimer) clearTimeout(this.retryTimer);
    if (this.pollTimer) clearInterval(this.pollTimer);
    if (this.heartbeatTimer) clearInterval(this.heartbeatTimer);
    this.resolveStart?.();
    await this.sync?.stop();
    await Promise.all([this.cmd, this.sub].map((c) => (c ? closeClient(c) : undefined)));
  }

  private clientOptions(): RedisOptions {
    const o = this.options;
    const tls = o.tls ? loadTls('redis', o.tls) : undefined;
    const retryStrategy = (times: number): number => backoffDelay(times, o.reconnect ?? DEFAULT_BACKOFF);
    const common: RedisOptions = {
      lazyConnect: true,
      // Fail commands at once while disconnected: the reconnect re-reads everything anyway.
      enableOfflineQueue: false,
      maxRetriesPerRequest: 0,
      // We subscribe ourselves, before the full read, so no change falls between the two.
      autoResubscribe: false,
      retryStrategy,
      connectTimeout: 5_000,
      keepAlive: 10_000,
      db: o.db ?? 0,
      ...(o.username !== undefined ? { username: o.username } : {}),
      ...(o.password !== undefined ? { password: o.password } : {}),
      ...(tls
        ? { tls: { ...(tls.ca ? { ca: tls.ca } : {}), ...(tls.cert ? { cert: tls.cert } : {}), ...(tls.key ? { key: tls.key } : {}), rejectUnauthorized: !tls.insecureSkipVerify } }
        : {}),
    };
    if (o.sentinel) {
      return {
        ...common,
        sentinels: o.endpoints.map(hostPort),
        name: o.sentinel.masterName,
        sentinelRetryStrategy: retryStrategy,
        ...(o.sentinel.username !== undefined ? { sentinelUsername: o.sentinel.username } : {}),
        ...(o.sentinel.password !== undefined ? { sentinelPassword: o.sentinel.password } : {}),
        ...(tls ? { enableTLSForSentinelMode: true } : {}),
      };
    }
    return { ...common, ...hostPort(o.endpoints[0]!) };
  }

  private connectClient(client: Redis, role: string): Redis {
    client.on('error', (err: Error) => {
      this.lastError = err.message;
      if (!this.started) this.startUnreachable();
    });
    client.on('close', () => {
      if (this.stopped) return;
      this.needsSetup = true;
      this.needsFull = true;
      this.health.down(this.lastError || `${role} connection closed`);
    });
    client.on('ready', () => {
      if (this.stopped) return;
      this.lastError = '';
      this.needsSetup = true;
      this.needsFull = true;
      this.forceEmit = true;
      this.sync.trigger(0);
    });
    return client;
  }

  /** Redis cannot be reached at start: go live without its routes, and keep trying. */
  private startUnreachable(): void {
    if (this.started) return;
    this.started = true;
    this.health.down(this.lastError);
    const error: ConfigError = {
      provider: this.name,
      item: this.source,
      field: '',
      message: `unreachable (${this.lastError}); its routes appear as soon as it answers`,
    };
    this.emit?.({ provider: this.name, config: {}, origins: {}, errors: [error] });
    this.resolveStart?.();
  }

  private ready(): boolean {
    return this.cmd?.status === 'ready' && this.sub?.status === 'ready';
  }

  /** One serialised step: set up, full read or read the notified keys, then emit if changed. */
  private async runSync(): Promise<void> {
    if (this.stopped || !this.ready()) return;
    try {
      let full = false;
      if (this.needsSetup) {
        await this.setUpNotifications();
        this.needsSetup = false;
        this.needsFull = true;
      }
      if (this.needsFull) {
        this.dirty.clear();
        await this.readAll();
        this.needsFull = false;
        full = true;
      } else if (this.dirty.size > 0) {
        const keys = [...this.dirty];
        this.dirty.clear();
        try {
          await this.readKeys(keys);
        } catch (err) {
          for (const k of keys) this.dirty.add(k);
          throw err;
        }
      }
      this.failures = 0;
      if (full) this.health.up(`re-read ${this.mirror.size} keys under ${this.options.rootKey}/`);
      const snapshot = this.mirror.takeSnapshot(full && this.forceEmit);
      if (full) this.forceEmit = false;
      this.started = true;
      if (snapshot) this.emit?.(snapshot);
      this.resolveStart?.();
    } catch (err) {
      if (this.stopped) return;
      // A dropped connection is handled by its 'close'/'ready' events; anything else (a refused
      // SCAN, a timeout) is retried with backoff so the provider never silently stops.
      if (!this.ready()) return;
      this.failures++;
      this.log.error({ err: (err as Error).message, attempt: this.failures }, 'reading the tree from redis failed; retrying');
      if (this.retryTimer) clearTimeout(this.retryTimer);
      this.retryTimer = setTimeout(() => this.sync.trigger(), backoffDelay(this.failures, this.options.reconnect ?? DEFAULT_BACKOFF));
    }
  }

  /**
   * Subscribes to the keyspace channel of every key under the root, and makes sure the server
   * publishes those events (adding only the flags it lacks to notify-keyspace-events).
   */
  private async setUpNotifications(): Promise<void> {
    await this.sub!.psubscribe(`${this.channelPrefix}${this.pattern}`);
    let mode: Mode;
    let reason = '';
    try {
      const reply = (await this.cmd!.config('GET', 'notify-keyspace-events')) as unknown as string[];
      const current = reply[1] ?? '';
      const missing = missingNotifyFlags(current);
      if (missing) await this.cmd!.config('SET', 'notify-keyspace-events', current + missing);
      mode = 'notify';
    } catch (err) {
      if ((err as Error).name !== 'ReplyError') throw err;
      mode = 'poll';
      reason = (err as Error).message;
    }
    this.setMode(mode, reason);
  }

  private setMode(mode: Mode, reason: string): void {
    if (mode === this.mode) return;
    this.mode = mode;
    if (mode === 'poll') {
      const every = this.options.pollIntervalMs ?? 1_000;
      this.log.warn(
        { reason, pollIntervalMs: every },
        `redis refused CONFIG (${reason}), so keyspace notifications cannot be enabled; re-reading the tree every ${every} ms instead. ` +
          'Set notify-keyspace-events to include K$gxe on the server for millisecond updates',
      );
      this.pollTimer = setInterval(() => {
        this.needsFull = true;
        this.sync.trigger();
      }, every);
      this.pollTimer.unref();
    } else {
      if (this.pollTimer) {
        clearInterval(this.pollTimer);
        this.pollTimer = undefined;
        this.log.info('redis keyspace notifications are enabled now; polling stopped');
      }
    }
  }

  /** SCAN the root, each page's MGET sent right away (pipelined behind the next SCAN). */
  private async readAll(): Promise<void> {
    const started = performance.now();
    const cmd = this.cmd!;
    const next = new Map<string, string>();
    const reads: Array<Promise<void>> = [];
    let cursor = '0';
    let commands = 0;
    do {
      const [nextCursor, keys] = await cmd.scan(cursor, 'MATCH', this.pattern, 'COUNT', this.options.scanCount ?? 1000);
      commands++;
      cursor = nextCursor;
      if (keys.length > 0) {
        commands++;
        const read = cmd.mget(...keys).then((values) => {
          values.forEach((v, i) => {
            if (v !== null) next.set(keys[i]!, v);
          });
        });
        read.catch(() => undefined);
        reads.push(read);
      }
    } while (cursor !== '0');
    await Promise.all(reads);
    this.mirror.replace(next);
    this.lastFullRead = { keys: next.size, commands, ms: Math.round((performance.now() - started) * 100) / 100 };
    this.log.debug(this.lastFullRead, 'read the whole tree from redis');
  }

  /** Reads the keys notifications named; a missing key (deleted, expired, evicted) is removed. */
  private async readKeys(keys: string[]): Promise<void> {
    const chunks: string[][] = [];
    for (let i = 0; i < keys.length; i += MGET_CHUNK) chunks.push(keys.slice(i, i + MGET_CHUNK));
    const results = await Promise.all(chunks.map((c) => this.cmd!.mget(...c)));
    chunks.forEach((chunk, c) => {
      chunk.forEach((key, i) => {
        const v = results[c]![i];
        if (v === null || v === undefined) this.mirror.delete(key);
        else this.mirror.set(key, v);
      });
    });
  }

  /** A half-open TCP connection never reports an error: ping, and reconnect the one that is silent. */
  private heartbeat(): void {
    if (this.stopped || !this.ready()) return;
    for (const client of [this.cmd!, this.sub!]) {
      const timeout = new Promise<'timeout'>((resolve) => setTimeout(resolve, 3_000, 'timeout').unref());
      void Promise.race([client.ping().catch(() => 'error'), timeout]).then((r) => {
        if (r === 'timeout' && !this.stopped && client.status === 'ready') {
          this.lastError = 'no answer to PING within 3 s';
          client.disconnect(true);
        }
      });
    }
  }
}

function hostPort(endpoint: string): { host: string; port: number } {
  const m = /^(?:\[([^\]]+)\]|([^:]+)):(\d+)$/.exec(endpoint);
  if (!m) throw new Error(`invalid redis endpoint ${JSON.stringify(endpoint)}; expected host:port`);
  return { host: m[1] ?? m[2]!, port: Number(m[3]) };
}

async function closeClient(client: Redis): Promise<void> {
  if (client.status === 'end') return;
  const ended = new Promise<void>((resolve) => client.once('end', () => resolve()));
  client.disconnect(false);
  await Promise.race([ended, new Promise((r) => setTimeout(r, 1_000).unref())]);
}
