import http, { type IncomingHttpHeaders, type IncomingMessage, type ServerResponse } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startBackend, startBackends, type Backend } from '../helpers/backends.js';
import { request, type RequestOptions } from '../helpers/http-client.js';
import { rawExchange, Resources } from '../helpers/proxy-harness.js';
import { startSwitchyard, type TestSwitchyard } from '../helpers/switchyard.js';

/** What the backend sees of the request, and what the client sees of the response. */

/** Answers a JSON dump of the request headers it received. */
function captureHandler(req: IncomingMessage, res: ServerResponse): void {
  req.resume();
  req.on('end', () => {
    res.setHeader('content-type', 'application/json');
    res.end(JSON.stringify({ headers: req.headers, url: req.url }));
  });
}

async function seen(url: string, options: RequestOptions = {}): Promise<IncomingHttpHeaders> {
  const reply = await request(url, { agent: false, ...options });
  expect(reply.status).toBe(200);
  return (JSON.parse(reply.body) as { headers: IncomingHttpHeaders }).headers;
}

describe('untrusted peers (no trustedIPs)', () => {
  const res = new Resources();
  let sy: TestSwitchyard;
  let capture: Backend;
  let closer: Backend;
  let hopper: Backend;

  beforeAll(async () => {
    capture = res.add(await startBackend('capture', { handler: captureHandler }));
    closer = res.add(
      await startBackend('closer', {
        handler: (req, r) => {
          req.resume();
          req.on('end', () => {
            r.setHeader('connection', 'close');
            r.end('closer');
          });
        },
      }),
    );
    hopper = res.add(
      await startBackend('hopper', {
        handler: (req, r) => {
          req.resume();
          req.on('end', () => {
            r.setHeader('connection', 'X-Backend-Hop');
            r.setHeader('x-backend-hop', 'secret');
            r.setHeader('keep-alive', 'timeout=99');
            r.setHeader('proxy-connection', 'keep-alive');
            r.setHeader('x-normal', 'yes');
            r.end('hopper');
          });
        },
      }),
    );
    sy = res.add(
      await startSwitchyard({
        dynamic: {
          'app.yaml': {
            http: {
              routers: {
                capture: { rule: 'PathPrefix(`/`)', service: 'capture' },
                changed: { rule: 'Host(`change.test`)', service: 'changed' },
                closer: { rule: 'Host(`closer.test`)', service: 'closer' },
                hopper: { rule: 'Host(`hop.test`)', service: 'hopper' },
              },
              services: {
                capture: { loadBalancer: { servers: [{ url: capture.url }] } },
                changed: { loadBalancer: { passHostHeader: false, servers: [{ url: capture.url }] } },
                closer: { loadBalancer: { servers: [{ url: closer.url }] } },
                hopper: { loadBalancer: { servers: [{ url: hopper.url }] } },
              },
            },
          },
        },
      }),
    );
  });
  afterAll(() => res.closeAll());

  it('X-Forwarded-For/Proto/Host/Port and X-Real-Ip reach the backend', async () => {
    const h = await seen(`${sy.url}/x`, { localAddress: '127.0.0.7' });
    expect(h['x-forwarded-for']).toBe('127.0.0.7');
    expect(h['x-real-ip']).toBe('127.0.0.7');
    expect(h['x-forwarded-proto']).toBe('http');
    expect(h['x-forwarded-host']).toBe(`127.0.0.1:${sy.port}`);
    expect(h['x-forwarded-port']).toBe(String(sy.port));
  });

  it('X-Forwarded-Host is the Host the client asked for', async () => {
    const h = await seen(`${sy.url}/x`, { headers: { host: 'app.test:8080' } });
    expect(h['x-forwarded-host']).toBe('app.test:8080');
    expect(h['host']).toBe('app.test:8080');
  });

  it('client-sent forwarded headers from an untrusted peer are replaced, not believed', async () => {
    const h = await seen(`${sy.url}/x`, {
      headers: {
        host: 'app.test',
        'x-forwarded-for': '1.2.3.4, 5.6.7.8',
        'x-real-ip': '9.9.9.9',
        'x-forwarded-host': 'evil.test',
        'x-forwarded-proto': 'https',
        'x-forwarded-port': '443',
      },
    });
    expect(h['x-forwarded-for']).toBe('127.0.0.1');
    expect(h['x-real-ip']).toBe('127.0.0.1');
    expect(h['x-forwarded-host']).toBe('app.test');
    expect(h['x-forwarded-proto']).toBe('http');
    expect(h['x-forwarded-port']).toBe(String(sy.port));
  });

  it('passHostHeader (default true) keeps the client Host', async () => {
    const h = await seen(`${sy.url}/`, { headers: { host: 'keep.test' } });
    expect(h['host']).toBe('keep.test');
  });

  it('passHostHeader false sends the backend host:port, and X-Forwarded-Host keeps the original', async () => {
    const h = await seen(`${sy.url}/`, { headers: { host: 'change.test' } });
    expect(h['host']).toBe(`127.0.0.1:${capture.port}`);
    expect(h['x-forwarded-host']).toBe('change.test');
  });

  it('hop-by-hop request headers are not forwarded', async () => {
    const before = capture.requests.length;
    const reply = await rawExchange(
      sy.port,
      'GET /hop HTTP/1.1\r\n' +
        'Host: app.test\r\n' +
        'Connection: close, X-Secret-Hop\r\n' +
        'X-Secret-Hop: 1\r\n' +
        'Keep-Alive: timeout=5\r\n' +
        'Proxy-Connection: keep-alive\r\n' +
        'X-Normal: yes\r\n' +
        '\r\n',
    );
    expect(reply.status).toBe(200);
    expect(capture.requests.length).toBe(before + 1);
    const h = capture.requests.at(-1)!.headers;
    expect(h['x-normal']).toBe('yes');
    expect(h['x-secret-hop']).toBeUndefined();
    expect(h['keep-alive']).toBeUndefined();
    expect(h['proxy-connection']).toBeUndefined();
    expect(String(h['connection'] ?? '').toLowerCase()).not.toContain('x-secret-hop');
  });

  it('a client asking for Connection: close gets its connection closed', async () => {
    // rawExchange only resolves when the proxy closes the connection.
    const reply = await rawExchange(sy.port, 'GET / HTTP/1.1\r\nHost: app.test\r\nConnection: close\r\n\r\n');
    expect(reply.status).toBe(200);
    expect(reply.headers.get('connection')).toEqual(['close']);
  });

  it('hop-by-hop response headers are not forwarded to the client', async () => {
    const reply = await request(`${sy.url}/`, { headers: { host: 'hop.test' }, agent: false });
    expect(reply.status).toBe(200);
    expect(reply.body).toBe('hopper');
    expect(reply.headers['x-normal']).toBe('yes');
    expect(reply.headers['x-backend-hop']).toBeUndefined();
    expect(reply.headers['proxy-connection']).toBeUndefined();
    expect(reply.headers['keep-alive']).not.toBe('timeout=99');
    expect(String(reply.headers['connection'] ?? '').toLowerCase()).not.toContain('x-backend-hop');
  });

  it('a backend answering Connection: close does not close the client keep-alive connection', async () => {
    const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
    const ports: number[] = [];
    try {
      for (let i = 0; i < 5; i++) {
        const r = await new Promise<{ body: string; connection: string | undefined; port: number }>((resolve, reject) => {
          const req = http.get(`${sy.url}/`, { agent, headers: { host: 'closer.test' } }, (response) => {
            const port = response.socket.localPort!;
            let body = '';
            response.setEncoding('utf8');
            response.on('data', (c: string) => (body += c));
            response.on('end', () => resolve({ body, connection: response.headers['connection'], port }));
            response.on('error', reject);
          });
          req.on('error', reject);
        });
        expect(r.body).toBe('closer');
        expect(r.connection).not.toBe('close');
        ports.push(r.port);
      }
    } finally {
      agent.destroy();
    }
    expect(new Set(ports).size).toBe(1);
    // Every request did reach the backend (which closed its side each time).
    expect(closer.requests.length).toBeGreaterThanOrEqual(5);
  });
});

