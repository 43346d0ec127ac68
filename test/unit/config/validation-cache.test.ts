import { describe, expect, it } from 'vitest';
import type { ProviderSnapshot } from '../../../src/config/dynamic-config.js';
import { validateSnapshots } from '../../../src/config/validate.js';
import { cachedRuleCount } from '../../../src/rules/rule-cache.js';
import { compiledRule, RuleError, type CompiledRule } from '../../../src/rules/index.js';

const EPS = { entryPoints: ['web'] };
const snap = (http: Record<string, unknown>, origins?: Record<string, string>): ProviderSnapshot => ({
  provider: 'cachetest',
  config: { http } as ProviderSnapshot['config'],
  ...(origins ? { origins } : {}),
});

describe('validation reuse across reloads', () => {
  it('reuses the validated form of an unchanged item, by identity or by content', () => {
    const service = { loadBalancer: { servers: [{ url: 'http://127.0.0.1:1' }] } };
    const a = validateSnapshots([snap({ services: { s: service } })], EPS);
    const b = validateSnapshots([snap({ services: { s: service } })], EPS);
    const c = validateSnapshots([snap({ services: { s: structuredClone(service) } })], EPS);
    expect(b.config.http.services.get('s@cachetest')).toBe(a.config.http.services.get('s@cachetest'));
    expect(c.config.http.services.get('s@cachetest')).toBe(a.config.http.services.get('s@cachetest'));
  });

  it('validates a changed item again', () => {
    const a = validateSnapshots([snap({ services: { s: { loadBalancer: { servers: [{ url: 'http://127.0.0.1:1' }] } } } })], EPS);
    const b = validateSnapshots([snap({ services: { s: { loadBalancer: { servers: [{ url: 'http://127.0.0.1:2' }] } } } })], EPS);
    expect(b.config.http.services.get('s@cachetest')!.loadBalancer.servers[0]!.url).toBe('http://127.0.0.1:2');
    expect(a.config.http.services.get('s@cachetest')!.loadBalancer.servers[0]!.url).toBe('http://127.0.0.1:1');
  });

  it('never caches an invalid item: its error follows the item when lines move', () => {
    const bad = { loadBalancer: { strategy: 'nope', servers: [] } };
    const first = validateSnapshots([snap({ services: { s: bad } }, { 'http.services.s.loadBalancer.strategy': 'f.yaml:3:5' })], EPS);
    const moved = validateSnapshots([snap({ services: { s: bad } }, { 'http.services.s.loadBalancer.strategy': 'f.yaml:9:5' })], EPS);
    expect(first.errors[0]!.origin).toBe('f.yaml:3:5');
    expect(moved.errors[0]!.origin).toBe('f.yaml:9:5');
  });

  it('judges a cached router again when the entry points differ', () => {
    const router = { rule: 'Path(`/`)', service: 's', entryPoints: ['admin'] };
    const service = { loadBalancer: { servers: [] } };
    expect(validateSnapshots([snap({ routers: { r: router }, services: { s: service } })], { entryPoints: ['web', 'admin'] }).errors).toEqual([]);
    expect(validateSnapshots([snap({ routers: { r: router }, services: { s: service } })], { entryPoints: ['web'] }).errors[0]!.message).toMatch(/unknown entry point "admin"/);
  });

  it('keeps a router disabled when its service goes away, even when the router itself is cached', () => {
    const router = { rule: 'Path(`/`)', service: 's' };
    const service = { loadBalancer: { servers: [] } };
    validateSnapshots([snap({ routers: { r: router }, services: { s: service } })], EPS);
    const r = validateSnapshots([snap({ routers: { r: router } })], EPS);
    expect(r.config.http.routers.size).toBe(0);
    expect(r.status.routers.get('r@cachetest')!.status).toBe('disabled');
    // …and enabled again when the service is back: the cached report was not touched.
    const back = validateSnapshots([snap({ routers: { r: router }, services: { s: service } })], EPS);
    expect(back.status.routers.get('r@cachetest')).toMatchObject({ status: 'enabled', errors: [] });
  });

  it('reuses an unchanged item\'s status report, and gives it a new one when the item moved in its file', () => {
    const service = { loadBalancer: { servers: [{ url: 'http://127.0.0.1:1' }] } };
    const at = (line: number) => ({ 'http.services.moving': `f.yaml:${line}:3` });
    const a = validateSnapshots([snap({ services: { moving: service } }, at(3))], EPS);
    const b = validateSnapshots([snap({ services: { moving: structuredClone(service) } }, at(3))], EPS);
    const c = validateSnapshots([snap({ services: { moving: service } }, at(9))], EPS);
    expect(b.status.services.get('moving@cachetest')).toBe(a.status.services.get('moving@cachetest'));
    expect(c.status.services.get('moving@cachetest')!.origin).toBe('f.yaml:9:3');
    expect(a.status.services.get('moving@cachetest')!.origin).toBe('f.yaml:3:3');
    expect(c.config.http.services.get('moving@cachetest')).toBe(a.config.http.services.get('moving@cachetest'));
  });

  it('validates an item again after a round without it', () => {
    const service = { loadBalancer: { servers: [{ url: 'http://127.0.0.1:1' }] } };
    const a = validateSnapshots([snap({ services: { gone: service } })], EPS);
    validateSnapshots([snap({ services: {} })], EPS);
    const b = validateSnapshots([snap({ services: { gone: service } })], EPS);
    expect(b.config.http.services.get('gone@cachetest')).toEqual(a.config.http.services.get('gone@cachetest'));
    expect(b.config.http.services.get('gone@cachetest')).not.toBe(a.config.http.services.get('gone@cachetest'));
  });
});

