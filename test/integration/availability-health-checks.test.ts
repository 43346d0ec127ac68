import { afterEach, describe, expect, it } from 'vitest';
import { stateOf, shares, burst, startLoad, waitForState, type Seen, observedBackends } from '../helpers/availability.js';
import { closedPort } from '../helpers/backends.js';
import { gapsWhere, type ControlledBackend, type Hit } from '../helpers/health-backend.js';
import { request } from '../helpers/http-client.js';
import { Resources } from '../helpers/proxy-harness.js';
import { singleService, startSwitchyard, type TestSwitchyard } from '../helpers/switchyard.js';
import { waitFor } from '../helpers/wait.js';

/**
 * Active health checks against real backends: thresholds and intervals (measured from the
 * check requests each backend records, never by sleeping), check options, TCP mode, timeouts,
 * reloads that keep health state and schedules, new servers, all-down and panic mode.
 */

const res = new Resources();
afterEach(() => res.closeAll());

const seenOf = (h: Hit): Seen | undefined => h.seen as Seen | undefined;
const healthAt = (h: Hit): string | undefined => seenOf(h)?.health;

const backends = (names: string[], getSy?: () => TestSwitchyard | undefined): Promise<ControlledBackend[]> => observedBackends(res, names, getSy);

async function proxy(urls: string[], lb: Record<string, unknown>): Promise<TestSwitchyard> {
  return res.add(await startSwitchyard({ dynamic: { 'app.yaml': singleService(urls, { lb }) } }));
}

/** Requests a down server received (it must get none). */
const trafficWhileUnavailable = (b: ControlledBackend): Hit[] => b.hits.filter((h) => seenOf(h)?.available === false);

