import http from 'node:http';
import { afterEach, describe, expect, it } from 'vitest';
import { startBackend, startBackends, type Backend } from '../helpers/backends.js';
import { request } from '../helpers/http-client.js';
import { getService, Resources, sequential, tally, waitForNoInFlight } from '../helpers/proxy-harness.js';
import { ONE_PROCESS, singleService, startSwitchyard, type TestSwitchyard } from '../helpers/switchyard.js';
import { waitFor } from '../helpers/wait.js';

/** Load balancing through the proxy, counted by which backend answered. */

const res = new Resources();
afterEach(() => res.closeAll());

async function setup(names: string[], lb: Record<string, unknown>, weights?: number[]): Promise<{ sy: TestSwitchyard; backends: Backend[] }> {
  const backends = await startBackends(names);
  for (const b of backends) res.add(b);
  const sy = res.add(
    await startSwitchyard({
      dynamic: { 'app.yaml': singleService(backends.map((b) => b.url), { lb, ...(weights ? { weights } : {}) }) },
      api: true,
    }),
  );
  return { sy, backends };
}

describe('roundRobin', () => {
  it('weights 3:1 give exactly 300/100 over 400 sequential requests, smoothly interleaved', async () => {
    const { sy } = await setup(['a', 'b'], { strategy: 'roundRobin' }, [3, 1]);
    const bodies = await sequential(`${sy.url}/`, 400);
    expect(tally(bodies)).toEqual({ a: 300, b: 100 });
    // Smooth weighted round robin: every window of 4 consecutive answers holds exactly one b.
    for (let i = 0; i + 4 <= bodies.length; i++) {
      expect(bodies.slice(i, i + 4).filter((x) => x === 'b')).toHaveLength(1);
    }
  });

  it('equal weights rotate through every server in turn', async () => {
    const { sy } = await setup(['a', 'b', 'c'], { strategy: 'roundRobin' });
    const bodies = await sequential(`${sy.url}/`, 30);
    expect(tally(bodies)).toEqual({ a: 10, b: 10, c: 10 });
    for (let i = 0; i + 3 <= bodies.length; i++) expect(new Set(bodies.slice(i, i + 3)).size).toBe(3);
  });

  it('the default strategy is roundRobin, and `wrr` is its alias', async () => {
    const { sy } = await setup(['a', 'b'], { strategy: 'wrr' }, [3, 1]);
    expect((await getService(sy.apiUrl!)).strategy).toBe('roundRobin');
    expect(tally(await sequential(`${sy.url}/`, 40))).toEqual({ a: 30, b: 10 });
  });

  it('counts every served request in the admin API', async () => {
    const { sy, backends } = await setup(['a', 'b'], {}, [3, 1]);
    await sequential(`${sy.url}/`, 40);
    const view = await waitFor(async () => {
      const v = await getService(sy.apiUrl!);
      return v.servers.reduce((n, s) => n + s.served, 0) === 40 ? v : undefined;
    }, 'served counts to reach 40');
    expect(view.strategy).toBe('roundRobin');
    expect(view.servers.map((s) => [s.url, s.served])).toEqual([
      [backends[0]!.url, 30],
      [backends[1]!.url, 10],
    ]);
  });
});

