import { createHash, randomBytes } from 'node:crypto';
import http from 'node:http';
import { afterEach, describe, expect, it } from 'vitest';
import { burst, shares, waitForState, observedBackends } from '../helpers/availability.js';
import { closedPort } from '../helpers/backends.js';
import type { ControlledBackend } from '../helpers/health-backend.js';
import { request, type Reply } from '../helpers/http-client.js';
import { Resources } from '../helpers/proxy-harness.js';
import { singleService, startSwitchyard, type TestSwitchyard } from '../helpers/switchyard.js';
import { waitFor } from '../helpers/wait.js';

/** Retries on another server: when they happen, when they must not, and what they carry. */

const res = new Resources();
afterEach(() => res.closeAll());

const backends = (names: string[], getSy?: () => TestSwitchyard | undefined): Promise<ControlledBackend[]> => observedBackends(res, names, getSy);

/** One service per entry: routed by path prefix `/<name>`. */
async function proxy(services: Record<string, { urls: string[]; lb?: Record<string, unknown> }>): Promise<TestSwitchyard> {
  const routers: Record<string, unknown> = {};
  const svcs: Record<string, unknown> = {};
  for (const [name, s] of Object.entries(services)) {
    routers[name] = { rule: `PathPrefix(\`/${name}\`)`, service: name };
    svcs[name] = { loadBalancer: { ...s.lb, servers: s.urls.map((url) => ({ url })) } };
  }
  return res.add(await startSwitchyard({ dynamic: { 'app.yaml': { http: { routers, services: svcs } } } }));
}

const sha = (b: Buffer | string): string => createHash('sha256').update(b).digest('hex');

/**
 * A POST written in pieces: `first`, then (after `between` resolves) `rest`. With `declare`,
 * a Content-Length is sent; without, the body is chunked.
 */
function post(url: string, first: Buffer, rest: Buffer, options: { declare: boolean; between?: () => Promise<void> }): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const req = http.request(
      url,
      {
        method: 'POST',
        agent: false,
        headers: options.declare ? { 'content-length': first.length + rest.length } : { 'transfer-encoding': 'chunked' },
      },
      (r) => {
        const chunks: Buffer[] = [];
        r.on('data', (c: Buffer) => chunks.push(c));
        r.on('end', () => resolve({ status: r.statusCode ?? 0, headers: r.headers, body: Buffer.concat(chunks).toString() }));
        r.on('error', reject);
      },
    );
    // After a 502 the proxy may close before our whole upload went out; the reply is what counts.
    req.on('error', (err) => reject(err));
    req.write(first);
    void (options.between ?? (() => Promise.resolve()))().then(
      () => req.end(rest),
      (err: unknown) => {
        req.destroy();
        reject(err as Error);
      },
    );
  });
}