describe('active HTTP health check', () => {
  it('marks a server down after exactly unhealthyThreshold failures, up after healthyThreshold passes, and checks at unhealthyInterval while down', async () => {
    let sy: TestSwitchyard | undefined;
    const [a, b] = await backends(['a', 'b'], () => sy);
    const INTERVAL = 50;
    const UNHEALTHY_INTERVAL = 250;
    sy = await proxy([a!.url, b!.url], {
      healthCheck: { path: '/health', interval: `${INTERVAL}ms`, unhealthyInterval: `${UNHEALTHY_INTERVAL}ms`, timeout: '2s', unhealthyThreshold: 3, healthyThreshold: 2 },
    });
    await waitForState(sy, a!.url, (s) => s.available, 'a to pass its first check');
    await waitForState(sy, b!.url, (s) => s.available, 'b to pass its first check');
    // A few checks while up, then /health starts failing.
    await waitFor(() => b!.checks.filter((h) => healthAt(h) === 'up').length >= 4, 'b to be checked while up');
    const upTraffic = shares(await burst(sy.url, 10));
    expect(upTraffic).toEqual({ a: 5, b: 5 });

    b!.health = 'fail';
    const failFrom = b!.checks.length;
    const down = await waitForState(sy, b!.url, (s) => s.health === 'down', 'b to be marked down');
    // Exactly three failing checks made it: none more arrived (the next is unhealthyInterval away),
    // and the first three each arrived while b was still up.
    const failing = b!.checks.slice(failFrom);
    expect(failing.map(healthAt)).toEqual(['up', 'up', 'up']);
    expect(down.checkFailures).toBe(3);
    expect(down.available).toBe(false);
    expect(down.lastCheck).toMatchObject({ ok: false, detail: 'status 500' });

    // While down: no traffic at all.
    const before = b!.hits.length;
    const downTraffic = shares(await burst(sy.url, 20, 4));
    expect(downTraffic).toEqual({ a: 20 });
    expect(b!.hits.length).toBe(before);

    // While down the checks come at unhealthyInterval (5x the interval: the gap proves which one is used).
    await waitFor(() => b!.checks.filter((h) => healthAt(h) === 'down').length >= 4, 'b to be checked while down', 10_000);
    const downGaps = gapsWhere(b!.checks, (s) => (s as Seen | undefined)?.health === 'down');
    expect(downGaps.length).toBeGreaterThanOrEqual(3);
    for (const gap of downGaps) expect(gap).toBeGreaterThanOrEqual(0.8 * UNHEALTHY_INTERVAL);
    const upGaps = gapsWhere(b!.checks, (s) => (s as Seen | undefined)?.health === 'up');
    for (const gap of upGaps) expect(gap).toBeGreaterThanOrEqual(0.8 * INTERVAL);

    b!.health = 'pass';
    const passFrom = b!.checks.length;
    const up = await waitForState(sy, b!.url, (s) => s.health === 'up', 'b to come back', 10_000);
    // Two passes needed: both arrived while b was still down.
    expect(b!.checks.slice(passFrom).map(healthAt)).toEqual(['down', 'down']);
    expect(up.available).toBe(true);
    expect(up.lastCheck).toMatchObject({ ok: true, detail: 'status 200' });
    const backTraffic = shares(await burst(sy.url, 10));
    expect(backTraffic).toEqual({ a: 5, b: 5 });
    expect(trafficWhileUnavailable(b!)).toEqual([]);
  });

  it('sends the configured method, path, Host and headers, and accepts only the configured status', async () => {
    let sy: TestSwitchyard | undefined;
    const [a] = await backends(['a'], () => sy);
    a!.passStatus = 200;
    sy = await proxy([a!.url], {
      healthCheck: { path: '/healthz', method: 'head', hostname: 'app.internal', headers: { 'X-Check': 1, 'X-Env': 'test' }, status: 204, interval: '50ms' },
    });
    // 200 is not the configured 204: the check fails.
    const down = await waitForState(sy, a!.url, (s) => s.health === 'down', 'a 200 to fail a check expecting 204');
    expect(down.lastCheck).toMatchObject({ ok: false, detail: 'status 200' });
    expect((await request(sy.url)).status).toBe(503);
    expect(a!.hits).toEqual([]);

    a!.passStatus = 204;
    const up = await waitForState(sy, a!.url, (s) => s.health === 'up', 'a 204 to pass');
    expect(up.lastCheck).toMatchObject({ ok: true, detail: 'status 204' });
    expect((await request(sy.url)).body).toBe('a');

    for (const check of a!.checks) {
      expect(check.method).toBe('HEAD');
      expect(check.path).toBe('/healthz');
      expect(check.headers.host).toBe('app.internal');
      expect(check.headers['x-check']).toBe('1');
      expect(check.headers['x-env']).toBe('test');
    }
  });

  it('checks the configured port instead of the server port', async () => {
    let sy: TestSwitchyard | undefined;
    const [app, monitor] = await backends(['app', 'monitor'], () => sy);
    monitor!.health = 'fail';
    sy = await proxy([app!.url], { healthCheck: { path: '/health', port: monitor!.port, interval: '50ms' } });
    await waitForState(sy, app!.url, (s) => s.health === 'down', 'app to be down by its monitor port');
    expect((await request(sy.url)).status).toBe(503);
    monitor!.health = 'pass';
    await waitForState(sy, app!.url, (s) => s.health === 'up', 'app to be up by its monitor port');
    expect((await request(sy.url)).body).toBe('app');
    expect(app!.checks).toEqual([]);
    expect(monitor!.checks.length).toBeGreaterThanOrEqual(2);
    expect(monitor!.hits).toEqual([]);
  });

  it('a /health that never answers counts as a failure after the timeout', async () => {
    let sy: TestSwitchyard | undefined;
    const [a, b] = await backends(['a', 'b'], () => sy);
    sy = await proxy([a!.url, b!.url], { healthCheck: { path: '/health', interval: '50ms', timeout: '200ms' } });
    await waitForState(sy, b!.url, (s) => s.health === 'up', 'b up');
    b!.health = 'hang';
    const hangFrom = b!.checks.length;
    const down = await waitForState(sy, b!.url, (s) => s.health === 'down', 'b down by timeout');
    expect(down.lastCheck).toMatchObject({ ok: false, detail: 'timeout after 200 ms' });
    // The check did reach b: it is the missing answer that failed it, not a refused connection.
    expect(b!.checks.length).toBeGreaterThan(hangFrom);
    expect(shares(await burst(sy.url, 6))).toEqual({ a: 6 });
    b!.health = 'pass';
    await waitForState(sy, b!.url, (s) => s.health === 'up', 'b back up');
    expect(trafficWhileUnavailable(b!)).toEqual([]);
  });
});

