import http, { type IncomingMessage, type ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { startBackend, type Backend } from '../helpers/backends.js';
import { request } from '../helpers/http-client.js';
import { getService, rawExchange, Resources, waitForNoInFlight } from '../helpers/proxy-harness.js';
import { startSwitchyard, type TestSwitchyard } from '../helpers/switchyard.js';
import { waitFor } from '../helpers/wait.js';

/**
 * HTTP as it passes through the forwarder, one behaviour per case: what the backend receives
 * and what the client gets back, byte for byte where it matters.
 */

/** Answers per path; `/echo` returns what it received as JSON. */
function handler(req: IncomingMessage, res: ServerResponse): void {
  if (req.url === '/early') {
    // Refuses an upload without reading it.
    res.statusCode = 413;
    res.end('too big');
    return;
  }
  const chunks: Buffer[] = [];
  req.on('data', (c: Buffer) => chunks.push(c));
  req.on('end', () => {
    const path = req.url ?? '';
    if (path.startsWith('/cookies')) {
      res.setHeader('set-cookie', ['a=1; Path=/', 'b=2; Path=/']);
      res.end('cookies');
    } else if (path.startsWith('/latin1')) {
      res.setHeader('x-back', 'r\u00e9ponse \u00ff');
      // A Buffer body: with a string body Node would write the head as UTF-8, not latin1.
      res.end(Buffer.from(encodeURIComponent(String(req.headers['x-name']))));
    } else if (path.startsWith('/chunked')) {
      res.write('first-');
      setImmediate(() => res.end('second'));
    } else if (path.startsWith('/head')) {
      res.setHeader('content-length', '11');
      res.end(req.method === 'HEAD' ? undefined : 'hello world');
    } else if (path.startsWith('/status/')) {
      res.statusCode = Number(path.slice('/status/'.length));
      res.end();
    } else if (path.startsWith('/early-hints')) {
      res.writeEarlyHints({ link: '</style.css>; rel=preload; as=style' });
      res.end('after hints');
    } else {
      res.setHeader('content-type', 'application/json');
      res.end(JSON.stringify({ method: req.method, url: req.url, headers: req.headers, body: Buffer.concat(chunks).toString('latin1') }));
    }
  });
}

interface Echo {
  method: string;
  url: string;
  headers: http.IncomingHttpHeaders;
  body: string;
}

const res = new Resources();
let backend: Backend;
let sy: TestSwitchyard;
/** Connections of requests the `slow` backend holds without answering. */
const held: Socket[] = [];

beforeAll(async () => {
  backend = res.add(await startBackend('b', { handler }));
  const slow = res.add(
    await startBackend('slow', {
      handler: (req) => {
        req.resume();
        held.push(req.socket);
      },
    }),
  );
  sy = res.add(
    await startSwitchyard({
      dynamic: {
        'app.yaml': {
          http: {
            routers: {
              app: { rule: 'PathPrefix(`/`)', service: 'app' },
              sticky: { rule: 'Host(`sticky.test`)', service: 'sticky' },
              prefixed: { rule: 'Host(`prefixed.test`)', service: 'prefixed' },
              slow: { rule: 'Host(`slow.test`)', service: 'slow' },
            },
            services: {
              app: { loadBalancer: { servers: [{ url: backend.url }] } },
              sticky: { loadBalancer: { sticky: { cookie: { name: 'sy_s' } }, servers: [{ url: backend.url }] } },
              prefixed: { loadBalancer: { servers: [{ url: `${backend.url}/base/` }] } },
              slow: { loadBalancer: { servers: [{ url: slow.url }] } },
            },
          },
        },
      },
      api: true,
    }),
  );
});
afterAll(() => res.closeAll());
afterEach(async () => {
  await waitForNoInFlight(sy.apiUrl!);
});

describe('HTTP forwarding', () => {
  it('keeps several Set-Cookie headers separate and appends the sticky cookie as one more', async () => {
    const plain = await request(`${sy.url}/cookies`, { agent: false });
    expect(plain.headers['set-cookie']).toEqual(['a=1; Path=/', 'b=2; Path=/']);
    const sticky = await request(`${sy.url}/cookies`, { agent: false, headers: { host: 'sticky.test' } });
    expect(sticky.headers['set-cookie']).toHaveLength(3);
    expect(sticky.headers['set-cookie']!.slice(0, 2)).toEqual(['a=1; Path=/', 'b=2; Path=/']);
    expect(sticky.headers['set-cookie']![2]).toMatch(/^sy_s=[0-9a-f]{16}/);
  });

  it('passes header values with non-ASCII (latin1) bytes unchanged both ways', async () => {
    const reply = await request(`${sy.url}/latin1`, { agent: false, headers: { 'x-name': 'caf\u00e9 \u00a7' } });
    expect(reply.status).toBe(200);
    // Node reads and writes header bytes as latin1 on both sides: the same string means the same bytes.
    expect(reply.body).toBe(encodeURIComponent('caf\u00e9 \u00a7'));
    expect(reply.headers['x-back']).toBe('r\u00e9ponse \u00ff');
  });

  it('sends the request target as received: no normalisation of dots, slashes or escapes', async () => {
    // Raw bytes on the wire: an HTTP client library would resolve the dot segments itself.
    const target = '/a//b/./c/../%2F%zz?q=1&q=2&x=%20';
    const reply = await rawExchange(sy.port, `GET ${target} HTTP/1.1\r\nHost: app.test\r\nConnection: close\r\n\r\n`);
    expect((JSON.parse(reply.body) as Echo).url).toBe(target);
  });

  it('sends an absolute-form request target as its path and query', async () => {
    const reply = await rawExchange(sy.port, 'GET http://elsewhere.test/abs/x?y=1 HTTP/1.1\r\nHost: elsewhere.test\r\nConnection: close\r\n\r\n');
    expect(reply.status).toBe(200);
    expect((JSON.parse(reply.body) as Echo).url).toBe('/abs/x?y=1');
  });

  it('puts the path of a server URL in front of the request path', async () => {
    const reply = await request(`${sy.url}/x?y=1`, { agent: false, headers: { host: 'prefixed.test' } });
    expect((JSON.parse(reply.body) as Echo).url).toBe('/base/x?y=1');
  });

  it('answers Expect: 100-continue itself and sends the body upstream without the Expect header', async () => {
    const outcome = await new Promise<{ continued: boolean; status: number; echo: Echo }>((resolve, reject) => {
      let continued = false;
      const req = http.request(`${sy.url}/upload`, {
        method: 'POST',
        agent: false,
        headers: { expect: '100-continue', 'content-type': 'text/plain', 'content-length': 7 },
      });
      req.on('continue', () => {
        continued = true;
        req.end('payload');
      });
      req.on('response', (r) => {
        let body = '';
        r.setEncoding('utf8');
        r.on('data', (c: string) => (body += c));
        r.on('end', () => resolve({ continued, status: r.statusCode!, echo: JSON.parse(body) as Echo }));
      });
      req.on('error', reject);
    });
    expect(outcome.continued).toBe(true);
    expect(outcome.status).toBe(200);
    expect(outcome.echo.body).toBe('payload');
    expect(outcome.echo.headers['expect']).toBeUndefined();
  });

  it('relays a chunked response chunked, and a chunked upload arrives whole', async () => {
    const reply = await request(`${sy.url}/chunked`, { agent: false });
    expect(reply.headers['transfer-encoding']).toBe('chunked');
    expect(reply.body).toBe('first-second');
    const upload = await new Promise<Echo>((resolve, reject) => {
      const req = http.request(`${sy.url}/echo`, { method: 'POST', agent: false }, (r) => {
        let body = '';
        r.setEncoding('utf8');
        r.on('data', (c: string) => (body += c));
        r.on('end', () => resolve(JSON.parse(body) as Echo));
      });
      req.on('error', reject);
      req.write('one-');
      setImmediate(() => req.end('two'));
    });
    expect(upload.body).toBe('one-two');
  });

  it('answers an HTTP/1.0 client with a body it can read to the end (no chunked framing)', async () => {
    const reply = await rawExchange(sy.port, 'GET /chunked HTTP/1.0\r\nHost: app.test\r\n\r\n');
    expect(reply.status).toBe(200);
    expect(reply.headers.get('transfer-encoding')).toBeUndefined();
    expect(reply.body).toBe('first-second');
  });

  it('answers HEAD, 204 and 304 without a body and keeps the client connection usable', async () => {
    const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
    try {
      const head = await request(`${sy.url}/head`, { method: 'HEAD', agent });
      expect(head.status).toBe(200);
      expect(head.headers['content-length']).toBe('11');
      expect(head.body).toBe('');
      for (const status of [204, 304]) {
        const r = await request(`${sy.url}/status/${status}`, { agent });
        expect(r.status).toBe(status);
        expect(r.body).toBe('');
      }
      expect((await request(`${sy.url}/head`, { agent })).body).toBe('hello world');
    } finally {
      agent.destroy();
    }
  });

  it('answers an upload the backend refused early, then closes that connection so the client is not left hanging', async () => {
    const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
    try {
      const refused = await new Promise<{ status: number; connection: string | undefined }>((resolve) => {
        const req = http.request(`${sy.url}/early`, { method: 'POST', agent, headers: { 'content-length': 4 * 1024 * 1024 } }, (r) => {
          r.resume();
          r.on('end', () => resolve({ status: r.statusCode!, connection: r.headers.connection }));
        });
        // The rest of the upload meets a closed connection; the answer is what counts.
        req.on('error', () => undefined);
        req.end(Buffer.alloc(4 * 1024 * 1024));
      });
      expect(refused.status).toBe(413);
      // Closed when the answer came before the whole upload had arrived (the rest would be read by
      // no one); kept when the upload had already arrived in full (the backend read and dropped it).
      // Either way the next request on the same agent works: nothing is left hanging or misread.
      expect((await request(`${sy.url}/head`, { agent })).body).toBe('hello world');
    } finally {
      agent.destroy();
    }
  });

  it('does not relay 1xx informational responses (103 Early Hints); the final response arrives', async () => {
    const reply = await rawExchange(sy.port, 'GET /early-hints HTTP/1.1\r\nHost: app.test\r\nConnection: close\r\n\r\n');
    expect(reply.status).toBe(200);
    expect(reply.body).toContain('after hints');
    expect(reply.body).not.toContain('103');
  });
});

describe('a client that goes away mid-request', () => {
  it('takes its upstream request with it and leaves nothing in flight', async () => {
    const client = http.get(`${sy.url}/wait`, { agent: false, headers: { host: 'slow.test' } });
    client.on('error', () => undefined);
    await waitFor(() => held.length > 0, 'the request to reach the backend');
    expect((await getService(sy.apiUrl!, 'slow@file')).servers[0]!.inFlight).toBe(1);
    client.destroy();
    await waitFor(() => held[0]!.destroyed, 'the upstream connection to close');
    await waitFor(async () => (await getService(sy.apiUrl!, 'slow@file')).servers[0]!.inFlight === 0, 'inFlight back to 0');
  });
});
