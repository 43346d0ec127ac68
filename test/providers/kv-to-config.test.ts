import { describe, expect, it } from 'vitest';
import { formatConfigError } from '../../src/config/dynamic-config.js';
import { validateSnapshots } from '../../src/config/validate.js';
import { KvMirror } from '../../providers/kv/kv-mirror.js';
import { kvToConfig, sortTokens } from '../../providers/kv/kv-to-config.js';
import { missingNotifyFlags } from '../../providers/redis/notify-flags.js';

const flatten = (entries: Record<string, string>, root = 'switchyard') => kvToConfig(Object.entries(entries), root, 'redis');
const validate = (entries: Record<string, string>) => {
  const { config, origins, errors } = flatten(entries);
  return validateSnapshots([{ provider: 'redis', config, origins, errors }], { entryPoints: ['web'] });
};

describe('KV keys → dynamic config', () => {
  it('builds the same shape a YAML file gives, in the schema casing, with names kept as written', () => {
    const { config, errors } = flatten({
      'switchyard/HTTP/Routers/MyApp/RULE': 'Host(`a`)',
      'switchyard/http/routers/MyApp/entrypoints/0': 'web',
      'switchyard/http/services/MyApp/loadbalancer/servers/0/url': 'http://127.0.0.1:1',
      'switchyard/http/services/MyApp/LOADBALANCER/PassHostHeader': 'false',
    });
    expect(errors).toEqual([]);
    expect(config).toEqual({
      http: {
        routers: { MyApp: { rule: 'Host(`a`)', entryPoints: ['web'] } },
        services: { MyApp: { loadBalancer: { servers: [{ url: 'http://127.0.0.1:1' }], passHostHeader: 'false' } } },
      },
    });
  });

  it('orders list tokens numerically when all are numbers, else by code point', () => {
    expect(sortTokens(['10', '2', '1', '007'])).toEqual(['1', '2', '007', '10']);
    expect(sortTokens(['99999999999999999999', '100000000000000000000'])).toEqual(['99999999999999999999', '100000000000000000000']);
    expect(sortTokens(['i-b', '10', 'i-a', '2'])).toEqual(['10', '2', 'i-a', 'i-b']);
    const { config } = flatten({
      'switchyard/http/services/a/loadBalancer/servers/10/url': 'http://h:10',
      'switchyard/http/services/a/loadBalancer/servers/9/url': 'http://h:9',
    });
    expect(config.http?.services?.['a']).toEqual({ loadBalancer: { servers: [{ url: 'http://h:9' }, { url: 'http://h:10' }] } });
  });

  it('maps every field to the key it came from, list positions included', () => {
    const { origins } = flatten({
      'switchyard/http/services/a/loadBalancer/servers/i-b/url': 'http://h:2',
      'switchyard/http/services/a/loadBalancer/servers/i-a/url': 'http://h:1',
    });
    expect(origins['http.services.a.loadBalancer.servers.0.url']).toBe('switchyard/http/services/a/loadBalancer/servers/i-a/url');
    expect(origins['http.services.a.loadBalancer.servers.1.url']).toBe('switchyard/http/services/a/loadBalancer/servers/i-b/url');
    expect(origins['http.services.a']).toBe('switchyard/http/services/a');
  });

  it('ignores keys outside the root, including roots that merely share a prefix', () => {
    const { config } = flatten({
      'switchyard2/http/services/x/loadBalancer/servers/0/url': 'http://h:1',
      'other/http/services/y/loadBalancer/servers/0/url': 'http://h:1',
      switchyard: 'a value on the root itself',
    });
    expect(config).toEqual({});
  });

  it('reports keys it cannot place, naming them, and keeps the rest', () => {
    const { config, errors } = flatten({
      'switchyard/http/routers/a/rule': 'Host(`a`)',
      'switchyard/http/routers/a/Rule': 'Host(`b`)',
      'switchyard/http//services/x': 'y',
      'switchyard/http/services/b/loadBalancer': 'oops',
      'switchyard/http/services/b/loadBalancer/servers/0/url': 'http://h:1',
    });
    const text = errors.map(formatConfigError);
    expect(text).toEqual([
      'key switchyard/http//services/x: has an empty path segment (a doubled or trailing /); ignored',
      'key switchyard/http/routers/a/rule: names the same field as key switchyard/http/routers/a/Rule (path segments are case-insensitive); using switchyard/http/routers/a/Rule',
      'key switchyard/http/services/b/loadBalancer: has a value and also keys below it; the value is ignored',
    ]);
    expect(config.http?.routers?.['a']).toEqual({ rule: 'Host(`b`)' });
    expect(config.http?.services?.['b']).toEqual({ loadBalancer: { servers: [{ url: 'http://h:1' }] } });
  });

  it('drops only the item with a bad value, with an error naming its key', () => {
    const v = validate({
      'switchyard/http/routers/good/rule': 'PathPrefix(`/good`)',
      'switchyard/http/routers/good/service': 'good',
      'switchyard/http/services/good/loadBalancer/servers/0/url': 'http://127.0.0.1:1',
      'switchyard/http/services/w/loadBalancer/servers/i-1/url': 'http://127.0.0.1:2',
      'switchyard/http/services/w/loadBalancer/servers/i-1/weight': 'heavy',
      'switchyard/http/services/u/loadBalancer/servers/0/url': 'localhost:80',
      'switchyard/http/routers/r/rule': 'Host(`x`) &&',
      'switchyard/http/routers/r/service': 'good',
      'switchyard/http/services/t/loadBalancer/bogus': '1',
      'switchyard/http/middlewares/m/stripPrefix/prefixes/0': '/api',
    });
    const text = v.errors.map(formatConfigError);
    expect(text).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^switchyard\/http\/services\/w\/loadBalancer\/servers\/i-1\/weight: service w@redis: loadBalancer\.servers\[0\]\.weight: /),
        expect.stringMatching(/^switchyard\/http\/services\/u\/loadBalancer\/servers\/0\/url: service u@redis: loadBalancer\.servers\[0\]\.url: expected/),
        expect.stringMatching(/^switchyard\/http\/routers\/r\/rule: router r@redis: rule: column \d+/),
        expect.stringMatching(/^switchyard\/http\/services\/t\/loadBalancer: service t@redis: loadBalancer: unknown field "bogus"/),
        expect.stringMatching(/^switchyard\/http\/middlewares: http\.middlewares: http\.middlewares is not supported yet/),
      ]),
    );
    expect([...v.config.http.services.keys()]).toEqual(['good@redis']);
    expect([...v.config.http.routers.keys()]).toEqual(['good@redis']);
  });

  it('accepts numeric and boolean strings where the schema wants numbers and booleans', () => {
    const v = validate({
      'switchyard/http/routers/a/rule': 'PathPrefix(`/`)',
      'switchyard/http/routers/a/service': 'a',
      'switchyard/http/routers/a/priority': '7',
      'switchyard/http/services/a/loadBalancer/servers/0/url': 'http://127.0.0.1:1',
      'switchyard/http/services/a/loadBalancer/servers/0/weight': '0',
      'switchyard/http/services/a/loadBalancer/passHostHeader': 'false',
    });
    expect(v.errors).toEqual([]);
    expect(v.config.http.routers.get('a@redis')?.priority).toBe(7);
    expect(v.config.http.services.get('a@redis')?.loadBalancer).toMatchObject({ servers: [{ url: 'http://127.0.0.1:1', weight: 0 }], passHostHeader: false });
  });
});