describe('active TCP health check', () => {
  it('marks a closed port down and a listening one up; a listener that closes goes down', async () => {
    let sy: TestSwitchyard | undefined;
    const [open] = await backends(['open'], () => sy);
    const closed = `http://127.0.0.1:${await closedPort()}`;
    sy = await proxy([closed, open!.url], { healthCheck: { mode: 'tcp', interval: '50ms', timeout: '500ms' } });
    const closedState = await waitForState(sy, closed, (s) => s.health === 'down', 'the closed port to be down');
    expect(closedState.lastCheck).toMatchObject({ ok: false, detail: 'ECONNREFUSED' });
    const openState = await waitForState(sy, open!.url, (s) => s.health === 'up', 'the listening port to be up');
    expect(openState.lastCheck).toMatchObject({ ok: true, detail: 'connected' });
    // A TCP check sends no HTTP request.
    expect(open!.checks).toEqual([]);
    const replies = await burst(sy.url, 10, 2);
    expect(shares(replies)).toEqual({ open: 10 });

    await open!.close();
    await waitForState(sy, open!.url, (s) => s.health === 'down', 'the closed listener to be down');
    const reply = await request(sy.url);
    expect(reply.status).toBe(503);
  });
});

describe('health state across reloads and new servers', () => {
  it('a reload while a server is down keeps it down, keeps its check schedule, and sends it nothing', async () => {
    let sy: TestSwitchyard | undefined;
    const [a, b, c] = await backends(['a', 'b', 'c'], () => sy);
    b!.health = 'fail';
    const UNHEALTHY_INTERVAL = 400;
    const lb = { healthCheck: { path: '/health', interval: '50ms', unhealthyInterval: `${UNHEALTHY_INTERVAL}ms` } };
    sy = await proxy([a!.url, b!.url], lb);
    const downState = await waitForState(sy, b!.url, (s) => s.health === 'down', 'b down');
    await waitForState(sy, a!.url, (s) => s.available, 'a up');
    const load = startLoad(sy.url, 3);
    try {
      // Reload right after one of b's checks, so a schedule reset would show as a short gap.
      const seen = b!.checks.length;
      await waitFor(() => b!.checks.length > seen, 'a check of b', 5000, 2);
      const lastBefore = b!.checks.at(-1)!.time;
      const version = sy.version();
      await sy.writeDynamic('app.yaml', singleService([a!.url, b!.url, c!.url], { lb: { ...lb, retries: 2 } }));
      await waitFor(() => sy!.version() > version, 'the reload');
      const reloadedAt = Date.now();
      await waitFor(() => b!.checks.filter((h) => h.time > reloadedAt).length >= 2, 'b to be checked after the reload', 10_000);
      await waitFor(() => load.result.byBackend.c !== undefined, 'c to get traffic');
      // Same state object, still down, never routed to.
      const after = stateOf(sy, b!.url);
      expect(after).toBe(downState);
      expect(after.health).toBe('down');
      expect(after.available).toBe(false);
      const firstAfter = b!.checks.find((h) => h.time > lastBefore)!;
      expect(firstAfter.time - lastBefore).toBeGreaterThanOrEqual(0.8 * UNHEALTHY_INTERVAL);
      for (const gap of gapsWhere(b!.checks, () => true)) expect(gap).toBeGreaterThanOrEqual(0.8 * UNHEALTHY_INTERVAL);
    } finally {
      load.stop();
    }
    const result = await load.done;
    expect(result.failures).toEqual([]);
    expect(b!.hits).toEqual([]);
    expect(result.byBackend.b).toBeUndefined();
    expect(result.byBackend.a).toBeGreaterThan(0);
  });

  it('a server added to a checked pool gets no traffic until its first check passes', async () => {
    let sy: TestSwitchyard | undefined;
    const [a, d] = await backends(['a', 'd'], () => sy);
    d!.health = 'fail';
    const lb = { healthCheck: { path: '/health', interval: '100ms', unhealthyInterval: '50ms' } };
    sy = await proxy([a!.url], lb);
    await waitForState(sy, a!.url, (s) => s.available, 'a up');
    const load = startLoad(sy.url, 3);
    try {
      await sy.writeDynamic('app.yaml', singleService([a!.url, d!.url], { lb }));
      await waitFor(() => d!.checks.length >= 3, 'd to be checked a few times');
      expect(stateOf(sy, d!.url).health).toBe('down');
      expect(d!.hits).toEqual([]);
      d!.health = 'pass';
      await waitForState(sy, d!.url, (s) => s.available, 'd to pass a check');
      await waitFor(() => d!.hits.length >= 5, 'd to get traffic');
    } finally {
      load.stop();
    }
    const result = await load.done;
    expect(result.failures).toEqual([]);
    // Every request d got arrived after it was known to be healthy.
    expect(d!.hits.every((h) => seenOf(h)?.available === true)).toBe(true);
    expect(d!.hits.length).toBe(result.byBackend.d);
  });
});

