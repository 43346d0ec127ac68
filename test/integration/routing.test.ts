import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startBackend, type Backend } from '../helpers/backends.js';
import { request } from '../helpers/http-client.js';
import { startSwitchyard, type TestSwitchyard } from '../helpers/switchyard.js';

/**
 * Routing as a client sees it: one Switchyard, one backend per service; the backend that
 * answers tells which router matched.
 */

interface RouterDef {
  rule: string;
  priority?: number;
  entryPoints?: string[];
}

const ROUTERS: Record<string, RouterDef> = {
  hostExact: { rule: 'Host(`app.example.com`)' },
  hostWild: { rule: 'Host(`*.example.com`)' },
  path: { rule: 'Host(`paths.test`) && Path(`/exact`)' },
  prefix: { rule: 'Host(`paths.test`) && PathPrefix(`/api`)' },
  header: { rule: 'Host(`match.test`) && Header(`X-Tenant`, `blue`)' },
  method: { rule: 'Host(`match.test`) && Method(`DELETE`)' },
  query: { rule: 'Host(`match.test`) && Query(`mode`, `beta`)' },
  clientIp: { rule: 'Host(`match.test`) && ClientIP(`127.0.0.5/32`)' },
  // Default priority = rule length: the longer rule wins.
  lenLong: { rule: 'Host(`len.test`) && PathPrefix(`/a`)' },
  lenShort: { rule: 'Host(`len.test`)' },
  // An explicit priority beats rule length.
  prioLong: { rule: 'Host(`prio.test`) && PathPrefix(`/a`)' },
  prioShort: { rule: 'Host(`prio.test`)', priority: 100 },
  // Explicit priorities against each other: higher wins even with the shorter rule.
  prioLow: { rule: 'Host(`prio2.test`) && PathPrefix(`/a`)', priority: 5 },
  prioHigh: { rule: 'Host(`prio2.test`)', priority: 6 },
  // Entry point restrictions.
  onlyOther: { rule: 'Host(`ep.test`)', entryPoints: ['other'] },
  onlyWeb: { rule: 'Host(`ep.test`) && PathPrefix(`/web`)', entryPoints: ['web'] },
  everywhere: { rule: 'Host(`both.test`)' },
};

let sy: TestSwitchyard;
let otherPort: number;
const backends = new Map<string, Backend>();

beforeAll(async () => {
  for (const name of Object.keys(ROUTERS)) backends.set(name, await startBackend(name));
  const routers: Record<string, unknown> = {};
  const services: Record<string, unknown> = {};
  for (const [name, def] of Object.entries(ROUTERS)) {
    routers[name] = { ...def, service: name };
    services[name] = { loadBalancer: { servers: [{ url: backends.get(name)!.url }] } };
  }
  sy = await startSwitchyard({
    static: { entryPoints: { other: { address: '127.0.0.1:0' } } },
    dynamic: { 'routes.yaml': { http: { routers, services } } },
    api: true,
  });
  otherPort = sy.app.address('other').port;
});

afterAll(async () => {
  await sy?.close();
  await Promise.all([...backends.values()].map((b) => b.close()));
});

/** GET through the `web` entry point with a Host header; returns status and body. */
async function get(host: string, path = '/', extra: Parameters<typeof request>[1] = {}): Promise<{ status: number; body: string }> {
  const reply = await request(`${sy.url}${path}`, { ...extra, headers: { ...extra.headers, host } });
  return { status: reply.status, body: reply.body };
}

function totalBackendRequests(): number {
  let n = 0;
  for (const b of backends.values()) n += b.requests.length;
  return n;
}

describe('every router is live', () => {
  it('the admin API lists every router as enabled', async () => {
    const reply = await request(`${sy.apiUrl}/api/http/routers`, { agent: false });
    const list = JSON.parse(reply.body) as Array<{ name: string; status: string }>;
    expect(list.map((r) => r.name).sort()).toEqual(Object.keys(ROUTERS).map((n) => `${n}@file`).sort());
    expect(list.every((r) => r.status === 'enabled')).toBe(true);
    // A report's own fields, never the validation cache's bookkeeping (a valid item's report is its cache entry).
    for (const r of list) expect(Object.keys(r).sort()).toEqual(['config', 'errors', 'name', 'origin', 'provider', 'status']);
    const one = JSON.parse((await request(`${sy.apiUrl}/api/http/routers/${list[0]!.name}`, { agent: false })).body) as object;
    expect(Object.keys(one).sort()).toEqual(['config', 'errors', 'name', 'origin', 'provider', 'status']);
    const raw = JSON.parse((await request(`${sy.apiUrl}/api/rawdata`, { agent: false })).body) as { routers: Record<string, object>; services: Record<string, object> };
    for (const r of [...Object.values(raw.routers), ...Object.values(raw.services)]) expect(Object.keys(r).sort()).toEqual(['config', 'errors', 'origin', 'provider', 'status']);
  });
});

