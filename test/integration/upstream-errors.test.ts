import http, { type ServerResponse } from 'node:http';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { closedPort, startBackend, type Backend } from '../helpers/backends.js';
import { request } from '../helpers/http-client.js';
import { getService, Resources, waitForNoInFlight } from '../helpers/proxy-harness.js';
import { startSwitchyard, type TestSwitchyard } from '../helpers/switchyard.js';
import { waitFor } from '../helpers/wait.js';

/**
 * Upstream failures as the client sees them (502/503/504), and that nothing is left behind:
 * the proxy keeps serving and the admin API shows no request in flight.
 */

const res = new Resources();
let sy: TestSwitchyard;
let healthy: Backend;
let resetBefore: Backend;
let resetMid: Backend;
let silent: Backend;
let slowBody: Backend;
const held: ServerResponse[] = [];

beforeAll(async () => {
  healthy = res.add(await startBackend('healthy'));
  // Destroys the connection before answering anything.
  resetBefore = res.add(await startBackend('resetBefore', { handler: (req) => req.socket.destroy() }));
  // Sends headers and part of a chunked body, then destroys the connection.
  resetMid = res.add(
    await startBackend('resetMid', {
      handler: (req, r) => {
        req.resume();
        r.writeHead(200, { 'content-type': 'text/plain' });
        r.write('partial-');
        setImmediate(() => req.socket.destroy());
      },
    }),
  );
  // Reads the request and never answers.
  silent = res.add(
    await startBackend('silent', {
      handler: (req, r) => {
        req.resume();
        held.push(r);
      },
    }),
  );
  // Sends headers quickly and the body only when released (headers arrive within the timeout).
  slowBody = res.add(
    await startBackend('slowBody', {
      handler: (req, r) => {
        req.resume();
        r.writeHead(200, { 'content-type': 'text/plain' });
        r.write('head-');
        held.push(r);
      },
    }),
  );
  const refused = `http://127.0.0.1:${await closedPort()}`;
  const route = (prefix: string, service: string) => ({ rule: `PathPrefix(\`/${prefix}\`)`, service });
  sy = res.add(
    await startSwitchyard({
      static: { serversTransport: { forwardingTimeouts: { responseHeaderTimeout: '300ms' } } },
      dynamic: {
        'app.yaml': {
          http: {
            routers: {
              healthy: route('healthy', 'healthy'),
              refused: route('refused', 'refused'),
              resetBefore: route('reset-before', 'resetBefore'),
              resetMid: route('reset-mid', 'resetMid'),
              silent: route('silent', 'silent'),
              slowBody: route('slow-body', 'slowBody'),
              empty: route('empty', 'empty'),
              zero: route('zero', 'zero'),
            },
            services: {
              healthy: { loadBalancer: { servers: [{ url: healthy.url }] } },
              refused: { loadBalancer: { servers: [{ url: refused }] } },
              resetBefore: { loadBalancer: { servers: [{ url: resetBefore.url }] } },
              resetMid: { loadBalancer: { servers: [{ url: resetMid.url }] } },
              silent: { loadBalancer: { servers: [{ url: silent.url }] } },
              slowBody: { loadBalancer: { servers: [{ url: slowBody.url }] } },
              empty: { loadBalancer: { servers: [] } },
              zero: {
                loadBalancer: {
                  strategy: 'leastConn',
                  servers: [
                    { url: healthy.url, weight: 0 },
                    { url: refused, weight: 0 },
                  ],
                },
              },
            },
          },
        },
      },
      api: true,
    }),
  );
});

afterAll(async () => {
  for (const r of held.splice(0)) r.destroy();
  await res.closeAll();
});

afterEach(async () => {
  // Whatever failed, the proxy still serves and nothing stays in flight.
  const ok = await request(`${sy.url}/healthy`, { agent: false });
  expect(ok.status).toBe(200);
  expect(ok.body).toBe('healthy');
  await waitForNoInFlight(sy.apiUrl!);
});

