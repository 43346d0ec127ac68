import cluster from 'node:cluster';
import http from 'node:http';
import net from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import type { WebSocket } from 'ws';
import { apiServers } from '../helpers/availability.js';
import { startBackend } from '../helpers/backends.js';
import { startControlledBackend } from '../helpers/health-backend.js';
import { request } from '../helpers/http-client.js';
import { openWs, Resources, wsRoundTrip } from '../helpers/proxy-harness.js';
import { singleService, startSwitchyard, type TestSwitchyard } from '../helpers/switchyard.js';
import { waitFor } from '../helpers/wait.js';
import type { WorkerPool } from '../../src/cluster/worker-pool.js';

/**
 * `workers: 2`: this test process is the primary (providers, health checks, API, the listening
 * sockets) and forks two worker processes from dist/ that serve the traffic. The primary hands
 * each new connection to the worker with the fewest open ones, ties in turn, so fresh
 * connections reach both.
 */

const res = new Resources();
afterEach(() => res.closeAll());

async function twoWorkers(dynamic: object, extra: Record<string, unknown> = {}): Promise<TestSwitchyard> {
  return res.add(await startSwitchyard({ api: true, static: { workers: 2, ...extra }, dynamic: { 'app.yaml': dynamic } }));
}

const pool = (sy: TestSwitchyard): WorkerPool => sy.app.workers!;

const liveWorkers = (): number[] => Object.values(cluster.workers ?? {}).flatMap((w) => (w && !w.isDead() ? [w.process.pid!] : []));

/** `n` requests, each on its own connection, so they spread over the workers. */
async function fresh(url: string, n: number): Promise<string[]> {
  const bodies: string[] = [];
  for (let i = 0; i < n; i++) bodies.push((await request(url, { agent: false })).body);
  return bodies;
}