describe('no server available', () => {
  it('answers 503 at once when every server is down, sending nothing upstream', async () => {
    let sy: TestSwitchyard | undefined;
    const [a, b] = await backends(['a', 'b'], () => sy);
    a!.health = 'fail';
    b!.health = 'fail';
    sy = await proxy([a!.url, b!.url], { healthCheck: { path: '/health', interval: '50ms' } });
    await waitForState(sy, a!.url, (s) => s.health === 'down', 'a down');
    await waitForState(sy, b!.url, (s) => s.health === 'down', 'b down');
    const replies = await burst(sy.url, 10, 5);
    for (const r of replies) {
      expect(r.status).toBe(503);
      expect(r.body).toContain('no server of service app@file');
    }
    expect(a!.hits).toEqual([]);
    expect(b!.hits).toEqual([]);
  });

  it('below panicThreshold balances over every server; above it only over available ones', async () => {
    let sy: TestSwitchyard | undefined;
    const list = await backends(['a', 'b', 'c', 'd'], () => sy);
    for (const b of list.slice(1)) b.health = 'fail';
    const urls = list.map((b) => b.url);
    const healthCheck = { path: '/health', interval: '50ms' };
    sy = await proxy(urls, { healthCheck, panicThreshold: 50 });
    await waitForState(sy, urls[0]!, (s) => s.health === 'up', 'a up');
    for (const u of urls.slice(1)) await waitForState(sy, u, (s) => s.health === 'down', `${u} down`);
    // 1 of 4 available = 25% < 50%: panic, round robin over all four.
    const panicked = shares(await burst(sy.url, 40));
    expect(Object.keys(panicked).sort()).toEqual(['a', 'b', 'c', 'd']);
    for (const n of Object.values(panicked)) expect(n).toBeGreaterThanOrEqual(8);
    expect((await sy.app.liveStats()).panic.has('app@file')).toBe(true);

    const version = sy.version();
    await sy.writeDynamic('app.yaml', singleService(urls, { lb: { healthCheck, panicThreshold: 20 } }));
    await waitFor(() => sy!.version() > version, 'the reload');
    // 25% >= 20%: no panic; the reload kept the health state, so only a gets traffic.
    expect(shares(await burst(sy.url, 20))).toEqual({ a: 20 });
    expect((await sy.app.liveStats()).panic.has('app@file')).toBe(false);
  });
});
