import { describe, expect, it } from 'vitest';
import { rng } from '../../helpers/rng.js';
import type { z } from 'zod';
import { compiledItemSchemas, routerSchema, serviceSchema } from '../../../src/config/dynamic-schema.js';
import { validateSnapshots } from '../../../src/config/validate.js';

// Validation parses items with z.compile'd schemas (zod's generated fast path, falling back to
// zod's own parser for anything it does not accept). These cases hold it to zod's runtime
// parser: the same items accepted, the same output, the same issues for every malformed item.


const ABSENT = Symbol('absent');
const GOOD = Symbol('the values before are well-formed');
type Choices = Record<string, readonly unknown[]>;

/**
 * An object with each field drawn from its choices (ABSENT leaves the key out), sometimes with an
 * extra key. Choices list the well-formed values first (up to the GOOD marker), drawn 9 times in
 * 10, so that whole items are often valid and the outputs get compared too.
 */
function draw(random: () => number, choices: Choices, extra = 0.03): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [key, all] of Object.entries(choices)) {
    const cut = all.indexOf(GOOD);
    const values = cut < 0 ? all : random() < 0.9 ? all.slice(0, cut) : all.slice(cut + 1);
    const v = values[Math.floor(random() * values.length)];
    if (v !== ABSENT) out[key] = typeof v === 'function' ? (v as (r: () => number) => unknown)(random) : v;
  }
  if (random() < extra) out[random() < 0.5 ? 'Rule' : 'unknownField'] = 'x';
  return out;
}

const A = ABSENT;
const G = GOOD;
const ints = [A, A, 0, 1, 7, '3', ' 4 ', 100, G, -1, 1.5, '-2', 'x', '', true, null, Number.NaN, 2 ** 53, 65536, 100, 101, 599, 600];
const bools = [A, A, true, false, 'true', 'false', G, 'yes', 1, null];
const durations = [A, A, '2s', '500ms', '1m30s', 250, '10', '5ms', G, 0, -5, '', 'soon', null, {}];
const strings = [A, 'abc', ' padded ', G, '', 42, null];

const serverChoices: Choices = {
  url: ['http://10.0.0.1:8080', 'https://b.example/api', 'http://[::1]:9000', G, 'ftp://x', 'nope', 'http://u:p@h', 'http://h/?q', '', 7, A],
  weight: ints,
};

const routerChoices: Choices = {
  entryPoints: [A, A, [], ['web'], ['web', 'admin'], G, [''], 'web', [1], null],
  rule: ['Host(`a.example`)', ' Path(`/x`) ', 'Host(`', G, '', '   ', 5, A, null],
  priority: ints,
  service: ['app', ' app ', 'x@redis', G, '', 3, A],
};

const serviceChoices = (random: () => number): unknown => {
  if (random() < 0.03) return [null, 'str', [], {}, { loadBalancer: null }][Math.floor(random() * 5)];
  const lb = draw(random, {
    strategy: [A, A, 'roundRobin', 'wrr', 'leastConn', 'p2c', 'hrw', G, 'bogus', 3],
    servers: [A, [], (r: () => number) => Array.from({ length: 1 + Math.floor(r() * 3) }, () => draw(r, serverChoices)), G, 'http://a', [null]],
    sticky: [A, A, A, {}, (r: () => number) => ({ cookie: draw(r, { name: [A, 'sid', G, 'bad name', ''], httpOnly: bools, secure: bools, sameSite: [A, 'Lax', 'strict', 'none', '', G, 'weird'], maxAge: ints, path: [A, '/', '/app', G, 'app'], domain: strings }) })],
    passHostHeader: bools,
    healthCheck: [A, A, A, (r: () => number) => draw(r, { mode: [A, 'http', 'TCP', G, 'udp'], path: [A, '/health', G, 'health'], method: [A, 'get', 'HEAD', G, 'G3T'], port: ints, interval: durations, unhealthyInterval: durations, timeout: durations, status: ints, hostname: strings, headers: [A, {}, { 'X-Check': 'a', N: 5 }, G, { 'bad header': 'x' }, { X: true }], unhealthyThreshold: ints, healthyThreshold: ints })],
    passiveHealthCheck: [A, A, A, (r: () => number) => draw(r, { maxFailures: ints, failureWindow: durations, ejectFor: durations })],
    retries: ints,
    retryBodyLimit: ints,
    slowStart: durations,
    panicThreshold: ints,
  });
  return random() < 0.03 ? { loadBalancer: lb, extra: 1 } : { loadBalancer: lb };
};

