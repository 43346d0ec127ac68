import { afterEach, describe, expect, it } from 'vitest';
import { apiServers, burst, shares, stateOf, waitForState, type Seen, observedBackends } from '../helpers/availability.js';
import { closedPort } from '../helpers/backends.js';
import type { ControlledBackend, Hit } from '../helpers/health-backend.js';
import { request } from '../helpers/http-client.js';
import { Resources } from '../helpers/proxy-harness.js';
import { singleService, startSwitchyard, type TestSwitchyard } from '../helpers/switchyard.js';
import { waitFor } from '../helpers/wait.js';

/** Passive health checking: real traffic failing ejects a server for a while. */

const res = new Resources();
afterEach(() => res.closeAll());

const seenOf = (h: Hit): Seen | undefined => h.seen as Seen | undefined;

const backends = (names: string[], getSy?: () => TestSwitchyard | undefined): Promise<ControlledBackend[]> => observedBackends(res, names, getSy);

async function proxy(urls: string[], lb: Record<string, unknown>, api = false): Promise<TestSwitchyard> {
  return res.add(await startSwitchyard({ dynamic: { 'app.yaml': singleService(urls, { lb }) }, api }));
}

/** Sequential GETs until `p` has received `n` requests; returns every reply's status. */
async function untilHits(sy: TestSwitchyard, p: ControlledBackend, n: number, max = 50): Promise<number[]> {
  const statuses: number[] = [];
  while (p.hits.length < n) {
    if (statuses.length >= max) throw new Error(`${p.name} got only ${p.hits.length} of ${n} requests in ${max}`);
    statuses.push((await request(sy.url)).status);
  }
  return statuses;
}