describe('compiled rule cache', () => {
  it('compiles a rule text once and rethrows its error every time', () => {
    const rule = 'Host(`cache.example`) && Method(`GET`)';
    expect(compiledRule(rule)).toBe(compiledRule(rule));
    expect(compiledRule(rule).hosts).toEqual(['cache.example']);
    for (let i = 0; i < 2; i++) expect(() => compiledRule('Host(`x`) &&')).toThrow(RuleError);
  });

  it('reads the common rules directly, without caching them', () => {
    const before = cachedRuleCount();
    for (const rule of ['Host(`direct.example`)', 'Host(`direct.example`) && PathPrefix(`/api`)']) {
      expect(compiledRule(rule)).not.toBe(compiledRule(rule));
      expect(compiledRule(rule)).toEqual(compiledRule(rule));
    }
    expect(cachedRuleCount()).toBe(before);
  });

  it('keeps a rule for the build after the validation that parsed it, and lets go of rules two rounds unused', () => {
    const routers = (round: number): Record<string, unknown> =>
      Object.fromEntries(Array.from({ length: 50 }, (_, i) => [`r${i}`, { rule: `Host(\`h${i}.churn${round}.example\`) && Method(\`GET\`)`, service: 's' }]));
    const services = { s: { loadBalancer: { servers: [{ url: 'http://127.0.0.1:1' }] } } };
    const seen: CompiledRule[] = [];
    for (let round = 0; round < 20; round++) {
      validateSnapshots([snap({ routers: routers(round), services })], EPS);
      // What the table build of this round looks up: the very objects validation made.
      seen.push(compiledRule(`Host(\`h0.churn${round}.example\`) && Method(\`GET\`)`));
      expect(compiledRule(`Host(\`h0.churn${round}.example\`) && Method(\`GET\`)`)).toBe(seen[round]);
      expect(cachedRuleCount(), `round ${round}`).toBeLessThanOrEqual(2 * 50);
    }
    // Two rounds on, round 0's rules are gone: asking again compiles a new object.
    expect(compiledRule('Host(`h0.churn0.example`) && Method(`GET`)')).not.toBe(seen[0]);
  });
});
