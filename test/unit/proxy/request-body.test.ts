import http from 'node:http';
import net, { type AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { ClientConnection, type ConnectionOwner } from '../../../src/entrypoints/client-connection.js';
import type { BodySink, Downstream } from '../../../src/http1/downstream.js';
import { readBodyUpTo, type Body } from '../../../src/proxy/request-body.js';
import { respond } from '../../../src/proxy/respond.js';

/** Everything of a streamed body: the part read so far, then the rest from the client. */
function restOf(body: Body): Promise<string> {
  if (body.kind !== 'streamed') return Promise.resolve('');
  const parts = body.prefix.map((b) => b.toString('latin1'));
  return new Promise((resolve) => {
    const sink: BodySink = {
      chunk: (data) => (parts.push(data.toString('latin1')), true),
      end: () => resolve(parts.join('')),
    };
    body.source.attachBody(sink);
  });
}

// Real requests through a real client connection (llhttp): the Downstream behaves as in production.
async function withBody(send: (url: string) => Promise<void>, limit: number): Promise<{ body: Body; rest: string }> {
  return new Promise((resolve, reject) => {
    const owner: ConnectionOwner = {
      async request(d: Downstream) {
        const body = await readBodyUpTo(d, limit);
        const rest = await restOf(body);
        respond(d, 200, 'ok');
        server.close();
        resolve({ body, rest });
      },
      upgrade: (_head, socket) => socket.destroy(),
      connectionClosed: () => undefined,
    };
    const server = net.createServer((socket) => new ClientConnection(socket, owner, 0));
    server.listen(0, '127.0.0.1', () => {
      send(`http://127.0.0.1:${(server.address() as AddressInfo).port}`).catch(reject);
    });
  });
}

function post(url: string, body: string, chunked: boolean): Promise<void> {
  return new Promise((resolve, reject) => {
    const req = http.request(url, { method: 'POST', headers: chunked ? {} : { 'content-length': Buffer.byteLength(body) } }, (res) => {
      res.resume();
      res.on('end', resolve);
    });
    req.on('error', reject);
    if (chunked) {
      // Several writes, no length: the reader cannot know the size up front.
      for (let i = 0; i < body.length; i += 1000) req.write(body.slice(i, i + 1000));
      req.end();
    } else req.end(body);
  });
}

describe('readBodyUpTo', () => {
  afterEach(() => undefined);

  it('reports no body for a GET', async () => {
    const r = await withBody((u) => new Promise((res) => http.get(u, (x) => (x.resume(), x.on('end', () => res())))), 10);
    expect(r.body.kind).toBe('none');
  });

  it('buffers a body within the limit (with or without a length)', async () => {
    for (const chunked of [false, true]) {
      const r = await withBody((u) => post(u, 'x'.repeat(5000), chunked), 8000);
      expect(r.body.kind).toBe('buffered');
      expect(r.body.kind === 'buffered' && r.body.data.toString()).toBe('x'.repeat(5000));
    }
  });

  it('streams a body over the limit without losing a byte', async () => {
    const payload = Array.from({ length: 20_000 }, (_, i) => String.fromCharCode(97 + (i % 26))).join('');
    for (const chunked of [false, true]) {
      const r = await withBody((u) => post(u, payload, chunked), 4096);
      expect(r.body.kind).toBe('streamed');
      expect(r.rest).toBe(payload);
    }
  });
});