describe('Host', () => {
  it('matches the exact host', async () => {
    expect(await get('app.example.com')).toEqual({ status: 200, body: 'hostExact' });
  });

  it('is case-insensitive', async () => {
    expect(await get('APP.Example.COM')).toEqual({ status: 200, body: 'hostExact' });
  });

  it('ignores the port in the Host header', async () => {
    expect(await get('app.example.com:8443')).toEqual({ status: 200, body: 'hostExact' });
    expect(await get('App.Example.Com:1')).toEqual({ status: 200, body: 'hostExact' });
  });

  it('*.example.com matches one extra label, in any case, with any port', async () => {
    expect(await get('foo.example.com')).toEqual({ status: 200, body: 'hostWild' });
    expect(await get('BAR.EXAMPLE.COM:81')).toEqual({ status: 200, body: 'hostWild' });
  });

  it('*.example.com does not match the bare domain or a deeper name', async () => {
    expect((await get('example.com')).status).toBe(404);
    expect((await get('a.b.example.com')).status).toBe(404);
    expect((await get('fooexample.com')).status).toBe(404);
  });

  it('the exact host router wins over the wildcard (longer rule)', async () => {
    // Both match app.example.com; the exact one has the longer rule.
    expect((await get('app.example.com')).body).toBe('hostExact');
  });
});

describe('Path and PathPrefix', () => {
  it('Path matches only the exact path', async () => {
    expect(await get('paths.test', '/exact')).toEqual({ status: 200, body: 'path' });
    expect((await get('paths.test', '/exact/more')).status).toBe(404);
    expect((await get('paths.test', '/exactly')).status).toBe(404);
    expect((await get('paths.test', '/')).status).toBe(404);
  });

  it('Path ignores the query string', async () => {
    expect(await get('paths.test', '/exact?x=1')).toEqual({ status: 200, body: 'path' });
  });

  it('PathPrefix matches the prefix and everything below it', async () => {
    expect(await get('paths.test', '/api')).toEqual({ status: 200, body: 'prefix' });
    expect(await get('paths.test', '/api/v1/users')).toEqual({ status: 200, body: 'prefix' });
    expect((await get('paths.test', '/other/api')).status).toBe(404);
  });

  it('the backend receives the original path and query unchanged', async () => {
    const backend = backends.get('prefix')!;
    const before = backend.requests.length;
    await get('paths.test', '/api/v1/items?sort=desc&page=2');
    expect(backend.requests.length).toBe(before + 1);
    expect(backend.requests.at(-1)!.url).toBe('/api/v1/items?sort=desc&page=2');
  });
});

