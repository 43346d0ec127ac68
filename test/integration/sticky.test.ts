import { afterEach, describe, expect, it } from 'vitest';
import { startBackends, type Backend } from '../helpers/backends.js';
import { request, type Reply } from '../helpers/http-client.js';
import { getService, Resources, tally } from '../helpers/proxy-harness.js';
import { singleService, startSwitchyard, type TestSwitchyard } from '../helpers/switchyard.js';
import { waitFor } from '../helpers/wait.js';

/** Cookie stickiness as a browser sees it. */

const res = new Resources();
afterEach(() => res.closeAll());

const COOKIE = { name: 'sy_app', httpOnly: true, sameSite: 'lax', path: '/' };

async function setup(
  names: string[],
  cookie: Record<string, unknown> = COOKIE,
  extra: { weights?: number[]; strategy?: string } = {},
): Promise<{ sy: TestSwitchyard; backends: Backend[] }> {
  const backends = await startBackends(names);
  for (const b of backends) res.add(b);
  const sy = res.add(
    await startSwitchyard({
      dynamic: {
        'app.yaml': singleService(
          backends.map((b) => b.url),
          { lb: { strategy: extra.strategy ?? 'roundRobin', sticky: { cookie } }, ...(extra.weights ? { weights: extra.weights } : {}) },
        ),
      },
      api: true,
    }),
  );
  return { sy, backends };
}

function setCookies(reply: Reply): string[] {
  return reply.headers['set-cookie'] ?? [];
}

/** `name=value` of the only Set-Cookie of a reply. */
function cookiePair(reply: Reply): string {
  const list = setCookies(reply);
  expect(list).toHaveLength(1);
  return list[0]!.split(';')[0]!;
}