describe('workers', () => {
  it('each worker serves its own connections; a killed worker is replaced by one with the current config', async () => {
    const a = res.add(await startBackend('a'));
    const b = res.add(await startBackend('b'));
    const sy = await twoWorkers(singleService([a.url]));
    expect(liveWorkers()).toHaveLength(2);

    // Two WebSockets, two fresh connections: one lands in each worker.
    const wsUrl = sy.url.replace('http:', 'ws:');
    const sockets = [await openWs(wsUrl), await openWs(wsUrl)].map((o) => res.add({ close: async () => o.ws.terminate(), ws: o.ws }).ws);
    for (const ws of sockets) expect(await wsRoundTrip(ws, 'hi')).toBe('a:hi');

    // A config change while both run, then one worker dies.
    const version = sy.version();
    await sy.writeDynamic('app.yaml', singleService([b.url]));
    await waitFor(() => sy.version() > version, 'both workers to apply the new config');
    const closed = sockets.map(() => false);
    sockets.forEach((ws, i) => ws.once('close', () => (closed[i] = true)));
    const [victim] = liveWorkers();
    process.kill(victim!, 'SIGKILL');

    // Only the dead worker's connection broke; the other WebSocket still works.
    await waitFor(() => closed.filter(Boolean).length === 1, 'the dead worker\'s WebSocket to close');
    const survivor = sockets[closed.indexOf(false)]!;
    expect(await wsRoundTrip(survivor, 'still')).toBe('a:still');

    // The replacement takes connections again, and starts with the config current now, not
    // the one at start-up. It holds none and the survivor holds one (its WebSocket), so the
    // next connection goes to the replacement: its answer is b.
    await waitFor(() => liveWorkers().length === 2 && pool(sy).openConnections().size === 2, 'a replacement worker to take connections');
    const { ws: third } = await openWs(wsUrl);
    res.add({ close: async () => void third.terminate() });
    expect(await wsRoundTrip(third, 'new')).toBe('b:new');
    expect([...pool(sy).openConnections().values()]).toEqual([1, 1]);
    expect(await fresh(sy.url, 6)).toEqual(Array(6).fill('b'));
  });

  it('a burst of connections splits evenly over the workers', async () => {
    // What a client pool (wrk -c64, a browser's six) does: open many connections at once.
    // node:cluster's own hand-out split such bursts 25/39, even 18/46.
    const a = res.add(await startBackend('a'));
    const sy = await twoWorkers(singleService([a.url]));
    const wsUrl = sy.url.replace('http:', 'ws:');
    const burst = async (): Promise<WebSocket[]> => {
      const opened = await Promise.all(Array.from({ length: 20 }, () => openWs(wsUrl)));
      const list = opened.map((o) => res.add({ close: async () => o.ws.terminate(), ws: o.ws }).ws);
      for (const ws of list) expect(await wsRoundTrip(ws, 'hi')).toBe('a:hi');
      return list;
    };
    // The workers report closes: once the first pool is gone both count zero again, and the
    // next pool splits evenly too (were closes not counted, all of it would go to one worker).
    const first = await burst();
    expect([...pool(sy).openConnections().values()]).toEqual([10, 10]);
    for (const ws of first) ws.terminate();
    await waitFor(() => [...pool(sy).openConnections().values()].every((n) => n === 0), 'both workers to report their closes');
    const sockets = await burst();
    expect(a.webSockets).toBe(20);

    // Seen from outside: killing one worker breaks exactly its half.
    let closed = 0;
    for (const ws of sockets) ws.once('close', () => closed++);
    process.kill(liveWorkers()[0]!, 'SIGKILL');
    await waitFor(() => closed >= 10, 'the dead worker\'s WebSockets to close');
    await waitFor(() => a.webSockets === 10, 'the backend to see them go');
    expect(closed).toBe(10);
  });

  it('health is checked once, in the primary, and every worker follows it', async () => {
    const a = res.add(await startControlledBackend('a'));
    const b = res.add(await startControlledBackend('b', { health: 'fail' }));
    const sy = await twoWorkers(singleService([a.url, b.url], { lb: { healthCheck: { path: '/health', interval: '100ms' } } }));
    expect((await apiServers(sy.apiUrl!)).map((s) => s.health)).toEqual(['up', 'down']);
    expect(await fresh(sy.url, 8)).toEqual(Array(8).fill('a'));
    expect(b.hits).toHaveLength(0);

    b.health = 'pass';
    await waitFor(async () => (await apiServers(sy.apiUrl!))[1]!.health === 'up', 'b to pass its check');
    // Both workers learned it: with round robin in each, eight fresh connections reach b too.
    await waitFor(async () => (await fresh(sy.url, 8)).filter((body) => body === 'b').length >= 4, 'traffic to b from both workers');
    // One checker (the primary's), not one per worker: checks are at least 100 ms apart, which
    // two checkers' interleaved checks would not be.
    const span = b.checks.at(-1)!.time - b.checks[0]!.time;
    expect(b.checks.length).toBeLessThanOrEqual(Math.ceil(span / 100) + 2);
  });

  it('an ejection caused by one worker\'s traffic applies in every worker', async () => {
    const a = res.add(await startControlledBackend('a'));
    const b = res.add(await startControlledBackend('b', { traffic: 'fail' }));
    const sy = await twoWorkers(
      singleService([a.url, b.url], { lb: { retries: 0, passiveHealthCheck: { maxFailures: 2, failureWindow: '10s', ejectFor: '30s' } } }),
    );
    // One keep-alive connection: one worker sees both failures and ejects b.
    const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
    res.add({ close: async () => agent.destroy() });
    const statuses: number[] = [];
    for (let i = 0; i < 4; i++) statuses.push((await request(sy.url, { agent })).status);
    expect(statuses.filter((s) => s === 500)).toHaveLength(2);
    await waitFor(async () => (await apiServers(sy.apiUrl!))[1]!.state === 'ejected', 'the primary to know of the ejection');

    // Fresh connections reach both workers: none of them sends anything to b any more.
    const before = b.hits.length;
    expect(await fresh(sy.url, 10)).toEqual(Array(10).fill('a'));
    expect(b.hits.length).toBe(before);
  });

  it('the admin API adds up every worker\'s counts', async () => {
    const a = res.add(await startBackend('a'));
    const sy = await twoWorkers(singleService([a.url]));
    await fresh(sy.url, 10);
    await waitFor(async () => (await apiServers(sy.apiUrl!))[0]!.served === 10, 'served to add up to 10 over both workers');
    expect((await apiServers(sy.apiUrl!))[0]!.inFlight).toBe(0);
  });

  it('stopping lets a request in flight in a worker finish, then the workers exit', async () => {
    const a = res.add(await startControlledBackend('a', { traffic: 'hold' }));
    const sy = await startSwitchyard({ static: { workers: 2 }, dynamic: { 'app.yaml': singleService([a.url]) } });
    const reply = request(sy.url, { agent: false });
    await waitFor(() => a.held === 1, 'the request to reach the backend');
    const stopped = sy.close();
    // Stopping has begun: the workers no longer accept new connections…
    await waitFor(
      () =>
        new Promise<boolean>((resolve) => {
          const s = net.connect(sy.port, '127.0.0.1');
          s.once('connect', () => (s.destroy(), resolve(false)));
          s.once('error', () => resolve(true));
        }),
      'new connections to be refused',
    );
    // …and the one in flight still gets its answer.
    a.release();
    expect((await reply).status).toBe(200);
    await stopped;
    expect(liveWorkers()).toHaveLength(0);
  });

  it('stopping while a replacement worker starts stops it too, without waiting for it', async () => {
    const a = res.add(await startBackend('a'));
    const sy = await startSwitchyard({ static: { workers: 2 }, dynamic: { 'app.yaml': singleService([a.url]) } });
    const exits: Array<string | null> = [];
    const onExit = (_w: unknown, _code: number, signal: string | null): number => exits.push(signal);
    cluster.on('exit', onExit);
    res.add({ close: async () => void cluster.off('exit', onExit) });
    const forked = new Promise<void>((resolve) => cluster.once('fork', () => resolve()));
    process.kill(liveWorkers()[0]!, 'SIGKILL');
    await forked;
    // The replacement may not even listen for messages yet: a drain request would be lost on
    // it, and the stop would wait for it until the kill deadline (graceTimeout + 5 s).
    await sy.close();
    expect(exits).toHaveLength(3);
    expect(exits.filter((signal) => signal === 'SIGKILL')).toHaveLength(1); // the one the test killed
    expect(liveWorkers()).toHaveLength(0);
  });

  it('a taken port fails the start, naming the address, and leaves no worker behind', async () => {
    const blocker = net.createServer();
    await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', resolve));
    res.add({ close: () => new Promise<void>((r) => blocker.close(() => r())) });
    const port = (blocker.address() as net.AddressInfo).port;
    await expect(startSwitchyard({ static: { workers: 2, entryPoints: { web: { address: `127.0.0.1:${port}` } } } })).rejects.toThrow(/EADDRINUSE|in use/);
    await waitFor(() => liveWorkers().length === 0, 'the workers to exit');
  });
});