describe('Header, Method, Query, ClientIP', () => {
  it('Header matches the value; the header name is case-insensitive', async () => {
    expect(await get('match.test', '/', { headers: { 'X-Tenant': 'blue' } })).toEqual({ status: 200, body: 'header' });
    expect(await get('match.test', '/', { headers: { 'x-tenant': 'blue' } })).toEqual({ status: 200, body: 'header' });
  });

  it('Header does not match another value or a missing header', async () => {
    expect((await get('match.test', '/', { headers: { 'X-Tenant': 'red' } })).status).toBe(404);
    expect((await get('match.test', '/', { headers: { 'X-Tenant': 'Blue' } })).status).toBe(404);
    expect((await get('match.test', '/')).status).toBe(404);
  });

  it('Method matches the method', async () => {
    expect(await get('match.test', '/', { method: 'DELETE' })).toEqual({ status: 200, body: 'method' });
    expect(backends.get('method')!.requests.at(-1)!.method).toBe('DELETE');
    expect((await get('match.test', '/', { method: 'POST' })).status).toBe(404);
  });

  it('Query matches a key with the value', async () => {
    expect(await get('match.test', '/?mode=beta')).toEqual({ status: 200, body: 'query' });
    expect(await get('match.test', '/?a=1&mode=beta')).toEqual({ status: 200, body: 'query' });
    expect((await get('match.test', '/?mode=alpha')).status).toBe(404);
    expect((await get('match.test', '/?modex=beta')).status).toBe(404);
  });

  it('ClientIP matches the client source address', async () => {
    expect(await get('match.test', '/', { localAddress: '127.0.0.5', agent: false })).toEqual({ status: 200, body: 'clientIp' });
    expect((await get('match.test', '/', { localAddress: '127.0.0.6', agent: false })).status).toBe(404);
    expect((await get('match.test', '/', { agent: false })).status).toBe(404);
  });

  it('ClientIP does not believe a client-sent X-Forwarded-For from an untrusted peer', async () => {
    const reply = await get('match.test', '/', { headers: { 'X-Forwarded-For': '127.0.0.5' }, agent: false });
    expect(reply.status).toBe(404);
  });
});

describe('priority', () => {
  it('by default the longer rule wins', async () => {
    expect(await get('len.test', '/a/b')).toEqual({ status: 200, body: 'lenLong' });
    expect(await get('len.test', '/b')).toEqual({ status: 200, body: 'lenShort' });
  });

  it('an explicit priority beats a longer rule', async () => {
    // prioLong has default priority = its length (> 30), prioShort has 100.
    expect(await get('prio.test', '/a/b')).toEqual({ status: 200, body: 'prioShort' });
    expect(await get('prio.test', '/b')).toEqual({ status: 200, body: 'prioShort' });
    expect(backends.get('prioLong')!.requests.length).toBe(0);
  });

  it('between explicit priorities the higher one wins, whatever the rule length', async () => {
    expect(await get('prio2.test', '/a')).toEqual({ status: 200, body: 'prioHigh' });
    expect(backends.get('prioLow')!.requests.length).toBe(0);
  });
});

describe('no matching router', () => {
  it('answers 404 and reaches no backend', async () => {
    const before = totalBackendRequests();
    const reply = await request(`${sy.url}/whatever`, { headers: { host: 'nobody.test' } });
    expect(reply.status).toBe(404);
    expect(reply.body).toBe('404 page not found\n');
    const post = await request(`${sy.url}/`, { method: 'POST', headers: { host: 'nobody.test' }, body: 'x'.repeat(1000) });
    expect(post.status).toBe(404);
    expect(totalBackendRequests()).toBe(before);
  });

  it('a request without a Host header that matches no router gets 404', async () => {
    const reply = await request(`${sy.url}/`, { headers: { host: '' } });
    expect(reply.status).toBe(404);
  });
});

describe('entry points', () => {
  const onOther = (host: string, path = '/') => request(`http://127.0.0.1:${otherPort}${path}`, { headers: { host } });

  it('a router restricted to `other` is not reachable on `web`', async () => {
    expect((await get('ep.test')).status).toBe(404);
    expect(backends.get('onlyOther')!.requests.length).toBe(0);
  });

  it('a router restricted to `other` serves on `other`', async () => {
    const reply = await onOther('ep.test');
    expect(reply.status).toBe(200);
    expect(reply.body).toBe('onlyOther');
  });

  it('a router restricted to `web` is not reachable on `other`', async () => {
    expect(await get('ep.test', '/web')).toEqual({ status: 200, body: 'onlyWeb' });
    // On `other` the onlyWeb router does not exist: the onlyOther router takes the request.
    const reply = await onOther('ep.test', '/web');
    expect(reply.body).toBe('onlyOther');
  });

  it('a router without entryPoints serves on every entry point', async () => {
    expect(await get('both.test')).toEqual({ status: 200, body: 'everywhere' });
    const reply = await onOther('both.test');
    expect(reply.status).toBe(200);
    expect(reply.body).toBe('everywhere');
  });

  it('a host with no router on `other` gets 404 there too', async () => {
    expect((await onOther('app.example.com:9999', '/')).status).toBe(200); // routers without entryPoints join all
    expect((await onOther('nobody.test')).status).toBe(404);
  });
});
