import { describe, expect, it } from 'vitest';
import { compiledItemSchemas, serviceSchema } from '../../../src/config/dynamic-schema.js';
import { loadBalancerOf, plainLoadBalancer } from '../../../src/config/load-balancer.js';
import { validateSnapshots } from '../../../src/config/validate.js';

/** What validation makes of `item` through zod. */
const viaZod = (item: unknown) => loadBalancerOf(compiledItemSchemas().service.parse(item).loadBalancer, 'x@file');

/** Items of the plain shape: a server list of URLs, some with a whole-number weight. */
function plainItems(): unknown[] {
  // The last ones are judged by new URL, as zod's check judges them.
  const urls = ['http://127.0.0.1:9001', 'https://10.0.0.7', 'http://app.internal:8080/base', 'http://backend-3:65535/', 'HTTP://Upper.Example:80/x_y~z', 'http://[::1]:9', 'http://xn--bcher-kva.example'];
  const items: unknown[] = [];
  for (let n = 1; n <= urls.length; n++) {
    items.push({ loadBalancer: { servers: urls.slice(0, n).map((url) => ({ url })) } });
    items.push({ loadBalancer: { servers: urls.slice(0, n).map((url, i) => (i % 2 === 0 ? { url, weight: i * 3 } : { weight: 0, url })) } });
  }
  // As providers hand items over (structured clone, JSON.parse), and with no prototype at all.
  items.push(structuredClone(items[3]));
  items.push(JSON.parse(JSON.stringify(items[4])));
  items.push(Object.assign(Object.create(null), { loadBalancer: Object.assign(Object.create(null), { servers: [Object.assign(Object.create(null), { url: 'http://127.0.0.1:1' })] }) }));
  return items;
}

describe('plainLoadBalancer (the usual service without zod)', () => {
  it.each(plainItems().map((item) => [JSON.stringify(item), item]))('gives what zod gives for %s', (_text, item) => {
    const plain = plainLoadBalancer(item);
    expect(plain).toBeDefined();
    expect(plain).toStrictEqual(viaZod(item));
  });

  it('fills in what the schema defaults, read from the schema', () => {
    const { servers: _servers, ...defaults } = serviceSchema.parse({ loadBalancer: { servers: [] } }).loadBalancer;
    const { servers, ...rest } = plainLoadBalancer({ loadBalancer: { servers: [{ url: 'http://127.0.0.1:9' }] } })!;
    expect(rest).toEqual(Object.fromEntries(Object.entries(defaults).filter(([, v]) => v !== undefined)));
    expect(servers).toEqual([{ url: 'http://127.0.0.1:9', weight: 1 }]);
  });

  class NotPlain {
    loadBalancer = { servers: [{ url: 'http://127.0.0.1:9' }] };
  }

  it.each([
    ['another load-balancer field', { loadBalancer: { servers: [{ url: 'http://127.0.0.1:9' }], strategy: 'roundRobin' } }],
    ['another service field', { loadBalancer: { servers: [{ url: 'http://127.0.0.1:9' }] }, weighted: {} }],
    ['another server field', { loadBalancer: { servers: [{ url: 'http://127.0.0.1:9', wieght: 2 }] } }],
    ['a weight written as a string', { loadBalancer: { servers: [{ url: 'http://127.0.0.1:9', weight: '2' }] } }],
    ['a negative weight', { loadBalancer: { servers: [{ url: 'http://127.0.0.1:9', weight: -1 }] } }],
    ['a fractional weight', { loadBalancer: { servers: [{ url: 'http://127.0.0.1:9', weight: 1.5 }] } }],
    ['an unsafe integer weight', { loadBalancer: { servers: [{ url: 'http://127.0.0.1:9', weight: 2 ** 60 }] } }],
    ['no servers', { loadBalancer: { servers: [] } }],
    ['servers that are not a list', { loadBalancer: { servers: 'http://127.0.0.1:9' } }],
    ['a server that is a string', { loadBalancer: { servers: ['http://127.0.0.1:9'] } }],
    ['a URL with a query', { loadBalancer: { servers: [{ url: 'http://127.0.0.1:9?x=1' }] } }],
    ['a URL that is not a string', { loadBalancer: { servers: [{ url: 9 }] } }],
    ['no URL', { loadBalancer: { servers: [{ weight: 1 }] } }],
    ['a misspelt section', { loadbalancer: { servers: [{ url: 'http://127.0.0.1:9' }] } }],
    ['an own __proto__ key', JSON.parse('{"loadBalancer":{"servers":[{"url":"http://127.0.0.1:9","__proto__":{"x":1}}]}}')],
    ['an instance of a class', new NotPlain()],
    ['nothing', undefined],
    ['a list', [{ loadBalancer: { servers: [{ url: 'http://127.0.0.1:9' }] } }]],
  ])('leaves %s to zod', (_what, item) => {
    expect(plainLoadBalancer(item)).toBeUndefined();
  });

  it('still reports a service name with "@" and a server listed twice', () => {
    const r = validateSnapshots(
      [{ provider: 'file', config: { http: { services: { 'a@b': { loadBalancer: { servers: [{ url: 'http://127.0.0.1:9' }] } }, twice: { loadBalancer: { servers: [{ url: 'http://127.0.0.1:9' }, { url: 'http://127.0.0.1:9/' }] } } } } } }],
      { entryPoints: ['web'] },
    );
    expect(r.config.http.services.size).toBe(0);
    expect(r.errors.map((e) => `${e.item}: ${e.message}`)).toEqual([
      'service a@b: a service name must not contain "@"; the provider suffix is added for you',
      'service twice@file: server http://127.0.0.1:9/ is listed twice; list each server once and use weight to give it a bigger share',
    ]);
  });
});