describe('sticky cookie', () => {
  it('the first response sets the cookie with the configured attributes and an opaque value', async () => {
    const { sy, backends } = await setup(['a', 'b']);
    const reply = await request(`${sy.url}/`);
    expect(reply.status).toBe(200);
    const [header] = setCookies(reply);
    expect(header).toMatch(/^sy_app=[0-9a-f]{16}; Path=\/; HttpOnly; SameSite=Lax$/);
    const value = header!.split(';')[0]!.slice('sy_app='.length);
    for (const b of backends) {
      expect(value).not.toBe(b.url);
      expect(value).not.toContain(String(b.port));
      expect(decodeURIComponent(value)).not.toContain('127.0.0.1');
    }
  });

  it('without the cookie requests alternate; with it every request hits the same backend and gets no new cookie', async () => {
    const { sy } = await setup(['a', 'b']);
    const first = await request(`${sy.url}/`);
    const second = await request(`${sy.url}/`);
    expect(new Set([first.body, second.body])).toEqual(new Set(['a', 'b']));
    // Each server has its own cookie value.
    expect(cookiePair(first)).not.toBe(cookiePair(second));

    for (const [reply, backend] of [
      [first, first.body],
      [second, second.body],
    ] as const) {
      const cookie = cookiePair(reply);
      const bodies: string[] = [];
      for (let i = 0; i < 20; i++) {
        const r = await request(`${sy.url}/`, { headers: { cookie: `other=1; ${cookie}; more=2` } });
        expect(r.status).toBe(200);
        expect(r.headers['set-cookie']).toBeUndefined();
        bodies.push(r.body);
      }
      expect(tally(bodies)).toEqual({ [backend]: 20 });
    }
    // Without the cookie, round robin still alternates.
    const plain: string[] = [];
    for (let i = 0; i < 6; i++) plain.push((await request(`${sy.url}/`)).body);
    expect(tally(plain)).toEqual({ a: 3, b: 3 });
  });

  it('sticks on top of other strategies too (random)', async () => {
    const { sy } = await setup(['a', 'b', 'c'], COOKIE, { strategy: 'random' });
    const first = await request(`${sy.url}/`);
    const cookie = cookiePair(first);
    const bodies: string[] = [];
    for (let i = 0; i < 30; i++) bodies.push((await request(`${sy.url}/`, { headers: { cookie } })).body);
    expect(tally(bodies)).toEqual({ [first.body]: 30 });
  });

  it('renders Secure, Max-Age, SameSite=Strict and a custom Path, and omits HttpOnly when disabled', async () => {
    const { sy } = await setup(['a'], { name: 'pin', httpOnly: false, secure: true, sameSite: 'strict', maxAge: 60, path: '/app' });
    const [header] = setCookies(await request(`${sy.url}/app/x`));
    expect(header).toMatch(/^pin=[0-9a-f]{16}; Path=\/app; Max-Age=60; Secure; SameSite=Strict$/);
  });

  it('without a name the cookie gets a short stable default name', async () => {
    const { sy } = await setup(['a', 'b'], {});
    const first = await request(`${sy.url}/`);
    const [header] = setCookies(first);
    expect(header).toMatch(/^_[0-9a-f]{6}=[0-9a-f]{16}; Path=\/; HttpOnly$/);
    const cookie = header!.split(';')[0]!;
    for (let i = 0; i < 5; i++) expect((await request(`${sy.url}/`, { headers: { cookie } })).body).toBe(first.body);
  });

  it('an unknown cookie value is re-balanced and replaced', async () => {
    const { sy } = await setup(['a', 'b']);
    const reply = await request(`${sy.url}/`, { headers: { cookie: 'sy_app=0123456789abcdef' } });
    expect(reply.status).toBe(200);
    const fresh = cookiePair(reply);
    expect(fresh).not.toBe('sy_app=0123456789abcdef');
    expect((await request(`${sy.url}/`, { headers: { cookie: fresh } })).body).toBe(reply.body);
  });

  it('a cookie naming a server that left the pool is re-balanced and gets a fresh Set-Cookie', async () => {
    const { sy, backends } = await setup(['a', 'b', 'c']);
    const [a, b, c] = backends as [Backend, Backend, Backend];
    // Find b's cookie.
    let bCookie: string | undefined;
    for (let i = 0; i < 3 && !bCookie; i++) {
      const r = await request(`${sy.url}/`);
      if (r.body === 'b') bCookie = cookiePair(r);
    }
    expect(bCookie).toBeDefined();
    expect((await request(`${sy.url}/`, { headers: { cookie: bCookie! } })).body).toBe('b');

    // b leaves the pool.
    await sy.writeDynamic('app.yaml', singleService([a.url, c.url], { lb: { strategy: 'roundRobin', sticky: { cookie: COOKIE } } }));
    await waitFor(async () => {
      const view = await getService(sy.apiUrl!);
      return view.servers.map((s) => s.url).join(' ') === `${a.url} ${c.url}`;
    }, 'b to leave the pool');

    const before = b.requests.length;
    const moved = await request(`${sy.url}/`, { headers: { cookie: bCookie! } });
    expect(moved.status).toBe(200);
    expect(['a', 'c']).toContain(moved.body);
    const fresh = cookiePair(moved);
    expect(fresh).not.toBe(bCookie);
    for (let i = 0; i < 10; i++) {
      const r = await request(`${sy.url}/`, { headers: { cookie: fresh } });
      expect(r.body).toBe(moved.body);
      expect(r.headers['set-cookie']).toBeUndefined();
    }
    expect(b.requests.length).toBe(before);
  });

  it('a weight-0 server keeps its existing sticky sessions but gets no new ones', async () => {
    const { sy, backends } = await setup(['a', 'b']);
    const [a, b] = backends as [Backend, Backend];
    let bCookie: string | undefined;
    for (let i = 0; i < 2 && !bCookie; i++) {
      const r = await request(`${sy.url}/`);
      if (r.body === 'b') bCookie = cookiePair(r);
    }
    expect(bCookie).toBeDefined();
    await sy.writeDynamic('app.yaml', singleService([a.url, b.url], { weights: [1, 0], lb: { strategy: 'roundRobin', sticky: { cookie: COOKIE } } }));
    await waitFor(async () => (await getService(sy.apiUrl!)).servers[1]?.weight === 0, 'b weight 0');
    for (let i = 0; i < 5; i++) expect((await request(`${sy.url}/`, { headers: { cookie: bCookie! } })).body).toBe('b');
    const fresh: string[] = [];
    for (let i = 0; i < 6; i++) fresh.push((await request(`${sy.url}/`)).body);
    expect(tally(fresh)).toEqual({ a: 6 });
  });
});