function same(schema: z.ZodType, compiled: z.ZodType, item: unknown): boolean {
  const want = schema.safeParse(item);
  const got = compiled.safeParse(item);
  expect(got.success).toBe(want.success);
  if (want.success) expect(got.data).toStrictEqual(want.data);
  else expect(got.error!.issues).toStrictEqual(want.error.issues);
  return want.success;
}

describe('compiled item schemas', () => {
  const { router, service } = compiledItemSchemas();

  it('is made once', () => {
    expect(compiledItemSchemas().router).toBe(router);
  });

  it('accepts exactly the routers zod accepts, with the same output and the same issues', () => {
    const random = rng(1);
    let accepted = 0;
    for (let i = 0; i < 3000; i++) if (same(routerSchema, router, random() < 0.02 ? [null, 'x', [], 5][i % 4] : draw(random, routerChoices))) accepted++;
    // Both kinds are well represented (about 1,900 and 800 of 3,000 accepted).
    expect(accepted).toBeGreaterThan(1000);
    expect(accepted).toBeLessThan(2900);
  });

  it('accepts exactly the services zod accepts, with the same output and the same issues', () => {
    const random = rng(2);
    let accepted = 0;
    for (let i = 0; i < 3000; i++) if (same(serviceSchema, service, serviceChoices(random))) accepted++;
    expect(accepted).toBeGreaterThan(500);
    expect(accepted).toBeLessThan(2900);
  });

  it('gives the common shapes the same output as zod', () => {
    for (const item of [
      { rule: 'Host(`h1.example.com`) && PathPrefix(`/api`)', service: 's1' },
      { entryPoints: ['web'], rule: 'Host(`a`)', priority: '10', service: 'app@redis' },
    ]) expect(same(routerSchema, router, item)).toBe(true);
    for (const item of [
      { loadBalancer: { servers: [{ url: 'http://10.1.0.7:8080' }] } },
      { loadBalancer: { strategy: 'wrr', servers: [{ url: 'http://a:1', weight: '3' }, { url: 'http://b:1', weight: 0 }], passHostHeader: 'false', healthCheck: { path: '/h', interval: '5s' }, sticky: { cookie: {} } } },
    ]) expect(same(serviceSchema, service, item)).toBe(true);
  });

  it('leaves every validation error as zod words it (provider, item, field, message)', () => {
    const r = validateSnapshots(
      [{ provider: 'file', config: { http: {
        routers: { a: { rule: 'Host(`a`)', service: 's', priority: -1 }, b: { rule: '', service: 's', extra: 1 } },
        services: { s: { loadBalancer: { servers: [{ url: 'ftp://x', weight: 'many' }] } } },
      } } }],
      { entryPoints: ['web'] },
    );
    const issues = (schema: z.ZodType, item: unknown) => schema.safeParse(item).error!.issues.map((i) => i.message);
    const messages = (item: string) => r.errors.filter((e) => e.item === item).map((e) => [e.provider, e.field, e.message]);
    expect(messages('router a@file')).toEqual([['file', 'priority', issues(routerSchema, { rule: 'Host(`a`)', service: 's', priority: -1 })[0]]]);
    expect(messages('router b@file')).toEqual([
      ['file', 'rule', 'a router needs a rule, e.g. Host(`app.localhost`)'],
      ['file', '', 'unknown field "extra"; check the spelling (names are case-sensitive, e.g. loadBalancer, passHostHeader)'],
    ]);
    expect(messages('service s@file')).toEqual([
      ['file', 'loadBalancer.servers[0].url', 'expected an http:// or https:// URL, got "ftp://x" (WebSockets are proxied over http:// servers)'],
      ['file', 'loadBalancer.servers[0].weight', issues(serviceSchema, { loadBalancer: { servers: [{ url: 'http://a:1', weight: 'many' }] } })[0]],
    ]);
  });
});
