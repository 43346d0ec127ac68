import pino from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import type { ProviderSnapshot } from '../../../src/config/dynamic-config.js';
import { validateSnapshots } from '../../../src/config/validate.js';
import { buildRoutingTable } from '../../../src/runtime/build-table.js';
import { ServerRegistry } from '../../../src/runtime/server-registry.js';

const log = pino({ level: 'silent' });

/** One service of `servers` URLs, checked (servers start 'unknown', so unavailable) with panicThreshold 50. */
function table(registry: ServerRegistry, servers: string[], panics: Array<[string, boolean]>) {
  const lb = { servers: servers.map((url) => ({ url })), healthCheck: { path: '/health', interval: '10s' }, panicThreshold: 50 };
  const config = validateSnapshots([{ provider: 'lazy', config: { http: { services: { app: { loadBalancer: lb } } } } } as ProviderSnapshot], { entryPoints: ['web'] });
  expect(config.errors).toEqual([]);
  return buildRoutingTable(config, registry, { version: 1, entryPoints: ['web'], onPanic: (service, panic) => panics.push([service, panic]) });
}

describe('ServiceRuntime', () => {
  let registry: ServerRegistry | undefined;
  afterEach(() => registry?.destroy());

  it('answers panic as of now before any request made its pool, and tells the listener only once a request uses it', () => {
    registry = new ServerRegistry({ maxIdleSockets: 1, idleTimeout: 1000 }, log);
    const panics: Array<[string, boolean]> = [];
    const service = table(registry, ['http://127.0.0.1:1', 'http://127.0.0.1:2'], panics).services.get('app@lazy')!;
    const pass = { time: 0, ok: true, detail: 'status 200' };
    const policy = { healthyThreshold: 1, unhealthyThreshold: 1 };

    // 0 of 2 available: in panic, though nothing was picked and no pool exists to say so.
    expect(service.panic).toBe(true);
    expect(panics).toEqual([]);
    registry.reportCheck(service.servers[0]!.state, pass, policy);
    expect(service.panic).toBe(false); // 1 of 2 = 50%: not below the threshold
    expect(panics).toEqual([]);

    // The first pick makes the pool: it balances over the available server and says nothing (no change).
    expect(service.pool.pick({ clientIp: '127.0.0.1' })?.url).toBe('http://127.0.0.1:1');
    expect(service.pool).toBe(service.pool);
    registry.reportCheck(service.servers[0]!.state, { time: 1, ok: false, detail: 'status 500' }, policy);
    expect(service.panic).toBe(true);
    expect(panics).toEqual([['app@lazy', true]]);
  });

  it('reads its settings from the validated config', () => {
    registry = new ServerRegistry({ maxIdleSockets: 1, idleTimeout: 1000 }, log);
    const service = table(registry, ['http://127.0.0.1:1'], []).services.get('app@lazy')!;
    const lb = service.config.loadBalancer;
    expect([service.strategy, service.passHostHeader, service.retries, service.retryBodyLimit]).toEqual([lb.strategy, lb.passHostHeader, lb.retries, lb.retryBodyLimit]);
    expect(service.healthCheck).toBe(lb.healthCheck);
    expect(service.passiveHealthCheck).toBe(lb.passiveHealthCheck);
  });
});
