import { describe, expect, it } from 'vitest';
import type { ProviderSnapshot } from '../../../src/config/dynamic-config.js';
import { formatConfigError } from '../../../src/config/dynamic-config.js';
import { validateSnapshots } from '../../../src/config/validate.js';

const EPS = { entryPoints: ['web', 'admin'] };

function snap(http: Record<string, unknown>, provider = 'file', origins?: Record<string, string>): ProviderSnapshot {
  return { provider, config: { http } as ProviderSnapshot['config'], ...(origins ? { origins } : {}) };
}

const goodService = { loadBalancer: { servers: [{ url: 'http://127.0.0.1:9001' }] } };

describe('validateSnapshots', () => {
  it('qualifies names with the provider and fills Traefik defaults', () => {
    const r = validateSnapshots([snap({ routers: { app: { rule: 'Host(`a`)', service: 'app' } }, services: { app: goodService } })], EPS);
    expect(r.errors).toEqual([]);
    expect(r.config.http.routers.get('app@file')).toEqual({ entryPoints: [], rule: 'Host(`a`)', priority: 0, service: 'app@file' });
    expect(r.config.http.services.get('app@file')!.loadBalancer).toEqual({
      strategy: 'roundRobin',
      servers: [{ url: 'http://127.0.0.1:9001', weight: 1 }],
      passHostHeader: true,
      retries: 1,
      retryBodyLimit: 65536,
      slowStart: 0,
      panicThreshold: 0,
    });
    expect(r.status.routers.get('app@file')!.status).toBe('enabled');
  });

  it('lets a router name another provider\'s service', () => {
    const r = validateSnapshots(
      [snap({ routers: { app: { rule: 'Path(`/`)', service: 'api@redis' } } }), snap({ services: { api: goodService } }, 'redis')],
      EPS,
    );
    expect(r.errors).toEqual([]);
    expect(r.config.http.routers.get('app@file')!.service).toBe('api@redis');
  });

  it.each([
    ['wrr', 'roundRobin'],
    ['hrw', 'ipHash'],
    ['LEASTCONN', 'leastConn'],
    ['p2c', 'p2c'],
    ['random', 'random'],
  ])('accepts strategy %s as %s', (given, expected) => {
    const r = validateSnapshots([snap({ services: { app: { loadBalancer: { strategy: given, servers: [] } } } })], EPS);
    expect(r.config.http.services.get('app@file')!.loadBalancer.strategy).toBe(expected);
  });

  it('accepts string numbers and booleans (as KV stores deliver them)', () => {
    const r = validateSnapshots(
      [snap({ services: { app: { loadBalancer: { passHostHeader: 'false', servers: [{ url: 'http://h:1', weight: '3' }] } } } })],
      EPS,
    );
    expect(r.errors).toEqual([]);
    expect(r.config.http.services.get('app@file')!.loadBalancer).toMatchObject({ passHostHeader: false, servers: [{ weight: 3 }] });
  });

  it('drops only the bad items, each with an error naming item, field and place', () => {
    const r = validateSnapshots(
      [
        snap(
          {
            routers: {
              good: { rule: 'PathPrefix(`/`)', service: 'good' },
              badRule: { rule: 'Host(`a`) && Pth(`/x`)', service: 'good' },
              noService: { rule: 'Path(`/`)', service: 'missing' },
              badEp: { rule: 'Path(`/`)', service: 'good', entryPoints: ['websecure'] },
            },
            services: {
              good: goodService,
              badStrategy: { loadBalancer: { strategy: 'fastest', servers: [] } },
              badUrl: { loadBalancer: { servers: [{ url: 'not a url' }] } },
              badWeight: { loadBalancer: { servers: [{ url: 'http://h:1', weight: 'heavy' }] } },
            },
          },
          'file',
          { 'http.services.badUrl.loadBalancer.servers.0.url': 'dyn.yaml:9:18' },
        ),
      ],
      EPS,
    );
    expect([...r.config.http.routers.keys()]).toEqual(['good@file']);
    expect([...r.config.http.services.keys()]).toEqual(['good@file']);
    const text = r.errors.map(formatConfigError);
    expect(text).toContainEqual(expect.stringMatching(/router badRule@file: rule: column 14: unknown matcher "Pth"/));
    expect(text).toContainEqual(expect.stringMatching(/router noService@file: service: service missing@file does not exist/));
    expect(text).toContainEqual(expect.stringMatching(/router badEp@file: entryPoints\[0\]: unknown entry point "websecure"; the static config defines web, admin/));
    expect(text).toContainEqual(expect.stringMatching(/service badStrategy@file: loadBalancer\.strategy: unknown strategy "fastest"/));
    expect(text).toContainEqual(expect.stringMatching(/^dyn\.yaml:9:18: service badUrl@file: loadBalancer\.servers\[0\]\.url: expected an absolute URL/));
    expect(text).toContainEqual(expect.stringMatching(/service badWeight@file: loadBalancer\.servers\[0\]\.weight: /));
    expect(r.status.services.get('badUrl@file')!.status).toBe('disabled');
    expect(r.status.routers.get('noService@file')!.errors[0]).toMatch(/does not exist/);
  });

  it('disables a router whose service is itself invalid, saying why', () => {
    const r = validateSnapshots([snap({ routers: { app: { rule: 'Path(`/`)', service: 'app' } }, services: { app: { loadBalancer: { strategy: 'x' } } } })], EPS);
    expect(r.config.http.routers.size).toBe(0);
    expect(r.errors.map(formatConfigError)).toContainEqual(expect.stringMatching(/service app@file is disabled because of its own errors/));
  });

  it('suggests the right case for a misspelt service reference', () => {
    const r = validateSnapshots([snap({ routers: { app: { rule: 'Path(`/`)', service: 'App' } }, services: { app: goodService } })], EPS);
    expect(r.errors[0]!.message).toMatch(/did you mean app@file/);
  });

  it.each([
    [{ rule: '', service: 'a' }, /rule: a router needs a rule/],
    [{ service: 'a' }, /rule: /],
    [{ rule: 'Path(`/`)' }, /service: /],
    [{ rule: 'Path(`/`)', service: 'a', priority: -1 }, /priority: /],
    [{ rule: 'Path(`/`)', service: 'a', middlewares: ['auth'] }, /unknown field "middlewares"/],
    [{ rule: 'Path(`/`)', service: 'a', entrypoints: ['web'] }, /unknown field "entrypoints".*case-sensitive/],
  ])('rejects router %j', (router, message) => {
    const r = validateSnapshots([snap({ routers: { x: router }, services: { a: goodService } })], EPS);
    expect(r.config.http.routers.size).toBe(0);
    expect(r.errors.map(formatConfigError).join('\n')).toMatch(message);
  });

  it.each([
    [{ loadBalancer: { servers: [{ url: 'ftp://h:1' }] } }, /expected an http:\/\/ or https:\/\/ URL/],
    [{ loadBalancer: { servers: [{ url: 'http://h:1?x=1' }] } }, /must not have a query/],
    [{ loadBalancer: { servers: [{ url: 'http://u:p@h:1' }] } }, /must not carry credentials/],
    [{ loadBalancer: { servers: [{ url: 'http://h:1', weight: -1 }] } }, /weight/],
    [{ loadBalancer: { servers: [{ url: 'http://h:1', weight: 1.5 }] } }, /weight/],
    [{ loadBalancer: { servers: [{ url: 'http://h:1' }, { url: 'http://h:1/' }] } }, /listed twice/],
    [{ loadBalancer: { servers: 'http://h:1' } }, /servers: /],
    [{ loadBalancer: { servers: [], sticky: { cookie: { name: 'bad name' } } } }, /cookie name is a token/],
    [{ loadBalancer: { servers: [], sticky: { cookie: { sameSite: 'sometimes' } } } }, /expected lax, strict or none/],
    [{ loadbalancer: { servers: [] } }, /unknown field "loadbalancer"/],
    [{}, /loadBalancer: /],
  ])('rejects service %j', (service, message) => {
    const r = validateSnapshots([snap({ services: { x: service } })], EPS);
    expect(r.config.http.services.size).toBe(0);
    expect(r.errors.map(formatConfigError).join('\n')).toMatch(message);
  });

  it('gives a sticky cookie a default name that does not reveal the service', () => {
    const r = validateSnapshots([snap({ services: { app: { loadBalancer: { servers: [], sticky: { cookie: {} } } } } })], EPS);
    const cookie = r.config.http.services.get('app@file')!.loadBalancer.sticky!.cookie!;
    expect(cookie.name).toMatch(/^_[0-9a-f]{6}$/);
    expect(cookie).toMatchObject({ httpOnly: true, secure: false, path: '/', maxAge: 0 });
  });

  it('reports unsupported sections without dropping the rest', () => {
    const r = validateSnapshots([{ provider: 'file', config: { tcp: {}, http: { middlewares: {}, services: { app: goodService } } } as never }], EPS);
    expect([...r.config.http.services.keys()]).toEqual(['app@file']);
    expect(r.errors.map((e) => e.message)).toEqual([expect.stringMatching(/tcp is not supported yet/), expect.stringMatching(/http.middlewares is not supported yet/)]);
  });

  it('passes provider-level errors through', () => {
    const r = validateSnapshots([{ provider: 'file', config: {}, errors: [{ provider: 'file', item: 'a.yaml', field: '', message: 'YAML syntax error' }] }], EPS);
    expect(r.errors).toHaveLength(1);
  });
});
