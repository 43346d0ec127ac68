import http from 'node:http';
import net from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { closedPort, startBackend, startBackends, type Backend } from '../helpers/backends.js';
import { request } from '../helpers/http-client.js';
import {
  closeWs,
  getService,
  openWs,
  Resources,
  tally,
  waitForNoInFlight,
  wsRejected,
  wsRoundTrip,
  type OpenWs,
} from '../helpers/proxy-harness.js';
import { ONE_PROCESS, singleService, startSwitchyard, type TestSwitchyard } from '../helpers/switchyard.js';
import { waitFor } from '../helpers/wait.js';

/** WebSockets through the proxy with the `ws` client. */

const res = new Resources();
afterEach(() => res.closeAll());

async function setup(names: string[], lb: Record<string, unknown> = {}, staticConfig: Record<string, unknown> = {}): Promise<{ sy: TestSwitchyard; backends: Backend[] }> {
  const backends = await startBackends(names);
  for (const b of backends) res.add(b);
  const sy = res.add(await startSwitchyard({ dynamic: { 'app.yaml': singleService(backends.map((b) => b.url), { lb }) }, api: true, static: staticConfig }));
  return { sy, backends };
}

const wsUrl = (sy: TestSwitchyard, path = '/chat'): string => `ws://127.0.0.1:${sy.port}${path}`;

/** Opens a WebSocket and registers it for closing after the test. */
async function open(url: string, headers: Record<string, string> = {}): Promise<OpenWs> {
  const o = await openWs(url, headers);
  res.add({ close: () => closeWs(o.ws) });
  return o;
}

/** Which backend holds this connection (its echo prefix). */
async function backendOf(o: OpenWs): Promise<string> {
  const answer = await wsRoundTrip(o.ws, 'who');
  return answer.slice(0, answer.indexOf(':'));
}

describe('WebSocket proxying', () => {
  it('echoes messages through the proxy', async () => {
    const { sy } = await setup(['a']);
    const o = await open(wsUrl(sy));
    expect(await wsRoundTrip(o.ws, 'hello')).toBe('a:hello');
    expect(await wsRoundTrip(o.ws, 'x'.repeat(100_000))).toBe(`a:${'x'.repeat(100_000)}`);
    expect(await wsRoundTrip(o.ws, 'again')).toBe('a:again');
  });

  it('the upgrade request reaches the backend with its path and forwarded headers', async () => {
    const { sy, backends } = await setup(['a']);
    const o = await open(wsUrl(sy, '/chat/room?id=7'));
    await wsRoundTrip(o.ws, 'hi');
    const upgrade = backends[0]!.requests.at(-1)!;
    expect(upgrade.url).toBe('/chat/room?id=7');
    expect(upgrade.headers['upgrade']?.toLowerCase()).toBe('websocket');
    expect(upgrade.headers['x-forwarded-for']).toBe('127.0.0.1');
    expect(upgrade.headers['x-forwarded-proto']).toBe('ws');
    expect(upgrade.headers['x-real-ip']).toBe('127.0.0.1');
  });

  it('roundRobin balances connections over two backends', async () => {
    // Each new connection goes to the next server: one cursor, so one process.
    const { sy } = await setup(['a', 'b'], { strategy: 'roundRobin' }, ONE_PROCESS);
    const seen: string[] = [];
    for (let i = 0; i < 6; i++) {
      const o = await open(wsUrl(sy));
      seen.push(await backendOf(o));
    }
    expect(tally(seen)).toEqual({ a: 3, b: 3 });
    for (let i = 0; i + 2 <= seen.length; i++) expect(seen[i]).not.toBe(seen[i + 1]);
  });

  it('many messages on several concurrent connections each stay on their backend', async () => {
    const { sy } = await setup(['a', 'b']);
    const conns = await Promise.all([0, 1, 2, 3].map(() => open(wsUrl(sy))));
    const owners = await Promise.all(conns.map(backendOf));
    await Promise.all(
      conns.map(async (o, i) => {
        for (let k = 0; k < 20; k++) expect(await wsRoundTrip(o.ws, `m${i}-${k}`)).toBe(`${owners[i]}:m${i}-${k}`);
      }),
    );
  });
});

describe('sticky cookie on upgrade', () => {
  const cookie = { name: 'sy_ws', sameSite: 'lax' };

  it('the 101 response sets the cookie, and an upgrade with it always reaches the same backend', async () => {
    const { sy } = await setup(['a', 'b'], { strategy: 'roundRobin', sticky: { cookie } });
    const first = await open(wsUrl(sy));
    const setCookie = first.upgrade.headers['set-cookie'];
    expect(setCookie).toHaveLength(1);
    expect(setCookie![0]).toMatch(/^sy_ws=[0-9a-f]{16}; Path=\/; HttpOnly; SameSite=Lax$/);
    const owner = await backendOf(first);
    const pair = setCookie![0]!.split(';')[0]!;
    for (let i = 0; i < 5; i++) {
      const o = await open(wsUrl(sy), { Cookie: pair });
      expect(o.upgrade.headers['set-cookie']).toBeUndefined();
      expect(await backendOf(o)).toBe(owner);
    }
  });

  it('a cookie from an HTTP response pins the WebSocket to the same backend', async () => {
    const { sy } = await setup(['a', 'b'], { strategy: 'roundRobin', sticky: { cookie } });
    for (let i = 0; i < 2; i++) {
      const reply = await request(`${sy.url}/`);
      const pair = reply.headers['set-cookie']![0]!.split(';')[0]!;
      for (let k = 0; k < 3; k++) {
        const o = await open(wsUrl(sy), { Cookie: pair });
        expect(await backendOf(o)).toBe(reply.body);
      }
    }
  });
});

