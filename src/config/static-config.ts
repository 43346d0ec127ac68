import { z } from 'zod';
import { parseListenAddress } from './address.js';
import { duration } from './zod-helpers.js';
import { createIpMatcher } from '../rules/ip-match.js';
import { parseRule } from '../rules/index.js';

const address = z.string().superRefine((v, ctx) => {
  if (!parseListenAddress(v)) {
    ctx.addIssue({ code: 'custom', message: `expected host:port such as 127.0.0.1:8080, [::1]:8080 or :8080, got ${JSON.stringify(v)}` });
  }
});

const trustedIPs = z.array(z.string()).superRefine((list, ctx) => {
  list.forEach((entry, i) => {
    try {
      createIpMatcher([entry]);
    } catch {
      ctx.addIssue({ code: 'custom', path: [i], message: `expected an IP address or CIDR such as 10.0.0.0/8, got ${JSON.stringify(entry)}` });
    }
  });
});

const logLevel = z.enum(['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent']);

const entryPoint = z.strictObject({
  address,
  forwardedHeaders: z
    .strictObject({
      trustedIPs: trustedIPs.default([]),
      /** Trust every peer's forwarded headers (Traefik's `insecure`). */
      insecure: z.boolean().default(false),
    })
    .prefault({}),
  transport: z
    .strictObject({
      respondingTimeouts: z
        .strictObject({
          /** Client keep-alive idle time (Traefik default 180s). */
          idleTimeout: duration(180_000),
          /** Time allowed to receive a request's headers. */
          readHeaderTimeout: duration(60_000),
        })
        .prefault({}),
      lifeCycle: z
        .strictObject({ graceTimeout: duration(10_000) })
        .prefault({}),
    })
    .prefault({}),
});

const fileProvider = z
  .strictObject({
    directory: z.string().min(1).optional(),
    filename: z.string().min(1).optional(),
    watch: z.boolean().default(true),
  })
  .superRefine((v, ctx) => {
    if ((v.directory === undefined) === (v.filename === undefined)) {
      ctx.addIssue({ code: 'custom', message: 'set exactly one of directory (a folder of .yaml/.yml/.json files) or filename (one file)' });
    }
  });