describe('upstream errors', () => {
  it('a server refusing connections gives 502', async () => {
    for (let i = 0; i < 3; i++) {
      const reply = await request(`${sy.url}/refused`);
      expect(reply.status).toBe(502);
      expect(reply.body).toBe('Bad Gateway\n');
    }
    const view = await getService(sy.apiUrl!, 'refused@file');
    expect(view.servers[0]!.served).toBe(3);
  });

  it('a backend destroying the connection before answering gives 502', async () => {
    const before = resetBefore.requests.length;
    const reply = await request(`${sy.url}/reset-before`);
    expect(reply.status).toBe(502);
    expect(reply.body).toBe('Bad Gateway\n');
    // Exactly one attempt: a non-idempotent retry would be wrong, and GET is not retried either.
    expect(resetBefore.requests.length).toBe(before + 1);
  });

  it('a POST to a backend destroying the connection gives 502', async () => {
    const reply = await request(`${sy.url}/reset-before`, { method: 'POST', body: 'payload' });
    expect(reply.status).toBe(502);
  });

  it('a backend resetting mid-response makes the client see a broken response, not a complete one', async () => {
    const outcome = await new Promise<{ status: number; body: string; complete: boolean; error?: string }>((resolve) => {
      const req = http.get(`${sy.url}/reset-mid`, { agent: false }, (response) => {
        let body = '';
        response.setEncoding('utf8');
        response.on('data', (c: string) => (body += c));
        response.on('end', () => resolve({ status: response.statusCode!, body, complete: response.complete }));
        response.on('error', (err) => resolve({ status: response.statusCode!, body, complete: false, error: err.message }));
        response.on('aborted', () => resolve({ status: response.statusCode!, body, complete: false, error: 'aborted' }));
      });
      req.on('error', (err) => resolve({ status: 0, body: '', complete: false, error: err.message }));
    });
    // The client learns the response broke (no clean end), whatever part of the body it got.
    expect(outcome.complete).toBe(false);
    expect(outcome.error).toBeDefined();
    expect(['', 'partial-']).toContain(outcome.body);
    if (outcome.status !== 0) expect(outcome.status).toBe(200);
  });

  it('a backend that never answers gives 504 after responseHeaderTimeout', async () => {
    const before = held.length;
    const reply = await request(`${sy.url}/silent`);
    expect(reply.status).toBe(504);
    expect(reply.body).toBe('Gateway Timeout\n');
    expect(held.length).toBe(before + 1);
  });

  it('responseHeaderTimeout does not cut a response whose headers came in time', async () => {
    const pending = request(`${sy.url}/slow-body`, { agent: false });
    const before = held.length;
    // Wait well past the 300 ms header timeout (observed through the silent route's own 504).
    await waitFor(() => held.length > before, 'slow-body request to reach the backend');
    const reply504 = await request(`${sy.url}/silent`, { agent: false });
    expect(reply504.status).toBe(504);
    held[before]!.end('tail');
    const reply = await pending;
    expect(reply.status).toBe(200);
    expect(reply.body).toBe('head-tail');
  });

  it('a client giving up while the backend is silent leaves nothing in flight', async () => {
    const before = held.length;
    const req2 = http.get(`${sy.url}/silent/x`, { agent: false });
    req2.on('error', () => undefined);
    await waitFor(() => held.length > before, 'request to reach the silent backend');
    const view = await getService(sy.apiUrl!, 'silent@file');
    expect(view.servers[0]!.inFlight).toBe(1);
    req2.destroy();
    await waitFor(async () => (await getService(sy.apiUrl!, 'silent@file')).servers[0]!.inFlight === 0, 'inFlight back to 0');
  });

  it('a service with no servers gives 503', async () => {
    const reply = await request(`${sy.url}/empty`);
    expect(reply.status).toBe(503);
    expect(reply.body).toContain('no server of service empty@file');
  });

  it('a service whose servers all have weight 0 gives 503 and sends nothing upstream', async () => {
    const before = healthy.requests.length;
    for (let i = 0; i < 3; i++) expect((await request(`${sy.url}/zero`)).status).toBe(503);
    expect(healthy.requests.length).toBe(before);
  });

  it('errors on one service leave the others untouched under a mix of concurrent requests', async () => {
    const paths = ['/healthy', '/refused', '/reset-before', '/empty', '/healthy', '/zero', '/healthy'];
    const replies = await Promise.all(paths.flatMap((p) => [p, p]).map((p) => request(`${sy.url}${p}`, { agent: false })));
    const expected: Record<string, number> = { '/healthy': 200, '/refused': 502, '/reset-before': 502, '/empty': 503, '/zero': 503 };
    replies.forEach((r, i) => expect(r.status, paths[Math.floor(i / 2)]).toBe(expected[paths[Math.floor(i / 2)]!]));
  });
});