describe('KvMirror (incremental, per item)', () => {
  /** A small deterministic PRNG, so a failure can be replayed. */
  const random = (seed: number) => () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);

  it('always yields what flattening the whole tree at once yields, over random edits', () => {
    const rnd = random(42);
    const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rnd() * xs.length)]!;
    const keys: string[] = [];
    for (const name of ['a', 'b', 'B', 'c']) {
      for (const section of ['routers', 'Routers']) for (const f of ['rule', 'service', 'entryPoints/0', 'EntryPoints/1']) keys.push(`switchyard/http/${section}/${name}/${f}`);
      for (const lb of ['loadBalancer', 'loadbalancer']) {
        for (const t of ['0', '1', '10', 'i-x']) for (const f of ['url', 'weight']) keys.push(`switchyard/http/services/${name}/${lb}/servers/${t}/${f}`);
        keys.push(`switchyard/http/services/${name}/${lb}/strategy`, `switchyard/http/services/${name}/${lb}/sticky/cookie/name`);
      }
    }
    keys.push('switchyard/tcp/routers/x/rule', 'switchyard/http/middlewares/m/x', 'other/http/services/z/loadBalancer/servers/0/url');
    const mirror = new KvMirror('redis', 'switchyard');
    const truth = new Map<string, string>();
    for (let step = 0; step < 3000; step++) {
      const key = pick(keys);
      const r = rnd();
      if (r < 0.55) {
        const value = pick(['x', 'y', '1', '']);
        mirror.set(key, value);
        if (key.startsWith('switchyard/')) truth.set(key, value);
      } else if (r < 0.95) {
        mirror.delete(key);
        truth.delete(key);
      } else {
        // A full re-read with some keys changed behind the mirror's back.
        const next = new Map(truth);
        for (let i = 0; i < 5; i++) next.set(pick(keys), pick(['p', 'q']));
        next.delete(pick(keys));
        for (const k of next.keys()) if (!k.startsWith('switchyard/')) next.delete(k);
        mirror.replace(next);
        truth.clear();
        for (const [k, v] of next) truth.set(k, v);
      }
      if (step % 7 !== 0) continue;
      const snap = mirror.takeSnapshot(true)!;
      const whole = kvToConfig(truth, 'switchyard', 'redis');
      expect(snap.config).toEqual(whole.config);
      // Section levels (`http.routers`) are shared by items; which key's casing names them may differ.
      const itemLevel = (o: Record<string, string>) => Object.fromEntries(Object.entries(o).filter(([p]) => p.split('.').length >= 3));
      expect(itemLevel(snap.origins as Record<string, string>)).toEqual(itemLevel(whole.origins));
      expect(new Set(snap.errors!.map(formatConfigError))).toEqual(new Set(whole.errors.map(formatConfigError)));
      expect(mirror.size).toBe(truth.size);
    }
  });

  it('keeps the objects of items that did not change, and emits only after a change', () => {
    const mirror = new KvMirror('redis', 'switchyard');
    mirror.set('switchyard/http/services/a/loadBalancer/servers/0/url', 'http://h:1');
    mirror.set('switchyard/http/services/b/loadBalancer/servers/0/url', 'http://h:2');
    const first = mirror.takeSnapshot()!;
    expect(mirror.takeSnapshot()).toBeUndefined();
    mirror.set('switchyard/http/services/b/loadBalancer/servers/0/url', 'http://h:2');
    expect(mirror.takeSnapshot()).toBeUndefined();
    mirror.set('switchyard/http/services/b/loadBalancer/servers/0/url', 'http://h:3');
    const second = mirror.takeSnapshot()!;
    expect(second.config.http!.services!['a']).toBe(first.config.http!.services!['a']);
    expect(second.config.http!.services!['b']).not.toBe(first.config.http!.services!['b']);
    expect(first.config.http!.services!['b']).toEqual({ loadBalancer: { servers: [{ url: 'http://h:2' }] } });
  });

  it('reports a short key that holds a value where items live', () => {
    const mirror = new KvMirror('redis', 'switchyard');
    mirror.set('switchyard/http/routers', 'x');
    mirror.set('switchyard/http/routers/a/rule', 'Host(`a`)');
    const snap = mirror.takeSnapshot()!;
    expect(snap.config).toEqual({ http: { routers: { a: { rule: 'Host(`a`)' } } } });
    expect(snap.errors!.map(formatConfigError)).toEqual(['key switchyard/http/routers: has a value and also keys below it; the value is ignored']);
  });
});

describe('redis notify-keyspace-events flags', () => {
  it.each([
    ['', 'Kg$xe'],
    ['El', 'Kg$xe'],
    ['AK', ''],
    ['AE', 'K'],
    ['Kg$', 'xe'],
    ['$gxeK', ''],
  ])('with %j configured, adds %j', (current, missing) => {
    expect(missingNotifyFlags(current)).toBe(missing);
  });
});
