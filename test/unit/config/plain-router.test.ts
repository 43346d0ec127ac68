import { describe, expect, it } from 'vitest';
import { compiledItemSchemas } from '../../../src/config/dynamic-schema.js';
import { plainRouter } from '../../../src/config/plain-router.js';
import { validateSnapshots } from '../../../src/config/validate.js';
import { ValidRouter } from '../../../src/config/valid-router.js';

const viaZod = (item: unknown) => compiledItemSchemas().router.parse(item);

describe('plainRouter (the usual router without zod)', () => {
  it.each([
    { rule: 'Host(`a.example`)', service: 'app' },
    { service: 'app', rule: 'Host(`a.example`) && PathPrefix(`/api`)' },
    { rule: '  Path(`/`)\n', service: ' app@redis ' },
    { rule: 'Path(`/`)', service: 'app', priority: 0 },
    { rule: 'Path(`/`)', service: 'app', priority: 42 },
    { rule: 'Path(`/`)', service: 'app', entryPoints: [] },
    { rule: 'Path(`/`)', service: 'app', entryPoints: ['web', 'admin'], priority: 7 },
    structuredClone({ rule: 'Host(`b`)', service: 'b', entryPoints: ['web'] }),
    JSON.parse('{"rule":"Host(`c`)","service":"c","priority":3}'),
    Object.assign(Object.create(null), { rule: 'Host(`d`)', service: 'd' }),
  ])('gives what zod gives for %j', (item) => {
    const plain = plainRouter(item);
    expect(plain).toBeInstanceOf(ValidRouter);
    // Its own fields (a spread drops the class and the compiled rule it keeps; valid-router.ts).
    expect({ ...plain }).toStrictEqual(viaZod(item));
    expect(Object.keys(plain!)).toEqual(Object.keys(viaZod(item)));
  });

  it('copies the entry points rather than sharing the provider\'s list', () => {
    const item = { rule: 'Path(`/`)', service: 'app', entryPoints: ['web'] };
    expect(plainRouter(item)!.entryPoints).not.toBe(item.entryPoints);
  });

  it.each([
    ['another field', { rule: 'Path(`/`)', service: 'app', middlewares: ['auth'] }],
    ['a misspelt field', { rule: 'Path(`/`)', service: 'app', entrypoints: ['web'] }],
    ['an empty rule', { rule: '  ', service: 'app' }],
    ['no rule', { service: 'app' }],
    ['no service', { rule: 'Path(`/`)' }],
    ['a rule that is not a string', { rule: 5, service: 'app' }],
    ['a priority written as a string', { rule: 'Path(`/`)', service: 'app', priority: '3' }],
    ['a negative priority', { rule: 'Path(`/`)', service: 'app', priority: -1 }],
    ['a fractional priority', { rule: 'Path(`/`)', service: 'app', priority: 1.5 }],
    ['entry points that are not a list', { rule: 'Path(`/`)', service: 'app', entryPoints: 'web' }],
    ['an empty entry point', { rule: 'Path(`/`)', service: 'app', entryPoints: [''] }],
    ['an entry point that is not a string', { rule: 'Path(`/`)', service: 'app', entryPoints: [1] }],
    ['a list', [{ rule: 'Path(`/`)', service: 'app' }]],
    ['nothing', undefined],
  ])('leaves %s to zod', (_what, item) => {
    expect(plainRouter(item)).toBeUndefined();
  });

  it('still reports a router name with "@", a bad rule and an unknown entry point', () => {
    const r = validateSnapshots(
      [{ provider: 'file', config: { http: { routers: { 'a@b': { rule: 'Path(`/`)', service: 's' }, bad: { rule: 'Host(a)', service: 's' }, ep: { rule: 'Path(`/`)', service: 's', entryPoints: ['nope'] } }, services: { s: { loadBalancer: { servers: [{ url: 'http://127.0.0.1:9' }] } } } } } }],
      { entryPoints: ['web'] },
    );
    expect(r.config.http.routers.size).toBe(0);
    expect(r.errors.map((e) => `${e.item} ${e.field}`)).toEqual(['router a@b ', 'router bad@file rule', 'router ep@file entryPoints[0]']);
  });
});
