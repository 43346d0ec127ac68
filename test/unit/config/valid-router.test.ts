import pino from 'pino';
import { describe, expect, it } from 'vitest';
import type { ProviderSnapshot } from '../../../src/config/dynamic-config.js';
import { validateSnapshots } from '../../../src/config/validate.js';
import { plainRouter } from '../../../src/config/plain-router.js';
import { ValidRouter } from '../../../src/config/valid-router.js';
import { buildRoutingTable } from '../../../src/runtime/build-table.js';
import { trackedRegistries } from '../../helpers/registries.js';

const EPS = ['web'];
const http = {
  routers: {
    plain: { rule: 'Host(`plain.example`) && PathPrefix(`/api`)', service: 's' },
    // Through zod (a priority written as a string, as KV stores give it), and a rule for the parser.
    general: { rule: 'Host(`general.example`) && Method(`GET`)', service: 's', entryPoints: ['web'], priority: '5' },
  },
  services: { s: { loadBalancer: { servers: [{ url: 'http://127.0.0.1:1' }] } } },
};
const validated = () => validateSnapshots([{ provider: 'vr', config: { http } } as ProviderSnapshot], { entryPoints: EPS });

describe('ValidRouter (the rule validation compiled, handed to the build)', () => {
  const registry = trackedRegistries(pino({ level: 'silent' }));

  it('is what validation gives, and the table build uses the rule validation compiled', () => {
    // Both ways of reading a router: without zod (plainRouter) and through zod.
    expect(plainRouter(http.routers.plain)).toBeDefined();
    expect(plainRouter(http.routers.general)).toBeUndefined();
    const v = validated();
    expect(v.errors).toEqual([]);
    const table = buildRoutingTable(v, registry(), { version: 1, entryPoints: EPS });
    for (const name of ['plain@vr', 'general@vr']) {
      const config = v.config.http.routers.get(name)!;
      expect(config).toBeInstanceOf(ValidRouter);
      const kept = ValidRouter.compiledOf(config);
      expect(ValidRouter.compiledOf(config)).toBe(kept);
      const route = table.routes.get(name)!;
      // The very hosts list validation made (the common rule is compiled anew by each compiledRule call).
      expect(route.hosts).toBe(kept.hosts);
      expect(route.rest).toBe(kept.rest);
    }
  });

  it('shows nothing of it to JSON, spreads, structured clones or deep equality', () => {
    const config = validated().config.http.routers.get('plain@vr')!;
    const fields = { entryPoints: [], rule: 'Host(`plain.example`) && PathPrefix(`/api`)', priority: 0, service: 's@vr' };
    expect(JSON.parse(JSON.stringify(config))).toStrictEqual(fields);
    expect({ ...config }).toStrictEqual(fields);
    expect(Object.keys(config)).toEqual(Object.keys(fields));
    const clone = structuredClone(config);
    expect(clone).toStrictEqual(fields);
    expect(config).toEqual(fields);
    // A config without it (as a worker process receives one) has its rule compiled when asked.
    expect(ValidRouter.compiledOf(clone)).toEqual(ValidRouter.compiledOf(config));
    expect(ValidRouter.compiledOf(clone).hosts).not.toBe(ValidRouter.compiledOf(config).hosts);
  });

  it('rethrows a bad rule\'s error and keeps nothing', () => {
    const r = new ValidRouter([], 'Host(`x`) &&', 0, 's');
    expect(() => r.compile()).toThrow(/column/);
    expect(() => ValidRouter.compiledOf(r)).toThrow(/column/);
  });
});