describe('passive health check', () => {
  it('ejects a server answering 500 after maxFailures, sends it nothing for ejectFor, then uses it again', async () => {
    let sy: TestSwitchyard | undefined;
    const [a, p] = await backends(['a', 'p'], () => sy);
    p!.traffic = 'fail';
    sy = await proxy([a!.url, p!.url], { passiveHealthCheck: { maxFailures: 3, failureWindow: '10s', ejectFor: '1500ms' } });
    const statuses = await untilHits(sy, p!, 3);
    // A 500 is an answer: passed on, not retried.
    expect(statuses.filter((s) => s === 500)).toHaveLength(3);
    const state = stateOf(sy, p!.url);
    expect(state.ejectedUntil).toBeGreaterThan(0);
    expect(state.available).toBe(false);
    expect(state.health).toBe('up');
    // Ejected: the next requests all go to a.
    const during = shares(await burst(sy.url, 20, 2));
    expect(during.a).toBeGreaterThan(0);
    expect(p!.hits.filter((h) => seenOf(h)?.ejected === true)).toEqual([]);

    p!.traffic = 'ok';
    await waitForState(sy, p!.url, (s) => s.ejectedUntil === 0 && s.available, 'the ejection to end', 10_000);
    expect(shares(await burst(sy.url, 10))).toEqual({ a: 5, p: 5 });
    // No request ever reached p while it was ejected.
    expect(p!.hits.filter((h) => seenOf(h)?.ejected === true)).toEqual([]);
  });

  it('failures spread wider than failureWindow do not eject', async () => {
    let sy: TestSwitchyard | undefined;
    const [a, p] = await backends(['a', 'p'], () => sy);
    p!.traffic = 'fail';
    const WINDOW = 800;
    sy = await proxy([a!.url, p!.url], { passiveHealthCheck: { maxFailures: 3, failureWindow: `${WINDOW}ms`, ejectFor: '30s' } });
    await untilHits(sy, p!, 2);
    const second = p!.hits[1]!.time;
    expect(stateOf(sy, p!.url).ejectedUntil).toBe(0);
    // Let the first two failures leave the window (a bounded wait on the clock, not on the proxy).
    await waitFor(() => Date.now() > second + WINDOW + 50, 'the failure window to pass', WINDOW + 2000);
    await untilHits(sy, p!, 4);
    expect(stateOf(sy, p!.url).ejectedUntil).toBe(0);
    expect(stateOf(sy, p!.url).failures.length).toBeLessThan(3);
  });

  it('ejects a server refusing connections; clients never see it thanks to retries', async () => {
    let sy: TestSwitchyard | undefined;
    const [a, b] = await backends(['a', 'b'], () => sy);
    const dead = `http://127.0.0.1:${await closedPort()}`;
    sy = await proxy([dead, a!.url, b!.url], { passiveHealthCheck: { maxFailures: 2, failureWindow: '10s', ejectFor: '30s' } });
    const first = await burst(sy.url, 12);
    expect(first.every((r) => r.status === 200)).toBe(true);
    const state = await sy.traffic(dead);
    expect(state.ejectedUntil).toBeGreaterThan(0);
    const attempts = state.served;
    // Exactly maxFailures in one process. With workers, each counts its own failures and the
    // first to eject tells the others, so another may have tried it too before it heard.
    expect(attempts).toBeGreaterThanOrEqual(2);
    expect(attempts).toBeLessThanOrEqual(2 * Math.max(1, sy.workers));
    const more = await burst(sy.url, 30, 3);
    const split = shares(more);
    // One process alternates exactly. Each worker alternates its own requests exactly, so with
    // N workers the two may differ by up to N (each worker's odd request may land on the same one).
    expect(Object.keys(split).sort()).toEqual(['a', 'b']);
    expect(split['a']! + split['b']!).toBe(30);
    expect(Math.abs(split['a']! - split['b']!)).toBeLessThanOrEqual(sy.workers > 1 ? sy.workers : 0);
    // Ejected: not even tried any more.
    expect((await sy.traffic(dead)).served).toBe(attempts);
  });

  it('an active check that passes ends an ejection early', async () => {
    let sy: TestSwitchyard | undefined;
    const [a, p] = await backends(['a', 'p'], () => sy);
    p!.traffic = 'fail';
    sy = await proxy([a!.url, p!.url], {
      healthCheck: { path: '/health', interval: '1s' },
      passiveHealthCheck: { maxFailures: 2, failureWindow: '10s', ejectFor: '60s' },
    });
    await waitForState(sy, p!.url, (s) => s.available, 'p up');
    await waitForState(sy, a!.url, (s) => s.available, 'a up');
    // Fail right after one of p's checks, so the ejection is in place before the next one.
    const checks = p!.checks.length;
    await waitFor(() => p!.checks.length > checks, 'a check of p', 5000, 2);
    await untilHits(sy, p!, 2);
    const ejectedAt = p!.hits[1]!.time;
    const state = stateOf(sy, p!.url);
    if (state.ejectedUntil === 0) {
      // Only if a check slipped in between: it must be what ended the ejection.
      expect(state.lastCheck!.time).toBeGreaterThanOrEqual(ejectedAt);
    } else {
      expect(state.ejectedUntil).toBeGreaterThanOrEqual(ejectedAt + 59_000);
    }
    p!.traffic = 'ok';
    const back = await waitForState(sy, p!.url, (s) => s.ejectedUntil === 0 && s.available, 'a passing check to end the ejection', 10_000);
    expect(back.lastCheck).toMatchObject({ ok: true });
    expect(back.lastCheck!.time).toBeGreaterThanOrEqual(ejectedAt);
    expect(shares(await burst(sy.url, 10))).toEqual({ a: 5, p: 5 });
    expect(p!.hits.filter((h) => seenOf(h)?.ejected === true)).toEqual([]);
  });

  it('the admin API shows each server\'s state, last check, failure count and ejection', async () => {
    let sy: TestSwitchyard | undefined;
    const [a, down, flaky] = await backends(['a', 'down', 'flaky'], () => sy);
    down!.health = 'fail';
    flaky!.traffic = 'fail';
    sy = await proxy(
      [a!.url, down!.url, flaky!.url],
      { healthCheck: { path: '/health', interval: '10s' }, passiveHealthCheck: { maxFailures: 2, failureWindow: '10s', ejectFor: '60s' } },
      true,
    );
    await waitForState(sy, down!.url, (s) => s.health === 'down', 'down to be down');
    await waitForState(sy, flaky!.url, (s) => s.available, 'flaky up');
    await untilHits(sy, flaky!, 1);
    const byUrl = async (): Promise<Record<string, Awaited<ReturnType<typeof apiServers>>[number]>> =>
      Object.fromEntries((await apiServers(sy!.apiUrl!)).map((v) => [v.url, v]));
    let view = await byUrl();
    expect(view[a!.url]).toMatchObject({ state: 'up', health: 'up', lastCheck: { ok: true, detail: 'status 200' }, failures: 0, ejectedUntil: null });
    expect(view[down!.url]).toMatchObject({ state: 'down', health: 'down', lastCheck: { ok: false, detail: 'status 500' }, ejectedUntil: null });
    expect(view[flaky!.url]).toMatchObject({ state: 'up', failures: 1, ejectedUntil: null });
    expect(Date.parse(view[a!.url]!.lastCheck!.time)).toBe(stateOf(sy, a!.url).lastCheck!.time);

    await untilHits(sy, flaky!, 2);
    view = await byUrl();
    expect(view[flaky!.url]).toMatchObject({ state: 'ejected', health: 'up', lastCheck: { ok: true } });
    expect(Date.parse(view[flaky!.url]!.ejectedUntil!)).toBe(stateOf(sy, flaky!.url).ejectedUntil);
    expect(Date.parse(view[flaky!.url]!.ejectedUntil!)).toBeGreaterThan(Date.now());
  });
});