describe('trusted peers (trustedIPs)', () => {
  const res = new Resources();
  let sy: TestSwitchyard;
  let capture: Backend;
  let special: Backend;
  const TRUSTED = '127.0.0.8';

  beforeAll(async () => {
    capture = res.add(await startBackend('capture', { handler: captureHandler }));
    special = res.add(await startBackend('special'));
    const hashed = await startBackends(['h1', 'h2', 'h3']);
    for (const b of hashed) res.add(b);
    sy = res.add(
      await startSwitchyard({
        static: { entryPoints: { web: { forwardedHeaders: { trustedIPs: [TRUSTED] } } } },
        dynamic: {
          'app.yaml': {
            http: {
              routers: {
                capture: { rule: 'PathPrefix(`/`)', service: 'capture' },
                special: { rule: 'ClientIP(`198.51.100.0/24`)', service: 'special' },
                hashed: { rule: 'Host(`hash.test`)', service: 'hashed', priority: 1000 },
              },
              services: {
                capture: { loadBalancer: { servers: [{ url: capture.url }] } },
                special: { loadBalancer: { servers: [{ url: special.url }] } },
                hashed: { loadBalancer: { strategy: 'ipHash', servers: hashed.map((b) => ({ url: b.url })) } },
              },
            },
          },
        },
      }),
    );
  });
  afterAll(() => res.closeAll());

  it('from a trusted peer, X-Forwarded-For is appended and X-Real-Ip is the client from it', async () => {
    const h = await seen(`${sy.url}/`, {
      localAddress: TRUSTED,
      headers: { 'x-forwarded-for': '203.0.113.9', 'x-forwarded-proto': 'https', 'x-forwarded-host': 'public.test' },
    });
    expect(h['x-forwarded-for']).toBe(`203.0.113.9, ${TRUSTED}`);
    expect(h['x-real-ip']).toBe('203.0.113.9');
    expect(h['x-forwarded-proto']).toBe('https');
    expect(h['x-forwarded-host']).toBe('public.test');
  });

  it('the real client is the first untrusted hop from the right', async () => {
    const h = await seen(`${sy.url}/`, { localAddress: TRUSTED, headers: { 'x-forwarded-for': `10.9.9.9, 203.0.113.9, ${TRUSTED}` } });
    expect(h['x-forwarded-for']).toBe(`10.9.9.9, 203.0.113.9, ${TRUSTED}, ${TRUSTED}`);
    expect(h['x-real-ip']).toBe('203.0.113.9');
  });

  it('from a peer not in trustedIPs, the same headers are replaced', async () => {
    const h = await seen(`${sy.url}/`, {
      localAddress: '127.0.0.9',
      headers: { 'x-forwarded-for': '203.0.113.9', 'x-forwarded-proto': 'https', 'x-forwarded-host': 'public.test' },
    });
    expect(h['x-forwarded-for']).toBe('127.0.0.9');
    expect(h['x-real-ip']).toBe('127.0.0.9');
    expect(h['x-forwarded-proto']).toBe('http');
    expect(h['x-forwarded-host']).toBe(`127.0.0.1:${sy.port}`);
  });

  it('ClientIP matches the client taken from X-Forwarded-For of a trusted peer, never of an untrusted one', async () => {
    const viaTrusted = await request(`${sy.url}/`, { localAddress: TRUSTED, agent: false, headers: { 'x-forwarded-for': '198.51.100.7' } });
    expect(viaTrusted.body).toBe('special');
    const spoofed = await request(`${sy.url}/`, { localAddress: '127.0.0.9', agent: false, headers: { 'x-forwarded-for': '198.51.100.7' } });
    expect(spoofed.status).toBe(200);
    expect(spoofed.headers['content-type']).toBe('application/json');
    expect(special.requests.length).toBe(1);
  });

  it('ipHash hashes the client from X-Forwarded-For of a trusted peer like a direct connection from it', async () => {
    const chosen = new Set<string>();
    for (let i = 20; i < 32; i++) {
      const client = `127.0.0.${i}`;
      const direct = await request(`${sy.url}/`, { localAddress: client, agent: false, headers: { host: 'hash.test' } });
      for (let k = 0; k < 3; k++) {
        const proxied = await request(`${sy.url}/`, {
          localAddress: TRUSTED,
          agent: false,
          headers: { host: 'hash.test', 'x-forwarded-for': client },
        });
        expect(proxied.body, `client ${client}`).toBe(direct.body);
      }
      chosen.add(direct.body);
    }
    // The trusted proxy's own address does not decide: its clients spread over backends.
    expect(chosen.size).toBeGreaterThan(1);
  });

  it('ipHash ignores X-Forwarded-For from an untrusted peer', async () => {
    const answers = new Set<string>();
    for (let i = 20; i < 32; i++) {
      const r = await request(`${sy.url}/`, { localAddress: '127.0.0.9', agent: false, headers: { host: 'hash.test', 'x-forwarded-for': `127.0.0.${i}` } });
      answers.add(r.body);
    }
    expect(answers.size).toBe(1);
  });
});
