import { z } from 'zod';
import { parseListenAddress } from './address.js';
import { duration } from './zod-helpers.js';
import { createIpMatcher } from '../rules/ip-match.js';

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

export const staticConfigSchema = z.strictObject({
  entryPoints: z
    .record(z.string().regex(/^[A-Za-z0-9_-]+$/, 'entry point names use letters, digits, - and _'), entryPoint)
    .refine((r) => Object.keys(r).length > 0, 'define at least one entry point, e.g. web: {address: 127.0.0.1:8080}'),
  providers: z
    .strictObject({
      file: fileProvider.optional(),
      /** Coalesce bursts of provider updates into one rebuild. */
      debounce: duration(10),
    })
    .prefault({}),
  api: z.strictObject({ address }).optional(),
  log: z.strictObject({ level: logLevel.default('info') }).prefault({}),
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
});

export type StaticConfig = z.output<typeof staticConfigSchema>;
export type EntryPointConfig = StaticConfig['entryPoints'][string];
export type FileProviderConfig = NonNullable<StaticConfig['providers']['file']>;
export type LogLevel = z.output<typeof logLevel>;
