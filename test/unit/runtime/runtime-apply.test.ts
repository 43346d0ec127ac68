import { setImmediate as nextTurn } from 'node:timers/promises';
import pino from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import type { ProviderSnapshot, ValidatedConfig } from '../../../src/config/dynamic-config.js';
import { validateSnapshots } from '../../../src/config/validate.js';
import type { RoutingTable } from '../../../src/runtime/routing-table.js';
import { Runtime } from '../../../src/runtime/runtime.js';

const log = pino({ level: 'silent' });

/** `count` services of one server each; `tag` makes the URLs (and so the servers) differ. */
function config(provider: string, count: number, tag: number): ValidatedConfig {
  const services: Record<string, unknown> = {};
  const routers: Record<string, unknown> = {};
  for (let i = 0; i < count; i++) {
    services[`s${i}`] = { loadBalancer: { servers: [{ url: `http://10.${tag}.${i >> 8}.${i & 255}:80` }] } };
    routers[`r${i}`] = { rule: `Host(\`h${i}.t${tag}\`)`, service: `s${i}` };
  }
  return validateSnapshots([{ provider, config: { http: { routers, services } } } as ProviderSnapshot], { entryPoints: ['web'] });
}

describe('Runtime.apply', () => {
  let runtime: Runtime | undefined;
  afterEach(() => runtime?.registry.destroy());

  it('publishes only the newest of two configs applied at once', async () => {
    runtime = new Runtime(['web'], { maxIdleSockets: 1, idleTimeout: 1000 }, log);
    const a = config('apply1', 3, 1);
    const b = config('apply1', 3, 2);
    const [ra, rb] = await Promise.all([runtime.apply(a), runtime.apply(b)]);
    expect(ra.status).toBe('superseded');
    expect(rb.status).toBe('applied');
    expect(runtime.table.source).toBe(b);
    expect(runtime.table.version).toBe(1);
    // A's servers were never acquired, and B's wait for their first reader.
    expect(runtime.registry.states()).toEqual([]);
    for (const service of runtime.table.services.values()) expect(service.servers).toHaveLength(1);
    expect(runtime.registry.states().map((s) => s.url)).toEqual(['http://10.2.0.0:80', 'http://10.2.0.1:80', 'http://10.2.0.2:80']);
  });

  it('with eager servers (the primary of workers), acquires the published table\'s servers at build time, and only those', async () => {
    runtime = new Runtime(['web'], { maxIdleSockets: 1, idleTimeout: 1000 }, log, undefined, true);
    const [ra, rb] = await Promise.all([runtime.apply(config('apply4', 3, 6)), runtime.apply(config('apply4', 3, 7))]);
    expect([ra.status, rb.status]).toEqual(['superseded', 'applied']);
    expect(runtime.registry.states().map((s) => s.url)).toEqual(['http://10.7.0.0:80', 'http://10.7.0.1:80', 'http://10.7.0.2:80']);
  });

  it('never publishes an older table after a newer one when a config overtakes a build under way', async () => {
    runtime = new Runtime(['web'], { maxIdleSockets: 1, idleTimeout: 1000 }, log);
    const rt = runtime;
    const a = config('apply2', 2000, 3);
    const b = config('apply2', 50, 4);
    const seen: RoutingTable[] = [];
    let watching = true;
    void (async () => {
      while (watching) {
        if (seen.at(-1) !== rt.table) seen.push(rt.table);
        await nextTurn();
      }
    })();
    const pa = rt.apply(a);
    await nextTurn(); // A's build is under way (2,000 new services take many slices)
    const rb = await rt.apply(b);
    const ra = await pa;
    watching = false;
    if (seen.at(-1) !== rt.table) seen.push(rt.table);

    expect(rb.status).toBe('applied');
    expect(rt.table.source).toBe(b);
    const versions = seen.map((t) => t.version);
    expect(versions).toEqual([...versions].sort((x, y) => x - y));
    if (ra.status === 'superseded') {
      expect(seen.some((t) => t.source === a)).toBe(false);
      // Servers the abandoned build acquired and B does not hold were let go.
      expect(rt.registry.states().every((s) => s.url.startsWith('http://10.4.'))).toBe(true);
    } else {
      expect(seen.findIndex((t) => t.source === a)).toBeLessThan(seen.findIndex((t) => t.source === b));
    }
  });

  it('publishes nothing once closed', async () => {
    runtime = new Runtime(['web'], { maxIdleSockets: 1, idleTimeout: 1000 }, log);
    const pending = runtime.apply(config('apply3', 3, 5));
    runtime.close();
    expect((await pending).status).toBe('superseded');
    expect(runtime.table.version).toBe(0);
  });
});
