import { createHash } from 'node:crypto';
import { z } from 'zod';
import { resolveStrategyName, strategyNames } from '../balancer/strategies.js';
import { runToEnd, type Steps } from '../time-slices.js';
import { duration } from './zod-helpers.js';

// KV stores and labels deliver every value as a string: accept numeric/boolean strings
// so every provider's items pass the same schema.
const int = (min: number) =>
  z.preprocess((v) => (typeof v === 'string' && /^-?\d+$/.test(v.trim()) ? Number(v) : v), z.number().int().min(min));
const bool = z.preprocess((v) => (v === 'true' ? true : v === 'false' ? false : v), z.boolean());
const stringList = z.array(z.string().min(1));

export const routerSchema = z.strictObject({
  entryPoints: stringList.default([]),
  rule: z.string().trim().min(1, 'a router needs a rule, e.g. Host(`app.localhost`)'),
  priority: int(0).default(0),
  service: z.string().trim().min(1, 'a router needs a service to send requests to'),
});

const serverSchema = z.strictObject({
  url: z.string().superRefine((v, ctx) => {
    const problem = serverUrlProblem(v);
    if (problem) ctx.addIssue({ code: 'custom', message: problem });
  }),
  weight: int(0).default(1),
});

const COOKIE_NAME = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;

const stickyCookieSchema = z.strictObject({
  name: z.string().regex(COOKIE_NAME, 'a cookie name is a token: letters, digits and !#$%&\'*+-.^_`|~').optional(),
  httpOnly: bool.default(true),
  secure: bool.default(false),
  sameSite: z
    .string()
    .transform((s) => s.toLowerCase())
    .pipe(z.enum(['lax', 'strict', 'none', ''], { message: 'expected lax, strict or none' }))
    .default(''),
  maxAge: int(-1).default(0),
  path: z.string().startsWith('/', 'a cookie path starts with /').default('/'),
  domain: z.string().min(1).optional(),
});

const strategy = z
  .string()
  .optional()
  .transform((v, ctx) => {
    if (v === undefined) return 'roundRobin' as const;
    const name = resolveStrategyName(v);
    if (!name) {
      ctx.addIssue({ code: 'custom', message: `unknown strategy ${JSON.stringify(v)}; expected one of ${strategyNames.join(', ')} (or wrr, hrw)` });
      return z.NEVER;
    }
    return name;
  });

const HEADER_NAME = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;

const healthCheckSchema = z
  .strictObject({
    mode: z
      .string()
      .transform((s) => s.toLowerCase())
      .pipe(z.enum(['http', 'tcp'], { message: 'expected http or tcp' }))
      .default('http'),
    path: z.string().startsWith('/', 'a health check path starts with /').default('/'),
    method: z
      .string()
      .regex(/^[A-Za-z]+$/, 'expected an HTTP method such as GET or HEAD')
      .transform((m) => m.toUpperCase())
      .default('GET'),
    port: int(1)
      .refine((p) => p <= 65535, 'a port is 1-65535')
      .optional(),
    interval: duration(10_000).refine((v) => v >= 10, 'an interval under 10ms would flood the server'),
    unhealthyInterval: duration(-1),
    timeout: duration(2_000).refine((v) => v > 0, 'a timeout must be positive'),
    status: int(100)
      .refine((v) => v <= 599, 'an HTTP status is 100-599')
      .optional(),
    hostname: z.string().min(1).optional(),
    headers: z
      .record(z.string().regex(HEADER_NAME, 'a header name is a token such as X-Check'), z.union([z.string(), z.number()]).transform(String))
      .default({}),
    unhealthyThreshold: int(1).default(1),
    healthyThreshold: int(1).default(1),
  })
  .transform((h) => ({ ...h, unhealthyInterval: h.unhealthyInterval < 0 ? h.interval : h.unhealthyInterval }));

const passiveHealthCheckSchema = z.strictObject({
  maxFailures: int(1).default(3),
  failureWindow: duration(10_000).refine((v) => v > 0, 'a failure window must be positive'),
  ejectFor: duration(30_000).refine((v) => v > 0, 'ejectFor must be positive'),
});