describe('leastConn', () => {
  it('with a slow backend and concurrent clients, most requests go to the fast one', async () => {
    const fast = res.add(await startBackend('fast'));
    const slow = res.add(await startBackend('slow', { delayMs: 1000 }));
    const sy = res.add(
      await startSwitchyard({ dynamic: { 'app.yaml': singleService([slow.url, fast.url], { lb: { strategy: 'leastConn' } }) }, api: true }),
    );
    // 4 concurrent clients, 40 requests in all.
    let next = 0;
    const bodies: string[] = [];
    const worker = async (): Promise<void> => {
      const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
      try {
        while (next < 40) {
          next++;
          const reply = await request(`${sy.url}/`, { agent });
          expect(reply.status).toBe(200);
          bodies.push(reply.body);
        }
      } finally {
        agent.destroy();
      }
    };
    await Promise.all([worker(), worker(), worker(), worker()]);
    const counts = tally(bodies);
    expect(bodies).toHaveLength(40);
    // Round robin would give 20/20; least connections keeps the slow one at a few.
    expect(counts.fast ?? 0).toBeGreaterThanOrEqual(30);
    expect(counts.slow ?? 0).toBeLessThanOrEqual(10);
    await waitForNoInFlight(sy.apiUrl!);
  });

  it('a request held by one backend sends every following request to the other', async () => {
    const held: http.ServerResponse[] = [];
    const busy = res.add(
      await startBackend('busy', {
        // Holds the first request; answers any later one at once (so a wrong pick shows, not hangs).
        handler: (req, r) => {
          req.resume();
          if (held.length === 0) held.push(r);
          else r.end('busy');
        },
      }),
    );
    const idle = res.add(await startBackend('idle'));
    const sy = res.add(
      // The held request and the later ones (on other connections) must be counted by one process.
      await startSwitchyard({ dynamic: { 'app.yaml': singleService([busy.url, idle.url], { lb: { strategy: 'leastConn' } }) }, api: true, static: ONE_PROCESS }),
    );
    const agent = new http.Agent({ keepAlive: true });
    const pending: Array<Promise<{ body: string }>> = [];
    const answered: string[] = [];
    // Issue requests one by one until one is held by `busy` (at most a couple, ties rotate).
    for (let i = 0; i < 4 && held.length === 0; i++) {
      let done = false;
      const p = request(`${sy.url}/`, { agent });
      void p.then(() => (done = true));
      pending.push(p);
      await waitFor(() => held.length > 0 || done, 'request answered or held');
    }
    expect(held).toHaveLength(1);
    // From now on `busy` has one request in flight and `idle` none between requests.
    for (let i = 0; i < 20; i++) answered.push((await request(`${sy.url}/`, { agent })).body);
    expect(tally(answered)).toEqual({ idle: 20 });
    const view = await getService(sy.apiUrl!);
    expect(view.servers.find((s) => s.url === busy.url)!.inFlight).toBe(1);
    held[0]!.end('busy');
    const all = await Promise.all(pending);
    expect(all.map((r) => r.body).filter((b) => b === 'busy')).toHaveLength(1);
    await waitForNoInFlight(sy.apiUrl!);
    agent.destroy();
  });
});

describe('ipHash', () => {
  it('each client address always reaches the same backend, and addresses spread over several backends', async () => {
    const { sy } = await setup(['a', 'b', 'c'], { strategy: 'ipHash' });
    const byClient = new Map<string, string>();
    for (let i = 2; i < 22; i++) {
      const localAddress = `127.0.0.${i}`;
      const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
      const seen = new Set<string>();
      for (let k = 0; k < 5; k++) seen.add((await request(`${sy.url}/`, { localAddress, agent })).body);
      // A fresh connection from the same address lands on the same backend too.
      seen.add((await request(`${sy.url}/`, { localAddress, agent: false })).body);
      agent.destroy();
      expect([...seen], `client ${localAddress}`).toHaveLength(1);
      byClient.set(localAddress, [...seen][0]!);
    }
    const used = new Set(byClient.values());
    expect(used.size).toBeGreaterThan(1);
    for (const b of used) expect(['a', 'b', 'c']).toContain(b);
  });

  it('`hrw` is an alias of ipHash', async () => {
    const { sy } = await setup(['a', 'b', 'c'], { strategy: 'hrw' });
    expect((await getService(sy.apiUrl!)).strategy).toBe('ipHash');
    const bodies = await sequential(`${sy.url}/`, 10, { localAddress: '127.0.0.9' });
    expect(new Set(bodies).size).toBe(1);
  });
});

describe('random and p2c', () => {
  it.each(['random', 'p2c'])('%s spreads requests over every server', async (strategy) => {
    const { sy } = await setup(['a', 'b', 'c'], { strategy });
    const counts = tally(await sequential(`${sy.url}/`, 300));
    expect(Object.keys(counts).sort()).toEqual(['a', 'b', 'c']);
    // Expected 100 each; 40 is more than 6 standard deviations away.
    for (const n of Object.values(counts)) expect(n).toBeGreaterThan(40);
  });
});

describe('weight 0', () => {
  it.each(['roundRobin', 'leastConn', 'ipHash', 'random', 'p2c'])('%s never sends a request to a weight-0 server', async (strategy) => {
    const { sy } = await setup(['a', 'b', 'zero'], { strategy }, [1, 1, 0]);
    const bodies: string[] = [];
    for (let i = 0; i < 60; i++) {
      const localAddress = `127.0.0.${2 + (i % 30)}`;
      const reply = await request(`${sy.url}/`, { localAddress, agent: false });
      expect(reply.status).toBe(200);
      bodies.push(reply.body);
    }
    const counts = tally(bodies);
    expect(counts.zero).toBeUndefined();
    expect((counts.a ?? 0) + (counts.b ?? 0)).toBe(60);
    const view = await getService(sy.apiUrl!);
    expect(view.servers.find((s) => s.weight === 0)!.served).toBe(0);
  });
});
