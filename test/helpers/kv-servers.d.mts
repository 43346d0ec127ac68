/** Types for kv-servers.mjs (plain JavaScript, shared with bench/providers.mjs). */

/** Absolute path of a binary on PATH; throws an error saying how to install it when missing. */
export function requireBinary(name: 'redis-server' | 'etcd'): string;
/** A loopback port that was free a moment ago. */
export function freePort(): Promise<number>;
/** One RESP command over a fresh connection; the raw reply. */
export function redisCommand(port: number, args: Array<string | number>): Promise<string>;

export interface RedisServer {
  readonly port: number;
  /** `127.0.0.1:PORT` */
  readonly endpoint: string;
  readonly dir: string;
  start(): Promise<void>;
  /** SIGTERM and wait for the exit; the folder stays for start(). */
  stop(): Promise<void>;
  /** Same port; the same data, or only `data` (loaded from an RDB before it accepts clients). */
  restart(data?: Record<string, string>): Promise<void>;
  destroy(): Promise<void>;
}

export interface EtcdServer {
  readonly clientPort: number;
  readonly peerPort: number;
  /** `127.0.0.1:PORT` */
  readonly endpoint: string;
  /** `http://127.0.0.1:PORT` */
  readonly url: string;
  readonly dataDir: string;
  start(): Promise<void>;
  stop(): Promise<void>;
  /** Same ports; the same data, or a new cluster holding only `data`, written before it serves clients. */
  restart(data?: Record<string, string>): Promise<void>;
  put(data: Record<string, string>): Promise<void>;
  /** gRPC calls of `method` the server has started (from /metrics). */
  grpcCalls(method: string): Promise<number>;
  destroy(): Promise<void>;
}

export function startRedis(options?: { extraArgs?: string[] }): Promise<RedisServer>;
/** A Redis Sentinel watching `master` under `masterName` (default mymaster). */
export function startRedisSentinel(master: RedisServer, masterName?: string): Promise<{ port: number; endpoint: string; destroy(): Promise<void> }>;
export function startEtcd(): Promise<EtcdServer>;
