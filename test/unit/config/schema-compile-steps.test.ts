import { describe, expect, it } from 'vitest';
import { compiledItemSchemas, compileItemSchemas } from '../../../src/config/dynamic-schema.js';

// A file of its own: vitest gives each test file a fresh module, so nothing is compiled yet here.
describe('item schema compilation (the first validation of a process)', () => {
  it('compiles one schema per step, so a sliced validation can pause between them, and only once', () => {
    const steps = compileItemSchemas();
    expect(steps.next().done).toBe(false);
    expect(steps.next().done).toBe(false);
    expect(steps.next().done).toBe(true);
    const { router, service } = compiledItemSchemas();
    expect(compiledItemSchemas().router).toBe(router);
    expect(compiledItemSchemas().service).toBe(service);
    // Already compiled: no step at all.
    expect([...compileItemSchemas()]).toEqual([]);
    expect(service.safeParse({ loadBalancer: { servers: [{ url: 'http://127.0.0.1:8080' }] } }).success).toBe(true);
    expect(router.safeParse({ rule: 'Host(`a`)', service: 'app' }).success).toBe(true);
  });
});
