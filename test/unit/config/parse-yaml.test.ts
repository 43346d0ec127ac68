import { describe, expect, it } from 'vitest';
import { parseYaml } from '../../../src/config/parse-yaml.js';

// parseYaml copies long strings out of the text (so a kept value does not keep the whole file
// alive; bench/RESULTS.md, "Reload cost"). The copies must be the same values in the same places.
describe('parseYaml', () => {
  it('gives the same values after copying strings out of the text, keys like __proto__ included', () => {
    const text = [
      'http:',
      '  routers:',
      '    app: {rule: "Host(`a-rather-long-host-name.example.test`)", service: app}',
      '  services:',
      '    app:',
      '      loadBalancer:',
      '        servers: [{url: "http://127.0.0.1:9001/with/a/path"}, {url: short}]',
      '__proto__: {polluted: "a value longer than thirteen characters"}',
      'x: {__proto__: "a string longer than thirteen characters"}',
      '',
    ].join('\n');
    const read = parseYaml(text, 'f.yaml');
    expect(read.ok).toBe(true);
    const value = (read as { value: Record<string, unknown> }).value;
    expect(value['http']).toEqual({
      routers: { app: { rule: 'Host(`a-rather-long-host-name.example.test`)', service: 'app' } },
      services: { app: { loadBalancer: { servers: [{ url: 'http://127.0.0.1:9001/with/a/path' }, { url: 'short' }] } } },
    });
    // An own data property, not the prototype: nothing leaked onto Object.prototype or the value's prototype.
    expect(Object.getOwnPropertyDescriptor(value, '__proto__')?.value).toEqual({ polluted: 'a value longer than thirteen characters' });
    expect(Object.getPrototypeOf(value)).toBe(Object.prototype);
    const x = value['x'] as object;
    expect(Object.getOwnPropertyDescriptor(x, '__proto__')?.value).toBe('a string longer than thirteen characters');
    expect(Object.getPrototypeOf(x)).toBe(Object.prototype);
    expect(({} as Record<string, unknown>)['polluted']).toBeUndefined();
  });
});
