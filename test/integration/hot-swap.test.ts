import http from 'node:http';
import type { Socket } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { startBackends, type Backend } from '../helpers/backends.js';
import { request } from '../helpers/http-client.js';
import { singleService, startSwitchyard, type TestSwitchyard } from '../helpers/switchyard.js';
import { waitFor } from '../helpers/wait.js';

describe('hot swap under load', () => {
  let backends: Backend[];
  let sy: TestSwitchyard;

  beforeAll(async () => {
    backends = await startBackends(['a', 'b', 'c']);
    sy = await startSwitchyard({ dynamic: { 'pool.yaml': singleService(backends.map((b) => b.url)) } });
  });
  afterAll(async () => {
    await sy?.close();
    await Promise.all(backends.map((b) => b.close()));
  });

  it('rewrites the pool 50 times under 120 keep-alive clients: no failed request, no closed client connection, WebSocket survives', async () => {
    // A WebSocket opened before the swaps, through a server that will come and go.
    const ws = new WebSocket(`ws://127.0.0.1:${sy.port}/ws`);
    await new Promise<void>((resolve, reject) => {
      ws.once('open', () => resolve());
      ws.once('error', reject);
    });
    let wsClosed = false;
    ws.on('close', () => (wsClosed = true));
    const echo = (msg: string): Promise<string> =>
      new Promise((resolve) => {
        ws.once('message', (d) => resolve(d.toString()));
        ws.send(msg);
      });
    const wsBackend = (await echo('hello')).split(':')[0];

    const clients = 120;
    let stop = false;
    let ok = 0;
    const failures: string[] = [];
    const socketsPerClient: Array<Set<Socket>> = [];
    const seen = new Set<string>();
    const loops = Array.from({ length: clients }, async (_, i) => {
      const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
      const sockets = new Set<Socket>();
      socketsPerClient[i] = sockets;
      while (!stop) {
        await new Promise<void>((resolve) => {
          const req = http.get(`${sy.url}/load/${i}`, { agent }, (res) => {
            sockets.add(res.socket);
            let body = '';
            res.setEncoding('utf8');
            res.on('data', (c: string) => (body += c));
            res.on('end', () => {
              if (res.statusCode === 200) {
                ok++;
                seen.add(body);
              } else failures.push(`${res.statusCode} ${body}`);
              resolve();
            });
          });
          req.on('error', (err) => {
            failures.push(err.message);
            resolve();
          });
        });
      }
      agent.destroy();
    });

    // Consecutive pools always differ (so every write is a real swap) and never are empty.
    const pools = [[0, 1, 2], [0], [1, 2], [2], [0, 2], [1], [0, 1]];
    const startVersion = sy.version();
    for (let i = 0; i < 50; i++) {
      const pool = pools[(i + 1) % pools.length]!;
      const before = sy.version();
      await sy.writeDynamic('pool.yaml', singleService(pool.map((k) => backends[k]!.url), { weights: pool.map((k) => 1 + ((i + k) % 3)) }));
      await waitFor(() => sy.version() > before, `swap ${i + 1}`);
    }
    // Let traffic run on the final pool for a moment, measured in requests, not time.
    const after = ok;
    await waitFor(() => ok > after + 500, 'more traffic after the last swap', 10_000);
    stop = true;
    await Promise.all(loops);

    expect(failures).toEqual([]);
    expect(sy.version() - startVersion).toBeGreaterThanOrEqual(50);
    expect(ok).toBeGreaterThan(1000);
    expect([...seen].sort()).toEqual(['a', 'b', 'c']);
    // Every client kept the one connection it opened: no reload closed a client connection.
    expect(socketsPerClient.map((s) => s.size)).toEqual(Array(clients).fill(1));

    expect(wsClosed).toBe(false);
    expect(await echo('still here')).toBe(`${wsBackend}:still here`);
    ws.close();
  }, 120_000);
});

describe('draining a removed server', () => {
  let backends: Backend[];
  let sy: TestSwitchyard;
  let release: () => void = () => undefined;

  beforeAll(async () => {
    const gate = new Promise<void>((r) => (release = r));
    backends = await startBackends(['slow', 'fast']);
    // 'slow' holds /hold requests until the test releases them.
    const slow = backends[0]!;
    await slow.close();
    const { startBackend } = await import('../helpers/backends.js');
    backends[0] = await startBackend('slow', {
      handler: (req, res) => {
        req.resume();
        if (req.url === '/hold') void gate.then(() => res.end('slow-done'));
        else res.end('slow');
      },
    });
    sy = await startSwitchyard({ api: true, dynamic: { 'pool.yaml': singleService([backends[0]!.url]) } });
  });
  afterAll(async () => {
    release();
    await sy?.close();
    await Promise.all(backends.map((b) => b.close()));
  });

  it('lets in-flight requests and WebSockets finish, sends nothing new, then forgets the server', async () => {
    const [slow, fast] = backends as [Backend, Backend];
    const held = request(`${sy.url}/hold`);
    const ws = new WebSocket(`ws://127.0.0.1:${sy.port}/ws`);
    await new Promise<void>((resolve, reject) => {
      ws.once('open', () => resolve());
      ws.once('error', reject);
    });
    const service = async (): Promise<{ servers: Array<{ url: string; state: string; inFlight: number; webSockets: number }> }> =>
      JSON.parse((await request(`${sy.apiUrl}/api/http/services/app@file`)).body);
    await waitFor(async () => (await service()).servers[0]?.inFlight === 2, 'the held request and the WebSocket to be in flight');

    await sy.writeDynamic('pool.yaml', singleService([fast.url]));
    await waitFor(async () => (await request(sy.url)).body === 'fast', 'the new pool');
    const view = await service();
    expect(view.servers).toContainEqual(expect.objectContaining({ url: slow.url, state: 'draining', inFlight: 2, webSockets: 1 }));
    for (let i = 0; i < 20; i++) expect((await request(sy.url)).body).toBe('fast');

    // The WebSocket still works through the draining server.
    const reply = new Promise<string>((resolve) => ws.once('message', (d) => resolve(d.toString())));
    ws.send('ping');
    expect(await reply).toBe('slow:ping');

    release();
    expect((await held).body).toBe('slow-done');
    ws.close();
    await waitFor(async () => !(await service()).servers.some((s) => s.url === slow.url), 'the drained server to be released');
  });
});
