import { createHash } from 'node:crypto';
import http from 'node:http';
import net from 'node:net';
import { Readable } from 'node:stream';
import v8 from 'node:v8';
import vm from 'node:vm';
import { afterEach, describe, expect, it } from 'vitest';
import { startBackend } from '../helpers/backends.js';
import { Resources, waitForNoInFlight } from '../helpers/proxy-harness.js';
import { singleService, startSwitchyard } from '../helpers/switchyard.js';

/**
 * Large bodies stream through without being buffered. Client, backend and Switchyard all run
 * in this process, so this process's retained memory bounds what the proxy holds.
 */

const MB = 1024 * 1024;
const CHUNK = 64 * 1024;

v8.setFlagsFromString('--expose-gc');
const gc = vm.runInNewContext('gc') as () => void;

/** Retained heap + ArrayBuffer memory after a full collection. */
function retained(): number {
  gc();
  gc();
  const m = process.memoryUsage();
  return m.heapUsed + m.arrayBuffers;
}

/** Distinct chunk fillers (prime, so the pattern does not line up with power-of-two buffer sizes). */
const PATTERNS = 17;

/** `total` bytes in CHUNK-sized pieces; piece i is filled with the byte i % PATTERNS. Reuses its buffers. */
function patterned(total: number, onChunk?: (produced: number) => void): Readable {
  const pieces = Array.from({ length: PATTERNS }, (_, i) => Buffer.alloc(CHUNK, i));
  let produced = 0;
  let i = 0;
  return new Readable({
    read() {
      if (produced >= total) {
        this.push(null);
        return;
      }
      const n = Math.min(CHUNK, total - produced);
      const piece = pieces[i % PATTERNS]!;
      i++;
      produced += n;
      onChunk?.(produced);
      this.push(n === CHUNK ? piece : piece.subarray(0, n));
    },
  });
}

function expectedDigest(total: number): string {
  const hash = createHash('sha256');
  let done = 0;
  for (let i = 0; done < total; i++) {
    const n = Math.min(CHUNK, total - done);
    hash.update(Buffer.alloc(n, i % PATTERNS));
    done += n;
  }
  return hash.digest('hex');
}

const res = new Resources();
afterEach(() => res.closeAll());

