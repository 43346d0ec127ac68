import type { StickyCookieOptions } from '../balancer/sticky-cookie.js';
import type { StrategyName } from '../balancer/types.js';

/**
 * The dynamic configuration: plain data, Traefik's model. Providers produce `RawDynamicConfig`
 * (whatever their source said); validation turns each item into the typed form below.
 * Inside the merged config every name is qualified `name@provider`.
 */
export interface DynamicConfig {
  http: HttpConfig;
}

/**
 * Maps by qualified name, not records: a record of 10,000 items is a dictionary-mode object,
 * where every new key (a fresh `name@provider` string) costs a string-table lookup and every
 * walk sorts the keys; with Maps a 10,000-router first load took 120 ms instead of 135 in a
 * scratch harness (bench/RESULTS.md, "Cold load, third pass").
 */
export interface HttpConfig {
  readonly routers: ReadonlyMap<string, RouterConfig>;
  readonly services: ReadonlyMap<string, ServiceConfig>;
}

/** A config with no routers and no services. */
export function emptyConfig(): DynamicConfig {
  return { http: { routers: new Map(), services: new Map() } };
}

export interface RouterConfig {
  /** Entry point names; empty = every HTTP entry point. */
  entryPoints: string[];
  rule: string;
  /** 0 = use the rule's length (Traefik's default); higher wins. */
  priority: number;
  /** Qualified service name (`app@file`). */
  service: string;
}

export interface ServiceConfig {
  loadBalancer: LoadBalancerConfig;
}

export interface LoadBalancerConfig {
  strategy: StrategyName;
  servers: ServerConfig[];
  sticky?: { cookie?: StickyCookieConfig };
  passHostHeader: boolean;
  healthCheck?: HealthCheckConfig;
  passiveHealthCheck?: PassiveHealthCheckConfig;
  /** Extra attempts on other servers after a connect failure or a reset before any response byte. */
  retries: number;
  /** Request bodies up to this many bytes are buffered so the request can be retried. */
  retryBodyLimit: number;
  /** ms over which a server that comes up ramps its share linearly; 0 = off. */
  slowStart: number;
  /** Percent of servers that must be available; below it, balance over all (Envoy's panic mode). 0 = off. */
  panicThreshold: number;
}

/** Active health check (times in ms). */
export interface HealthCheckConfig {
  mode: 'http' | 'tcp';
  path: string;
  method: string;
  /** Overrides the server URL's port. */
  port?: number;
  interval: number;
  unhealthyInterval: number;
  timeout: number;
  /** Expected status; undefined = any 2xx or 3xx. */
  status?: number;
  hostname?: string;
  headers: Record<string, string>;
  unhealthyThreshold: number;
  healthyThreshold: number;
}

/** Passive health: real traffic's failures eject a server for a while (times in ms). */
export interface PassiveHealthCheckConfig {
  maxFailures: number;
  failureWindow: number;
  ejectFor: number;
}

export interface ServerConfig {
  url: string;
  /** Default 1; 0 = takes no new requests. */
  weight: number;
}

/** Cookie stickiness: exactly what the balancer's StickyCookie takes. */
export type StickyCookieConfig = StickyCookieOptions;

/** What a provider emits: unvalidated items from its source. */
export interface RawDynamicConfig {
  http?: {
    routers?: Record<string, unknown>;
    services?: Record<string, unknown>;
  };
}

/**
 * Dotted item path (`http.routers.app`, `http.services.app.loadBalancer.servers.0.url`) → where
 * it came from (`dynamic/app.yaml:12:7`, or a KV key): a record, or anything with `get`
 * (a Map; the file provider's thread sends OriginTable, which decodes field paths only when an
 * error asks for one).
 */
export type Origins = Readonly<Record<string, string>> | OriginLookup;

export interface OriginLookup {
  get(path: string): string | undefined;
}

/** One provider's full view of its source; `origins` lets errors point at the exact place. */
export interface ProviderSnapshot {
  provider: string;
  config: RawDynamicConfig;
  origins?: Origins;
  /** Source-level problems (a file that does not parse); the provider kept its last good data. */
  errors?: ConfigError[];
}

/** One problem with the configuration, precise enough for a user to fix it. */
export interface ConfigError {
  provider: string;
  /** `router app@file`, `service web@redis`, or a source like a file path. */
  item: string;
  /** Dotted field path inside the item, e.g. `loadBalancer.servers[0].url`; '' for the whole item. */
  field: string;
  message: string;
  /** Source location (`dynamic/app.yaml:12:7`), when known. */
  origin?: string;
}

export type ItemStatus = 'enabled' | 'disabled';

/** The merged, validated config plus everything that was wrong with it. */
export interface ValidatedConfig {
  config: DynamicConfig;
  /** Raw-but-qualified view, for /api/rawdata: every item including the dropped ones. */
  status: {
    readonly routers: ReadonlyMap<string, ItemReport>;
    readonly services: ReadonlyMap<string, ItemReport>;
  };
  errors: ConfigError[];
}

/** No routers and no services to report: before the first config, and in a worker (whose status stays in the primary). */
export function emptyStatus(): ValidatedConfig['status'] {
  return { routers: new Map(), services: new Map() };
}

export interface ItemReport {
  status: ItemStatus;
  provider: string;
  errors: string[];
  /** The item as the provider gave it (validated form when enabled). */
  config: unknown;
  origin?: string;
}

export function formatConfigError(e: ConfigError): string {
  const where = e.origin ? `${e.origin}: ` : '';
  const field = e.field ? ` ${e.field}:` : '';
  // A whole-file error's item is the file itself, which the origin already names.
  if (e.origin?.startsWith(`${e.item}:`)) return `${where}${e.field ? `${e.field}: ` : ''}${e.message}`;
  return `${where}${e.item}:${field} ${e.message}`;
}