export const serviceSchema = z.strictObject({
  loadBalancer: z.strictObject({
    strategy,
    servers: z.array(serverSchema).default([]),
    sticky: z.strictObject({ cookie: stickyCookieSchema.optional() }).optional(),
    passHostHeader: bool.default(true),
    healthCheck: healthCheckSchema.optional(),
    passiveHealthCheck: passiveHealthCheckSchema.optional(),
    retries: int(0).default(1),
    retryBodyLimit: int(0).default(64 * 1024),
    slowStart: duration(0),
    panicThreshold: int(0)
      .refine((v) => v <= 100, 'panicThreshold is a percentage, 0-100')
      .default(0),
  }),
});

export type ParsedService = z.output<typeof serviceSchema>;
export type ParsedRouter = z.output<typeof routerSchema>;

let compiledRouter: typeof routerSchema | undefined;
let compiledService: typeof serviceSchema | undefined;
let compiled: { router: typeof routerSchema; service: typeof serviceSchema } | undefined;

/**
 * The item schemas through z.compile, made on first use: zod's generated code parses a
 * well-formed item several times faster, and any item it does not accept goes to zod's own
 * parser, so results and every error message are zod's (test/unit/config/compiled-schemas.test.ts).
 * Not at import: compiling costs ~8 ms that a run which never validates need not pay.
 */
export function compiledItemSchemas(): { router: typeof routerSchema; service: typeof serviceSchema } {
  if (!compiled) {
    runToEnd(compileItemSchemas());
    compiled = { router: compiledRouter!, service: compiledService! };
  }
  return compiled;
}

/**
 * Compiles what compiledItemSchemas() has not yet, one schema per step: at a process's first
 * validation the two take ~16 ms with cold code, which in one slice with the first items made
 * an event-loop block of over 20 ms (bench/RESULTS.md, "Longest event-loop block").
 */
export function* compileItemSchemas(): Steps<void> {
  if (!compiledService) {
    compiledService = z.compile(serviceSchema);
    yield;
  }
  if (!compiledRouter) {
    compiledRouter = z.compile(routerSchema);
    yield;
  }
}

const OCTET = '(?:25[0-5]|2[0-4]\\d|1\\d\\d|[1-9]?\\d)';
const PORT = '(?:\\d{1,4}|[0-5]\\d{4}|6[0-4]\\d{3}|65[0-4]\\d\\d|655[0-2]\\d|6553[0-5])';
/**
 * The usual server URL, `http(s)://host[:port][/path]`, that `new URL` certainly accepts with
 * nothing to object to: a dotted-quad IPv4 address or a name whose last label starts with a
 * letter (so it is not read as an IPv4 number), a port ≤ 65535, a path of unreserved
 * characters, no `xn--` label (IDNA checks those). Anything else goes through `new URL`
 * (test/unit/config/server-url.test.ts holds both equal).
 */
const PLAIN_SERVER_URL = new RegExp(`^(?!.*xn--)https?://(?:${OCTET}(?:\\.${OCTET}){3}|(?:[a-z0-9-]+\\.)*[a-z][a-z0-9-]*)(?::${PORT})?(?:/[a-z0-9._~/-]*)?$`, 'i');

/** What is wrong with a backend server URL, or undefined when it is usable. */
export function serverUrlProblem(text: string): string | undefined {
  // `new URL` per server was most of a 10,000-server load's service checks: the usual shape needs none.
  return PLAIN_SERVER_URL.test(text) ? undefined : serverUrlProblemOfURL(text);
}

/** serverUrlProblem by `new URL`, for any text. */
export function serverUrlProblemOfURL(text: string): string | undefined {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    return `expected an absolute URL such as http://127.0.0.1:9001, got ${JSON.stringify(text)}`;
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    return `expected an http:// or https:// URL, got ${JSON.stringify(text)} (WebSockets are proxied over http:// servers)`;
  }
  if (url.hostname === '') return `URL ${JSON.stringify(text)} has no host`;
  if (url.search || url.hash) return `URL ${JSON.stringify(text)} must not have a query or fragment`;
  if (url.username || url.password) return `URL ${JSON.stringify(text)} must not carry credentials`;
  return undefined;
}

/** Traefik-style default cookie name: short, stable per service, never the service name itself. */
export function defaultCookieName(service: string): string {
  return `_${createHash('sha1').update(service).digest('hex').slice(0, 6)}`;
}