describe('streaming', () => {
  it('a 100 MB upload streams through without the proxy buffering it', async () => {
    const TOTAL = 100 * MB;
    let produced = 0;
    let received = 0;
    let maxLag = 0;
    const samples: number[] = [];
    const marks = [25 * MB, 50 * MB, 75 * MB];
    const backend = res.add(
      await startBackend('sink', {
        handler: (req, r) => {
          const hash = createHash('sha256');
          req.on('data', (c: Buffer) => {
            received += c.length;
            hash.update(c);
            maxLag = Math.max(maxLag, produced - received);
            if (marks.length > 0 && received >= marks[0]!) {
              marks.shift();
              samples.push(retained());
            }
          });
          req.on('end', () => r.end(`${received}:${hash.digest('hex')}`));
        },
      }),
    );
    const sy = res.add(await startSwitchyard({ dynamic: { 'app.yaml': singleService([backend.url]) }, api: true }));

    const before = retained();
    const reply = await new Promise<{ status: number; body: string }>((resolve, reject) => {
      const req = http.request(`${sy.url}/upload`, { method: 'POST', agent: false, headers: { 'content-type': 'application/octet-stream' } }, (response) => {
        let body = '';
        response.setEncoding('utf8');
        response.on('data', (c: string) => (body += c));
        response.on('end', () => resolve({ status: response.statusCode!, body }));
        response.on('error', reject);
      });
      req.on('error', reject);
      patterned(TOTAL, (p) => (produced = p)).pipe(req);
    });
    const after = retained();

    expect(reply.status).toBe(200);
    expect(reply.body).toBe(`${TOTAL}:${expectedDigest(TOTAL)}`);
    // The backend kept up with the client: never more than socket buffers' worth behind.
    expect(maxLag).toBeLessThan(32 * MB);
    expect(samples).toHaveLength(3);
    for (const during of samples) expect(during - before).toBeLessThan(50 * MB);
    expect(after - before).toBeLessThan(50 * MB);
    await waitForNoInFlight(sy.apiUrl!);
  });

  it('a 50 MB download streams back intact', async () => {
    const TOTAL = 50 * MB;
    let produced = 0;
    let maxLag = 0;
    const backend = res.add(
      await startBackend('source', {
        handler: (req, r) => {
          req.resume();
          r.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': TOTAL });
          patterned(TOTAL, (p) => (produced = p)).pipe(r);
        },
      }),
    );
    const sy = res.add(await startSwitchyard({ dynamic: { 'app.yaml': singleService([backend.url]) }, api: true }));

    const before = retained();
    let during = 0;
    const got = await new Promise<{ status: number; length: string | undefined; bytes: number; digest: string }>((resolve, reject) => {
      http
        .get(`${sy.url}/download`, { agent: false }, (response) => {
          const hash = createHash('sha256');
          let bytes = 0;
          response.on('data', (c: Buffer) => {
            bytes += c.length;
            hash.update(c);
            maxLag = Math.max(maxLag, produced - bytes);
            if (during === 0 && bytes >= TOTAL / 2) during = retained();
          });
          response.on('end', () => resolve({ status: response.statusCode!, length: response.headers['content-length'], bytes, digest: hash.digest('hex') }));
          response.on('error', reject);
        })
        .on('error', reject);
    });
    const after = retained();

    expect(got.status).toBe(200);
    expect(got.length).toBe(String(TOTAL));
    expect(got.bytes).toBe(TOTAL);
    expect(got.digest).toBe(expectedDigest(TOTAL));
    expect(maxLag).toBeLessThan(32 * MB);
    expect(during - before).toBeLessThan(50 * MB);
    expect(after - before).toBeLessThan(50 * MB);
    await waitForNoInFlight(sy.apiUrl!);
  });

  it('a chunked upload of unknown length arrives complete', async () => {
    const TOTAL = 10 * MB + 123;
    const backend = res.add(
      await startBackend('sink', {
        handler: (req, r) => {
          const hash = createHash('sha256');
          let n = 0;
          req.on('data', (c: Buffer) => {
            n += c.length;
            hash.update(c);
          });
          req.on('end', () => r.end(`${req.headers['transfer-encoding'] ?? 'none'}:${n}:${hash.digest('hex')}`));
        },
      }),
    );
    const sy = res.add(await startSwitchyard({ dynamic: { 'app.yaml': singleService([backend.url]) } }));
    const body = await new Promise<string>((resolve, reject) => {
      const req = http.request(`${sy.url}/`, { method: 'PUT', agent: false }, (response) => {
        let text = '';
        response.setEncoding('utf8');
        response.on('data', (c: string) => (text += c));
        response.on('end', () => resolve(text));
      });
      req.on('error', reject);
      patterned(TOTAL).pipe(req);
    });
    expect(body).toBe(`chunked:${TOTAL}:${expectedDigest(TOTAL)}`);
  });

  it('a body delimited by the upstream closing its connection (no length, not chunked) arrives complete', async () => {
    const payload = 'x'.repeat(256 * 1024) + 'END';
    const sockets = new Set<net.Socket>();
    const upstream = net.createServer((socket) => {
      sockets.add(socket);
      socket.on('error', () => undefined);
      socket.once('data', () => socket.end(`HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nConnection: close\r\n\r\n${payload}`));
    });
    await new Promise<void>((resolve) => upstream.listen(0, '127.0.0.1', resolve));
    res.add({
      close: async () => {
        for (const s of sockets) s.destroy();
        await new Promise<void>((resolve) => upstream.close(() => resolve()));
      },
    });
    const port = (upstream.address() as net.AddressInfo).port;
    const sy = res.add(await startSwitchyard({ dynamic: { 'app.yaml': singleService([`http://127.0.0.1:${port}`]) }, api: true }));
    const got = await new Promise<{ status: number; body: string; complete: boolean }>((resolve, reject) => {
      http
        .get(`${sy.url}/`, { agent: false }, (response) => {
          let body = '';
          response.setEncoding('utf8');
          response.on('data', (c: string) => (body += c));
          response.on('end', () => resolve({ status: response.statusCode!, body, complete: response.complete }));
          response.on('error', reject);
        })
        .on('error', reject);
    });
    expect(got.status).toBe(200);
    expect(got.complete).toBe(true);
    expect(got.body).toBe(payload);
    await waitForNoInFlight(sy.apiUrl!);
  });
});
