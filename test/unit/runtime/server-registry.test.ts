import { Writable } from 'node:stream';
import pino from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { ServerRegistry } from '../../../src/runtime/server-registry.js';

function capture() {
  const lines: Array<Record<string, unknown>> = [];
  const stream = new Writable({
    write(chunk, _enc, cb) {
      lines.push(JSON.parse(chunk.toString()));
      cb();
    },
  });
  return { log: pino({ level: 'info' }, stream), lines };
}

const check = (ok: boolean) => ({ time: 0, ok, detail: ok ? 'status 200' : 'status 500' });

describe('ServerRegistry health', () => {
  let registry: ServerRegistry | undefined;
  afterEach(() => registry?.destroy());

  it('keeps state across re-acquire (a reload) and starts checked servers unknown', () => {
    const { log } = capture();
    registry = new ServerRegistry({ maxIdleSockets: 1, idleTimeout: 1000 }, log);
    const a = registry.acquire('s@f', 'http://a', true);
    expect(a).toMatchObject({ health: 'unknown', available: false });
    registry.reportCheck(a, check(true), { healthyThreshold: 3, unhealthyThreshold: 2 });
    expect(a).toMatchObject({ health: 'up', available: true });
    a.inFlight = 2;
    expect(registry.acquire('s@f', 'http://a', true)).toBe(a);
  });

  it('honours unhealthyThreshold and healthyThreshold, logging one line per transition', () => {
    const { log, lines } = capture();
    registry = new ServerRegistry({ maxIdleSockets: 1, idleTimeout: 1000 }, log);
    const a = registry.acquire('s@f', 'http://a', true);
    const policy = { healthyThreshold: 3, unhealthyThreshold: 2 };
    registry.reportCheck(a, check(true), policy);
    const version = registry.pool('s@f').version;
    registry.reportCheck(a, check(false), policy);
    expect(a.health).toBe('up');
    registry.reportCheck(a, check(false), policy);
    expect(a.health).toBe('down');
    expect(registry.pool('s@f').version).toBe(version + 1);
    registry.reportCheck(a, check(true), policy);
    registry.reportCheck(a, check(true), policy);
    expect(a.health).toBe('down');
    registry.reportCheck(a, check(true), policy);
    expect(a.health).toBe('up');
    const transitions = lines.filter((l) => typeof l['event'] === 'string').map((l) => l['event']);
    expect(transitions).toEqual(['up', 'down', 'up']);
    expect(lines.find((l) => l['event'] === 'down')!['msg']).toMatch(/health check failed 2x \(status 500\)/);
  });

  it('ejects after maxFailures within the window, and only then', () => {
    let now = 0;
    const { log, lines } = capture();
    registry = new ServerRegistry({ maxIdleSockets: 1, idleTimeout: 1000 }, log, () => now);
    const a = registry.acquire('s@f', 'http://a', false);
    const policy = { maxFailures: 3, failureWindow: 1000, ejectFor: 60_000 };
    registry.reportFailure(a, policy, 'ECONNREFUSED');
    now = 600;
    registry.reportFailure(a, policy, 'ECONNREFUSED');
    now = 1200; // the first failure fell out of the window
    registry.reportFailure(a, policy, 'ECONNREFUSED');
    expect(a.available).toBe(true);
    now = 1300;
    registry.reportFailure(a, policy, 'status 502');
    expect(a).toMatchObject({ available: false, ejectedUntil: 61_300 });
    expect(lines.at(-1)!['msg']).toMatch(/ejected for 60000 ms after 3 failures within 1000 ms \(last: status 502\)/);
    // An active check that passes ends the ejection early.
    registry.reportCheck(a, check(true), { healthyThreshold: 1, unhealthyThreshold: 1 });
    expect(a).toMatchObject({ available: true, ejectedUntil: 0 });
  });

  it('ends an ejection by itself after ejectFor', async () => {
    const { log } = capture();
    registry = new ServerRegistry({ maxIdleSockets: 1, idleTimeout: 1000 }, log);
    const a = registry.acquire('s@f', 'http://a', false);
    registry.reportFailure(a, { maxFailures: 1, failureWindow: 1000, ejectFor: 30 }, 'ECONNRESET');
    expect(a.available).toBe(false);
    const { waitFor } = await import('../../helpers/wait.js');
    await waitFor(() => a.available, 'the ejection to end');
    expect(a.ejectedUntil).toBe(0);
  });

  it('drains servers that left and releases them when idle', () => {
    const { log } = capture();
    registry = new ServerRegistry({ maxIdleSockets: 1, idleTimeout: 1000 }, log);
    const a = registry.acquire('s@f', 'http://a', false);
    const b = registry.acquire('s@f', 'http://b', false);
    a.inFlight = 1;
    registry.drain([a], []);
    expect(a.draining).toBe(true);
    expect(b.draining).toBe(false);
    expect(registry.states()).toContain(a);
    a.inFlight = 0;
    registry.releaseIfIdle(a);
    expect(registry.states()).not.toContain(a);
    // Coming back after release is a new server.
    expect(registry.acquire('s@f', 'http://a', false)).not.toBe(a);
  });

  it('makes a server\'s connection pool on first use, keeps it across re-acquire, and gives none once released', () => {
    const { log } = capture();
    registry = new ServerRegistry({ maxIdleSockets: 1, idleTimeout: 1000 }, log);
    const a = registry.acquire('s@f', 'http://127.0.0.1:1', false);
    expect(a.upstream).toBeUndefined();
    const upstream = registry.upstreamFor(a);
    expect(upstream).toBeDefined();
    expect(registry.upstreamFor(registry.acquire('s@f', 'http://127.0.0.1:1', false))).toBe(upstream);
    registry.drain([a], []);
    expect(registry.upstreamFor(a)).toBeUndefined();
    const again = registry.acquire('s@f', 'http://127.0.0.1:1', false);
    const fresh = registry.upstreamFor(again);
    expect(fresh).toBeDefined();
    expect(fresh).not.toBe(upstream);
  });

  it('a released server\'s ejection ends with it: the server acquired again under its key is not touched', () => {
    let now = 0;
    const { log } = capture();
    registry = new ServerRegistry({ maxIdleSockets: 1, idleTimeout: 1000 }, log, () => now);
    const policy = { maxFailures: 1, failureWindow: 1000, ejectFor: 60_000 };
    const a = registry.acquire('s@f', 'http://a', false);
    registry.reportFailure(a, policy, 'ECONNREFUSED');
    expect(a.ejectTimer).toBeDefined();
    registry.drain([a], []);
    expect(a.ejectTimer).toBeUndefined();
    const b = registry.acquire('s@f', 'http://a', false);
    now = 10;
    registry.reportFailure(b, policy, 'ECONNREFUSED');
    expect(b).toMatchObject({ available: false, ejectedUntil: 60_010 });
    expect(b.ejectTimer).toBeDefined();
  });
});