describe('retries', () => {
  it('GETs to a pool with a server refusing connections never fail; with retries: 0 some do', async () => {
    const [a, b] = await backends(['a', 'b']);
    const dead = `http://127.0.0.1:${await closedPort()}`;
    const urls = [dead, a!.url, b!.url];
    const sy = await proxy({ retry: { urls }, noretry: { urls, lb: { retries: 0 } } });
    const retried = await burst(`${sy.url}/retry`, 30, 3);
    expect(retried.filter((r) => r.status !== 200)).toEqual([]);
    expect((await sy.traffic(dead, 'retry@file')).served).toBeGreaterThanOrEqual(5);
    const plain = await burst(`${sy.url}/noretry`, 30, 3);
    const byStatus = shares(plain);
    expect(byStatus['status 502']).toBeGreaterThanOrEqual(5);
    expect((byStatus.a ?? 0) + (byStatus.b ?? 0) + byStatus['status 502']!).toBe(30);
  });

  it('a small POST refused by one server is sent to another with its body intact (Content-Length and chunked)', async () => {
    const [echo] = await backends(['echo']);
    const dead = `http://127.0.0.1:${await closedPort()}`;
    const sy = await proxy({ app: { urls: [dead, echo!.url] } });
    const sent: string[] = [];
    for (let i = 0; i < 6; i++) {
      const body = `post-${i}-${randomBytes(3000).toString('hex')}`;
      sent.push(body);
      const buf = Buffer.from(body);
      const reply = await post(`${sy.url}/app/${i}`, buf.subarray(0, 1000), buf.subarray(1000), { declare: i % 2 === 0 });
      expect(reply.status).toBe(200);
      expect(reply.body).toBe('echo');
    }
    // Some went to the dead server first; each arrived exactly once, byte for byte.
    expect((await sy.traffic(dead)).served).toBeGreaterThanOrEqual(2);
    expect(echo!.hits.map((h) => h.body)).toEqual(sent);
    expect(echo!.hits.map((h) => h.path)).toEqual(sent.map((_, i) => `/app/${i}`));
  });

  it('a POST whose connection is reset after the server read it is not retried (502); a GET is', async () => {
    const [resetter, a] = await backends(['resetter', 'a']);
    resetter!.traffic = 'reset';
    const sy = await proxy({ app: { urls: [resetter!.url, a!.url], lb: { retries: 2 } } });
    const posts: Reply[] = [];
    for (let i = 0; i < 6; i++) posts.push(await request(`${sy.url}/app`, { method: 'POST', body: `order-${i}`, agent: false }));
    const resetBodies = resetter!.hits.filter((h) => h.method === 'POST').map((h) => h.body);
    expect(resetBodies.length).toBeGreaterThanOrEqual(2);
    posts.forEach((reply, i) => {
      if (resetBodies.includes(`order-${i}`)) expect(reply.status, `order-${i}`).toBe(502);
      else expect(reply.status, `order-${i}`).toBe(200);
    });
    // No POST the resetter read was sent again anywhere.
    const aBodies = a!.hits.filter((h) => h.method === 'POST').map((h) => h.body);
    expect(aBodies.filter((b) => resetBodies.includes(b))).toEqual([]);
    expect(aBodies.length + resetBodies.length).toBe(6);

    const gets = await burst(`${sy.url}/app`, 10, 2);
    expect(shares(gets)).toEqual({ a: 10 });
    // The resetter did receive GETs: those were retried on a.
    expect(resetter!.hits.filter((h) => h.method === 'GET').length).toBeGreaterThanOrEqual(3);
  });

  it('a POST body over retryBodyLimit streams through without being held, and is not retried', async () => {
    const [s, s2] = await backends(['s', 's2']);
    const dead = `http://127.0.0.1:${await closedPort()}`;
    const LIMIT = 1024;
    const sy = await proxy({
      big: { urls: [s!.url], lb: { retryBodyLimit: LIMIT } },
      bigretry: { urls: [dead, s2!.url], lb: { retryBodyLimit: LIMIT } },
    });
    for (const declare of [true, false]) {
      const first = randomBytes(8 * 1024);
      const rest = randomBytes(256 * 1024);
      const before = s!.hits.length;
      const reply = await post(`${sy.url}/big`, first, rest, {
        declare,
        // The backend sees the first piece while the client still holds the rest: nothing buffers the whole body.
        between: () => waitFor(() => s!.hits.length > before && s!.hits.at(-1)!.bytes >= first.length && !s!.hits.at(-1)!.done, 'the first piece to reach the backend').then(() => undefined),
      });
      expect(reply.status).toBe(200);
      const hit = s!.hits.at(-1)!;
      expect(hit.bytes).toBe(first.length + rest.length);
      expect(hit.sha256).toBe(sha(Buffer.concat([first, rest])));
    }

    // Large POSTs to a pool with a refusing server: those sent there first fail (nothing to send again).
    const replies: Reply[] = [];
    const bodies: string[] = [];
    for (let i = 0; i < 6; i++) {
      const body = randomBytes(64 * 1024);
      bodies.push(sha(body));
      replies.push(await post(`${sy.url}/bigretry`, body.subarray(0, 4096), body.subarray(4096), { declare: true }));
    }
    const statuses = replies.map((r) => r.status);
    expect(statuses.filter((st) => st === 502).length).toBeGreaterThanOrEqual(2);
    expect(statuses.filter((st) => st !== 502 && st !== 200)).toEqual([]);
    const served = s2!.hits.map((h) => h.sha256);
    expect(served).toEqual(bodies.filter((_, i) => statuses[i] === 200));
    // Small bodies to the same pool are retried and all succeed.
    for (let i = 0; i < 4; i++) expect((await request(`${sy.url}/bigretry`, { method: 'POST', body: 'small', agent: false })).status).toBe(200);
  });

  it('a sticky request whose server is down goes elsewhere and gets a fresh cookie', async () => {
    let sy: TestSwitchyard | undefined;
    const [a, b] = await backends(['a', 'b'], () => sy);
    sy = res.add(
      await startSwitchyard({
        dynamic: {
          'app.yaml': singleService([a!.url, b!.url], {
            lb: { sticky: { cookie: { name: 'sy_app' } }, healthCheck: { path: '/health', interval: '50ms' } },
          }),
        },
      }),
    );
    await waitForState(sy, a!.url, (s) => s.available, 'a up');
    await waitForState(sy, b!.url, (s) => s.available, 'b up');
    const first = await request(sy.url);
    const cookie = first.headers['set-cookie']![0]!.split(';')[0]!;
    const pinned = first.body === 'a' ? a! : b!;
    const other = pinned === a ? b! : a!;
    for (let i = 0; i < 3; i++) expect((await request(sy.url, { headers: { cookie } })).body).toBe(pinned.name);

    pinned.health = 'fail';
    await waitForState(sy, pinned.url, (s) => s.health === 'down', 'the pinned server down');
    const moved = await request(sy.url, { headers: { cookie } });
    expect(moved.status).toBe(200);
    expect(moved.body).toBe(other.name);
    const fresh = moved.headers['set-cookie']![0]!.split(';')[0]!;
    expect(fresh).toMatch(/^sy_app=[0-9a-f]{16}$/);
    expect(fresh).not.toBe(cookie);
    const again = await request(sy.url, { headers: { cookie: fresh } });
    expect(again.body).toBe(other.name);
    expect(again.headers['set-cookie']).toBeUndefined();
  });

  it('a sticky request whose server refuses connections is retried elsewhere with a fresh cookie', async () => {
    const [a, b] = await backends(['a', 'b']);
    const sy = res.add(await startSwitchyard({ dynamic: { 'app.yaml': singleService([a!.url, b!.url], { lb: { sticky: { cookie: { name: 'sy_app' } } } }) } }));
    const first = await request(sy.url);
    const cookie = first.headers['set-cookie']![0]!.split(';')[0]!;
    const pinned = first.body === 'a' ? a! : b!;
    const other = pinned === a ? b! : a!;
    await pinned.close();
    const moved = await request(sy.url, { headers: { cookie } });
    expect(moved.status).toBe(200);
    expect(moved.body).toBe(other.name);
    const fresh = moved.headers['set-cookie']?.[0]?.split(';')[0];
    expect(fresh).toMatch(/^sy_app=[0-9a-f]{16}$/);
    expect(fresh).not.toBe(cookie);
    expect((await request(sy.url, { headers: { cookie: fresh! } })).body).toBe(other.name);
  });
});