describe('WebSockets count as connections', () => {
  it('leastConn sends HTTP requests to the other backend while a WebSocket is open', async () => {
    // The WebSocket and the requests must be counted by the same process.
    const { sy, backends } = await setup(['a', 'b'], { strategy: 'leastConn' }, ONE_PROCESS);
    const o = await open(wsUrl(sy));
    const owner = await backendOf(o);
    const other = owner === 'a' ? 'b' : 'a';
    const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
    const bodies: string[] = [];
    for (let i = 0; i < 10; i++) bodies.push((await request(`${sy.url}/`, { agent })).body);
    expect(tally(bodies)).toEqual({ [other]: 10 });

    // Once the WebSocket closes, both backends take requests again.
    await closeWs(o.ws);
    await waitForNoInFlight(sy.apiUrl!);
    const after: string[] = [];
    for (let i = 0; i < 10; i++) after.push((await request(`${sy.url}/`, { agent })).body);
    expect(Object.keys(tally(after)).sort()).toEqual(['a', 'b']);
    agent.destroy();
    expect(backends.every((b) => b.webSockets === 0)).toBe(true);
  });

  it('the admin API shows open WebSockets and in-flight counts, back to 0 after close', async () => {
    const { sy, backends } = await setup(['a', 'b'], { strategy: 'roundRobin' });
    const o1 = await open(wsUrl(sy));
    const o2 = await open(wsUrl(sy));
    const o3 = await open(wsUrl(sy));
    const owners = [await backendOf(o1), await backendOf(o2), await backendOf(o3)];
    const urlOf = (name: string): string => backends.find((b) => b.name === name)!.url;
    const expected = (name: string): number => owners.filter((x) => x === name).length;

    const view = await getService(sy.apiUrl!, 'app@file');
    for (const name of ['a', 'b']) {
      const s = view.servers.find((v) => v.url === urlOf(name))!;
      expect(s.webSockets, name).toBe(expected(name));
      expect(s.inFlight, name).toBe(expected(name));
    }
    expect(view.servers.reduce((n, s) => n + s.webSockets, 0)).toBe(3);

    await closeWs(o1.ws);
    await waitFor(async () => (await getService(sy.apiUrl!)).servers.reduce((n, s) => n + s.webSockets, 0) === 2, 'one WebSocket fewer');
    // The backend closing its side counts too.
    for (const b of backends) await b.close().catch(() => undefined);
    const idle = await waitForNoInFlight(sy.apiUrl!);
    expect(idle.find((s) => s.name === 'app@file')!.servers.every((s) => s.inFlight === 0 && s.webSockets === 0)).toBe(true);
    expect(o2.ws.readyState === o2.ws.CLOSED || o2.ws.readyState === o2.ws.CLOSING).toBe(true);
  });
});

describe('failed upgrades', () => {
  it('an upgrade to a dead server gets 502, nothing leaks, and the proxy keeps serving', async () => {
    const live = res.add(await startBackend('live'));
    const dead = `http://127.0.0.1:${await closedPort()}`;
    const sy = res.add(
      await startSwitchyard({
        dynamic: {
          'app.yaml': {
            http: {
              routers: {
                dead: { rule: 'PathPrefix(`/dead`)', service: 'dead' },
                live: { rule: 'PathPrefix(`/live`)', service: 'live' },
              },
              services: {
                dead: { loadBalancer: { servers: [{ url: dead }] } },
                live: { loadBalancer: { servers: [{ url: live.url }] } },
              },
            },
          },
        },
        api: true,
      }),
    );
    for (let i = 0; i < 3; i++) {
      const rejected = await wsRejected(wsUrl(sy, '/dead/ws'));
      expect(rejected.status).toBe(502);
      expect(rejected.body).toBe('Bad Gateway\n');
    }
    const o = await open(wsUrl(sy, '/live/ws'));
    expect(await wsRoundTrip(o.ws, 'still')).toBe('live:still');
    expect((await request(`${sy.url}/live`)).body).toBe('live');
    await closeWs(o.ws);
    const views = await waitForNoInFlight(sy.apiUrl!);
    expect(views.find((v) => v.name === 'dead@file')!.servers[0]!.served).toBe(3);
  });

  it('an upgrade that matches no router gets 404', async () => {
    const live = res.add(await startBackend('live'));
    const sy = res.add(
      await startSwitchyard({ dynamic: { 'app.yaml': singleService([live.url], { rule: 'PathPrefix(`/live`)' }) }, api: true }),
    );
    const rejected = await wsRejected(wsUrl(sy, '/nothing'));
    expect(rejected.status).toBe(404);
    expect(live.requests).toHaveLength(0);
  });

  it('an upgrade to a server that never answers gets 504 after responseHeaderTimeout', async () => {
    // Accepts connections and reads, never answers.
    const sockets = new Set<net.Socket>();
    const silent = net.createServer((s) => {
      sockets.add(s);
      s.on('error', () => undefined);
      s.resume();
    });
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    res.add({
      close: async () => {
        for (const s of sockets) s.destroy();
        await new Promise<void>((resolve) => silent.close(() => resolve()));
      },
    });
    const port = (silent.address() as net.AddressInfo).port;
    const sy = res.add(
      await startSwitchyard({
        dynamic: { 'app.yaml': singleService([`http://127.0.0.1:${port}`]) },
        static: { serversTransport: { forwardingTimeouts: { responseHeaderTimeout: '300ms' } } },
        api: true,
      }),
    );
    const rejected = await wsRejected(wsUrl(sy));
    expect(rejected.status).toBe(504);
    await waitForNoInFlight(sy.apiUrl!);
  });
});
