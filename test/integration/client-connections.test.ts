import http, { type IncomingMessage, type ServerResponse } from 'node:http';
import net, { type AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startBackend, type Backend } from '../helpers/backends.js';
import { getService, rawExchange, Resources } from '../helpers/proxy-harness.js';
import { startSwitchyard, type TestSwitchyard } from '../helpers/switchyard.js';
import { waitFor } from '../helpers/wait.js';

/**
 * Client connections as the entry point's HTTP/1.1 engine handles them (src/entrypoints/
 * client-connection.ts over llhttp): pipelining, keep-alive, limits, timeouts, half-close and
 * malformed input, on raw sockets so every byte is the client's choice.
 */

/** Answers `path` (and the header count) as the body. */
function echoPath(req: IncomingMessage, res: ServerResponse): void {
  req.resume();
  req.on('end', () => {
    const body = `${req.url} ${req.rawHeaders.length / 2}`;
    res.setHeader('content-length', Buffer.byteLength(body));
    res.end(body);
  });
}

/** A raw TCP server that answers every request with `reply` (bytes of our choosing). */
async function rawBackend(reply: string): Promise<{ url: string; close(): Promise<void> }> {
  const server = net.createServer((socket) => {
    socket.on('error', () => socket.destroy());
    socket.once('data', () => socket.end(reply));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

/** An open connection to the entry point: write bytes, read what came back, see it close. */
function connect(port: number): Promise<{ socket: net.Socket; text(): string; closed: Promise<void> }> {
  return new Promise((resolve, reject) => {
    const socket = net.connect(port, '127.0.0.1');
    let received = '';
    socket.on('data', (d: Buffer) => (received += d.toString('latin1')));
    socket.on('error', () => undefined);
    const closed = new Promise<void>((r) => socket.once('close', () => r()));
    socket.once('connect', () => resolve({ socket, text: () => received, closed }));
    socket.once('error', reject);
  });
}

const statuses = (text: string): number[] => [...text.matchAll(/HTTP\/1\.1 (\d{3}) /g)].map((m) => Number(m[1]));

const res = new Resources();
let backend: Backend;
let garbage: Awaited<ReturnType<typeof rawBackend>>;
/** Connections of requests the `slow` backend holds without answering. */
const held: net.Socket[] = [];
let sy: TestSwitchyard;

beforeAll(async () => {
  backend = res.add(await startBackend('b', { handler: echoPath }));
  garbage = res.add(await rawBackend('NOT HTTP AT ALL\r\n\r\n'));
  const coded = res.add(await rawBackend('HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip, chunked\r\nConnection: close\r\n\r\n4\r\nGZIP\r\n0\r\n\r\n'));
  const slow = res.add(await startBackend('slow', { handler: (req) => (req.resume(), held.push(req.socket)) }));
  const lazy = res.add(
    await startBackend('lazy', {
      // Reads nothing for 300 ms, then counts the body.
      handler: (req, reply) => {
        req.pause();
        let size = 0;
        setTimeout(() => req.on('data', (c: Buffer) => (size += c.length)).resume(), 300);
        req.on('end', () => reply.end(String(size)));
      },
    }),
  );
  sy = res.add(
    await startSwitchyard({
      static: { entryPoints: { web: { transport: { respondingTimeouts: { idleTimeout: '400ms', readHeaderTimeout: '300ms' } } } } },
      dynamic: {
        'app.yaml': {
          http: {
            routers: {
              app: { rule: 'PathPrefix(`/`)', service: 'app' },
              garbage: { rule: 'Host(`garbage.test`)', service: 'garbage' },
              coded: { rule: 'Host(`coded.test`)', service: 'coded' },
              slow: { rule: 'Host(`slow.test`)', service: 'slow' },
              lazy: { rule: 'Host(`lazy.test`)', service: 'lazy' },
            },
            services: {
              app: { loadBalancer: { servers: [{ url: backend.url }] } },
              garbage: { loadBalancer: { servers: [{ url: garbage.url }] } },
              coded: { loadBalancer: { servers: [{ url: coded.url }] } },
              slow: { loadBalancer: { servers: [{ url: slow.url }] } },
              lazy: { loadBalancer: { servers: [{ url: lazy.url }] } },
            },
          },
        },
      },
      api: true,
    }),
  );
});
afterAll(() => res.closeAll());

describe('client connections', () => {
  it('answers pipelined requests in order on one connection', async () => {
    const reply = await rawExchange(
      sy.port,
      'GET /one HTTP/1.1\r\nHost: a.test\r\n\r\nGET /two HTTP/1.1\r\nHost: a.test\r\n\r\nGET /three HTTP/1.1\r\nHost: a.test\r\nConnection: close\r\n\r\n',
    );
    expect(reply.status).toBe(200);
    const bodies = [...`${reply.body}`.matchAll(/\/(one|two|three) \d+/g)].map((m) => m[1]);
    expect(bodies).toEqual(['one', 'two', 'three']);
  });

  it('answers an Upgrade it does not do (h2c, as `curl --http2` asks) in HTTP/1.1, and the requests after it too', async () => {
    const reply = await rawExchange(
      sy.port,
      'GET /h2c HTTP/1.1\r\nHost: a.test\r\nConnection: Upgrade, HTTP2-Settings\r\nUpgrade: h2c\r\nHTTP2-Settings: AAMAAABkAARAAAAAAAIAAAAA\r\n\r\n' +
        'GET /after HTTP/1.1\r\nHost: a.test\r\nConnection: close\r\n\r\n',
    );
    expect(statuses(`HTTP/1.1 ${reply.status} ${reply.body}`)).toEqual([200, 200]);
    expect(reply.body).toContain('/h2c ');
    expect(reply.body).toContain('/after ');
    const seen = backend.requests.find((r) => r.url === '/h2c')!;
    expect(seen.headers.upgrade).toBeUndefined();
  });

  it('reads the next request on a keep-alive connection after an upload that had to wait for a slow backend', async () => {
    const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
    try {
      const ports: number[] = [];
      const send = (path: string, body?: Buffer) =>
        new Promise<string>((resolve, reject) => {
          const req = http.request(`${sy.url}${path}`, { method: body ? 'POST' : 'GET', agent, headers: { host: 'lazy.test' } }, (r) => {
            ports.push(r.socket.localPort!);
            let text = '';
            r.on('data', (c: Buffer) => (text += c));
            r.on('end', () => resolve(text));
          });
          req.on('error', reject);
          req.end(body);
        });
      // 16 MB against a backend that reads nothing for 300 ms: the proxy must pause the client.
      expect(await send('/upload', Buffer.alloc(16 * 1024 * 1024, 7))).toBe(`${16 * 1024 * 1024}`);
      expect(await send('/next')).toBe('0');
      expect(ports[1]).toBe(ports[0]);
    } finally {
      agent.destroy();
    }
  });

  it('sends 100 Continue to a pipelined request when its turn comes, not before', async () => {
    const c = await connect(sy.port);
    c.socket.write(
      'GET /first HTTP/1.1\r\nHost: slow.test\r\n\r\n' + 'PUT /second HTTP/1.1\r\nHost: a.test\r\nExpect: 100-continue\r\nContent-Length: 4\r\n\r\n',
    );
    await waitFor(() => held.length > 0 && !held.at(-1)!.destroyed, 'the first request held by the slow backend');
    expect(c.text()).toBe(''); // the second waits its turn: no 100 yet
    held.at(-1)!.end('HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok');
    await waitFor(() => c.text().includes('100 Continue'), 'the 100 Continue of the second request');
    c.socket.write('body');
    await waitFor(() => c.text().includes('/second '), 'the answer to the second request');
    expect(statuses(c.text())).toEqual([200, 100, 200]);
    c.socket.destroy();
  });

  it('keeps an HTTP/1.0 keep-alive connection open and says so', async () => {
    const c = await connect(sy.port);
    c.socket.write('GET /a HTTP/1.0\r\nHost: a.test\r\nConnection: keep-alive\r\n\r\n');
    await waitFor(() => c.text().includes('/a '), 'the first response');
    expect(c.text()).toMatch(/\r\nConnection: keep-alive\r\n/i);
    c.socket.write('GET /b HTTP/1.0\r\nHost: a.test\r\n\r\n');
    await c.closed; // HTTP/1.0 without keep-alive: closed after the second response
    expect(statuses(c.text())).toEqual([200, 200]);
    expect(c.text()).toContain('/b ');
  });

  it('passes more than 32 header lines (llhttp hands them over in parts) intact', async () => {
    const extra = Array.from({ length: 50 }, (_, i) => `X-Extra-${i}: value-${i}\r\n`).join('');
    const reply = await rawExchange(sy.port, `GET /many HTTP/1.1\r\nHost: a.test\r\n${extra}Connection: close\r\n\r\n`);
    expect(reply.status).toBe(200);
    const last = backend.requests.at(-1)!;
    expect(last.headers['x-extra-0']).toBe('value-0');
    expect(last.headers['x-extra-49']).toBe('value-49');
    expect(last.url).toBe('/many');
  });

  it('gives up on a request whose client sent FIN (half-close looks like leaving): nothing stays in flight', async () => {
    const c = await connect(sy.port);
    c.socket.end('GET /half HTTP/1.1\r\nHost: slow.test\r\n\r\n');
    await c.closed;
    expect(statuses(c.text())).toEqual([]);
    // Whether or not the request got as far as the backend, nothing of it may stay.
    await waitFor(async () => (await getService(sy.apiUrl!, 'slow@file')).servers[0]!.inFlight === 0, 'inFlight back to 0');
    await waitFor(() => held.every((s) => s.destroyed), 'the upstream connection to close');
  });

  it('drops the trailers of a chunked upload: they never become headers of the next request', async () => {
    const extra = Array.from({ length: 40 }, (_, i) => `X-N${i}: ${i}\r\n`).join('');
    const reply = await rawExchange(
      sy.port,
      'POST /trailers HTTP/1.1\r\nHost: a.test\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\nX-Trailer: sneaky\r\n\r\n' +
        `GET /next-many HTTP/1.1\r\nHost: a.test\r\n${extra}Connection: close\r\n\r\n`,
    );
    expect(statuses(`HTTP/1.1 ${reply.status} ${reply.body}`)).toEqual([200, 200]);
    const next = backend.requests.find((r) => r.url === '/next-many')!;
    expect(next.headers['x-trailer']).toBeUndefined();
    expect(next.headers['x-n39']).toBe('39');
  });

  it('keeps transfer codings other than chunked (gzip, chunked) on the body both ways, re-chunked', async () => {
    const up = await rawExchange(
      sy.port,
      'POST /codings HTTP/1.1\r\nHost: a.test\r\nTransfer-Encoding: gzip, chunked\r\nConnection: close\r\n\r\n4\r\nGZIP\r\n0\r\n\r\n',
    );
    expect(up.status).toBe(200);
    expect(backend.requests.find((r) => r.url === '/codings')!.headers['transfer-encoding']).toBe('gzip, chunked');
    const down = await rawExchange(sy.port, 'GET / HTTP/1.1\r\nHost: coded.test\r\nConnection: close\r\n\r\n');
    expect(down.status).toBe(200);
    expect(down.headers.get('transfer-encoding')).toEqual(['gzip, chunked']);
    expect(down.body).toBe('4\r\nGZIP\r\n0\r\n\r\n');
  });

  it('answers 502 to an HTTP/1.0 client when the backend sent a transfer coding other than chunked, saying why', async () => {
    const down = await rawExchange(sy.port, 'GET / HTTP/1.0\r\nHost: coded.test\r\n\r\n');
    expect(down.status).toBe(502);
    expect(down.headers.get('transfer-encoding')).toBeUndefined();
    expect(down.body).toMatch(/Transfer-Encoding: gzip, chunked, which an HTTP\/1\.0 client cannot receive; send the request over HTTP\/1\.1/);
    // The same over HTTP/1.1 still passes (the test above), and a plain chunked body reaches HTTP/1.0 unchunked.
    const plain = await rawExchange(sy.port, 'GET /plain HTTP/1.0\r\nHost: a.test\r\n\r\n');
    expect(plain.status).toBe(200);
  });

  it('answers 400 to a request line that is not HTTP, and closes', async () => {
    const reply = await rawExchange(sy.port, 'THIS IS NOT HTTP\r\n\r\n');
    expect(reply.status).toBe(400);
    expect(reply.headers.get('connection')).toEqual(['close']);
  });

  it('answers 400 to an HTTP/1.1 request without Host', async () => {
    const reply = await rawExchange(sy.port, 'GET / HTTP/1.1\r\nConnection: close\r\n\r\n');
    expect(reply.status).toBe(400);
  });

  it('refuses a request with both Content-Length and Transfer-Encoding (smuggling) before any backend sees it', async () => {
    const before = backend.requests.length;
    const reply = await rawExchange(
      sy.port,
      'POST /smuggle HTTP/1.1\r\nHost: a.test\r\nContent-Length: 4\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\nGET /hidden HTTP/1.1\r\nHost: a.test\r\n\r\n',
    );
    expect(reply.status).toBe(400);
    expect(backend.requests.length).toBe(before);
  });

  it('answers 431 to a head over 16 KiB', async () => {
    const reply = await rawExchange(sy.port, `GET / HTTP/1.1\r\nHost: a.test\r\nX-Big: ${'x'.repeat(20_000)}\r\n\r\n`);
    expect(reply.status).toBe(431);
  });

  it('answers 408 and closes when a head takes longer than readHeaderTimeout', async () => {
    const c = await connect(sy.port);
    const start = Date.now();
    c.socket.write('GET /slow HTTP/1.1\r\nHost: a.test\r\n'); // never finished
    await c.closed;
    expect(statuses(c.text())).toEqual([408]);
    expect(Date.now() - start).toBeGreaterThanOrEqual(250);
  });

  it('closes a keep-alive connection idle for idleTimeout, not one that is used', async () => {
    const c = await connect(sy.port);
    const start = Date.now();
    c.socket.write('GET /idle HTTP/1.1\r\nHost: a.test\r\n\r\n');
    await c.closed;
    expect(statuses(c.text())).toEqual([200]);
    expect(Date.now() - start).toBeGreaterThanOrEqual(350);
  });

  it('answers 502 when the backend does not speak HTTP', async () => {
    const reply = await rawExchange(sy.port, 'GET / HTTP/1.1\r\nHost: garbage.test\r\nConnection: close\r\n\r\n');
    expect(reply.status).toBe(502);
  });
});