// Redis and etcd providers (Traefik's KV options). Endpoints are host:port; etcd also takes a URL.
const hostPort = /^(?:\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9._-]+):(\d{1,5})$/;
const kvEndpoint = (example: string, urls: boolean) =>
  z.string().superRefine((v, ctx) => {
    const bare = urls ? v.replace(/^https?:\/\//, '') : v;
    const m = hostPort.exec(bare);
    if (!m || Number(m[1]) < 1 || Number(m[1]) > 65535) {
      ctx.addIssue({ code: 'custom', message: `expected host:port such as ${example}${urls ? ` (or http://${example})` : ''}, got ${JSON.stringify(v)}` });
    }
  });

const rootKey = () =>
  z
    .string()
    .default('switchyard')
    .transform((v) => v.replace(/\/+$/, ''))
    .pipe(z.string().min(1, 'rootKey must name the key prefix Switchyard reads, such as switchyard or traefik'));

// The Redis, etcd and Docker schemas are built on first use (z.lazy): a config names one or two
// providers, and building all of them cost start-up time (bench/RESULTS.md, "Start-up: code cache").
const kvTls = () =>
  z
    .strictObject({
      ca: z.string().min(1).optional(),
      cert: z.string().min(1).optional(),
      key: z.string().min(1).optional(),
      insecureSkipVerify: z.boolean().default(false),
    })
    .superRefine((v, ctx) => {
      if ((v.cert === undefined) !== (v.key === undefined)) {
        ctx.addIssue({ code: 'custom', message: 'a client certificate needs both cert and key (PEM file paths)' });
      }
    });

const redisProvider = z.lazy(() =>
  z
    .strictObject({
      endpoints: z.array(kvEndpoint('127.0.0.1:6379', false)).min(1, 'give at least one endpoint, such as 127.0.0.1:6379').default(['127.0.0.1:6379']),
      rootKey: rootKey(),
      username: z.string().min(1).optional(),
      password: z.string().optional(),
      db: z.number().int().min(0, 'db is a Redis database number: 0, 1, …').default(0),
      tls: kvTls().optional(),
      sentinel: z
        .strictObject({
          masterName: z.string().min(1, 'sentinel.masterName names the monitored master, e.g. mymaster'),
          username: z.string().min(1).optional(),
          password: z.string().optional(),
        })
        .optional(),
      /** Full re-read interval, used only when the server refuses CONFIG (no keyspace notifications). */
      pollInterval: duration(1_000).refine((ms) => ms >= 10, 'pollInterval must be at least 10ms'),
    })
    .superRefine((v, ctx) => {
      if (!v.sentinel && v.endpoints.length !== 1) {
        ctx.addIssue({
          code: 'custom',
          path: ['endpoints'],
          message: 'without sentinel, give exactly one endpoint (Redis Cluster is not supported); several endpoints are sentinels and need sentinel.masterName',
        });
      }
    }),
);

const etcdProvider = z.lazy(() =>
  z
    .strictObject({
      endpoints: z.array(kvEndpoint('127.0.0.1:2379', true)).min(1, 'give at least one endpoint, such as 127.0.0.1:2379').default(['127.0.0.1:2379']),
      rootKey: rootKey(),
      username: z.string().min(1).optional(),
      password: z.string().optional(),
      tls: kvTls()
        .refine((t) => !t.insecureSkipVerify, 'insecureSkipVerify is not supported for etcd (gRPC); give the server\'s CA as tls.ca')
        .optional(),
    })
    .superRefine((v, ctx) => {
      if (v.password !== undefined && v.username === undefined) {
        ctx.addIssue({ code: 'custom', path: ['username'], message: 'a password needs a username' });
      }
    }),
);

// Docker provider (Traefik's options). Containers are routed by their labels.
const dockerProvider = z.lazy(() =>
  z.strictObject({
    endpoint: z
      .string()
      .default('unix:///var/run/docker.sock')
      .superRefine((v, ctx) => {
        const tcp = /^tcp:\/\/(?:\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9.-]+):(\d{1,5})\/?$/.exec(v);
        if (!/^unix:\/\/\/./.test(v) && !(tcp && Number(tcp[1]) >= 1 && Number(tcp[1]) <= 65535)) {
          ctx.addIssue({ code: 'custom', message: `expected unix:///path/to/docker.sock or tcp://host:port, got ${JSON.stringify(v)}` });
        }
      }),
    /** TLS for a tcp:// endpoint (PEM file paths), as for the KV providers. */
    tls: kvTls().optional(),
    /** Route every container unless it says `<labelPrefix>.enable=false` (Traefik's default). */
    exposedByDefault: z.boolean().default(true),
    /** Network whose address to use when a container is on several; '' = the first by name. */
    network: z.string().default(''),
    /** Rule of the router made for a container with no router label; {{name}} = the container name. */
    defaultRule: z
      .string()
      .default('Host(`{{name}}`)')
      .superRefine((v, ctx) => {
        const unknown = [...v.matchAll(/\{\{\s*([^}]*?)\s*\}\}/g)].find((m) => m[1] !== 'name');
        if (unknown) {
          ctx.addIssue({ code: 'custom', message: `unknown placeholder ${unknown[0]}; the only one is {{name}} (the container name, normalized)` });
          return;
        }
        try {
          parseRule(v.replace(/\{\{\s*name\s*\}\}/g, 'name'));
        } catch (err) {
          ctx.addIssue({ code: 'custom', message: `not a valid rule: ${(err as Error).message}` });
        }
      }),
    /** Labels read: `<labelPrefix>.http.routers.…`; `traefik` reads existing Traefik labels. */
    labelPrefix: z
      .string()
      .default('switchyard')
      .pipe(z.string().regex(/^[A-Za-z0-9_-]+(?:\.[A-Za-z0-9_-]+)*$/, 'labelPrefix is a label key prefix such as switchyard or traefik')),
  }),
);

export const staticConfigSchema = z.strictObject({
  entryPoints: z
    .record(z.string().regex(/^[A-Za-z0-9_-]+$/, 'entry point names use letters, digits, - and _'), entryPoint)
    .refine((r) => Object.keys(r).length > 0, 'define at least one entry point, e.g. web: {address: 127.0.0.1:8080}'),
  providers: z
    .strictObject({
      file: fileProvider.optional(),
      redis: redisProvider.optional(),
      etcd: etcdProvider.optional(),
      // `docker:` alone (YAML null) means every default, as in Traefik.
      docker: z.preprocess((v) => (v === null ? {} : v), dockerProvider).optional(),
      /** Coalesce bursts of provider updates into one rebuild. */
      debounce: duration(10),
    })
    .prefault({}),
  api: z.strictObject({ address }).optional(),
  log: z.strictObject({ level: logLevel.default('info') }).prefault({}),
  /** One line per request (Traefik's accessLog); absent = none. `accessLog:` alone = every default. */
  accessLog: z
    .preprocess(
      (v) => (v === null ? {} : v),
      z.strictObject({
        /** Appended to; relative to the config's folder. Absent = stdout. */
        filePath: z.string().min(1).optional(),
        format: z.enum(['common', 'json']).default('common'),
        /** Lines held before one write; 0 = a write per line. */
        bufferingSize: z.number().int().min(0).default(100),
      }),
    )
    .optional(),
  serversTransport: z
    .strictObject({
      forwardingTimeouts: z
        .strictObject({
          dialTimeout: duration(30_000),
          /** 0 = wait for response headers forever (Traefik's default). */
          responseHeaderTimeout: duration(0),
          idleConnTimeout: duration(90_000),
        })
        .prefault({}),
      maxIdleConnsPerHost: z.number().int().min(0).default(200),
    })
    .prefault({}),
  /**
   * Processes that serve traffic: 1 = this process does everything; `auto` = one per CPU
   * (nginx's `worker_processes auto`); N = exactly N. With more than one, this process runs the
   * providers, health checks and the API, and ships each config to the workers (src/cluster/).
   */
  workers: z
    .union([z.literal('auto'), z.number().int().min(1, 'workers is auto or a number of processes, at least 1').max(256, 'workers above 256 is surely a typo')])
    .default(1),
});

export type StaticConfig = z.output<typeof staticConfigSchema>;
export type EntryPointConfig = StaticConfig['entryPoints'][string];
export type FileProviderConfig = NonNullable<StaticConfig['providers']['file']>;
export type RedisProviderConfig = NonNullable<StaticConfig['providers']['redis']>;
export type EtcdProviderConfig = NonNullable<StaticConfig['providers']['etcd']>;
export type DockerProviderConfig = NonNullable<StaticConfig['providers']['docker']>;
export type LogLevel = z.output<typeof logLevel>;
