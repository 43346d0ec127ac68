import http from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { request } from '../helpers/http-client.js';
import { getService, sequential, Resources } from '../helpers/proxy-harness.js';
import { singleService, startSwitchyard } from '../helpers/switchyard.js';
import { waitFor } from '../helpers/wait.js';

/**
 * The proxy's keep-alive connections to a server, as the server sees them: reused, closed when
 * idle for idleConnTimeout, closed when the server leaves the config and at shutdown.
 */

interface CountingBackend {
  url: string;
  /** Connections accepted so far. */
  accepted: number;
  open: Set<Socket>;
  close(): Promise<void>;
}

/** Answers 200 `name`; keeps idle connections for a minute, so any earlier close is the proxy's. */
async function countingBackend(name: string): Promise<CountingBackend> {
  const server = http.createServer({ keepAliveTimeout: 60_000 }, (req, res) => {
    req.resume();
    req.on('end', () => res.end(name));
  });
  const backend: CountingBackend = { url: '', accepted: 0, open: new Set(), close: async () => undefined };
  server.on('connection', (s: Socket) => {
    backend.accepted++;
    backend.open.add(s);
    s.once('close', () => backend.open.delete(s));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  backend.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  backend.close = async () => {
    for (const s of backend.open) s.destroy();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  };
  return backend;
}

const res = new Resources();
afterEach(() => res.closeAll());

describe('upstream connections', () => {
  it('are kept alive and reused across requests', async () => {
    const b = res.add(await countingBackend('b'));
    const sy = res.add(await startSwitchyard({ dynamic: { 'app.yaml': singleService([b.url]) } }));
    expect(await sequential(sy.url, 10)).toEqual(Array(10).fill('b'));
    expect(b.accepted).toBe(1);
  });

  it('that the backend resets (RST) on reuse are replaced: the GET is resent on a fresh one, not failed', async () => {
    // Each connection serves one request; the next one on it meets a reset, as when a backend's
    // idle timeout races with the reuse (the FIN case is in stale-socket.test.ts).
    const served = new WeakSet<Socket>();
    const server = http.createServer({ keepAliveTimeout: 60_000 }, (req, res) => {
      if (served.has(req.socket)) {
        req.socket.resetAndDestroy();
        return;
      }
      served.add(req.socket);
      req.resume();
      req.on('end', () => res.end('ok'));
    });
    let accepted = 0;
    server.on('connection', () => accepted++);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    res.add({ close: () => new Promise<void>((resolve) => server.close(() => resolve())) });
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    const sy = res.add(
      await startSwitchyard({
        dynamic: { 'app.yaml': singleService([url], { lb: { passiveHealthCheck: { maxFailures: 1, failureWindow: '10s', ejectFor: '60s' } } }) },
        api: true,
      }),
    );
    expect(await sequential(sy.url, 4)).toEqual(Array(4).fill('ok'));
    expect(accepted).toBe(4);
    // Not the server's fault: not ejected.
    expect((await getService(sy.apiUrl!)).servers[0]).toMatchObject({ state: 'up' });
    expect((await request(sy.url, { agent: false })).status).toBe(200);
  });

  it('are closed after idleConnTimeout without traffic', async () => {
    const b = res.add(await countingBackend('b'));
    const sy = res.add(
      await startSwitchyard({
        static: { serversTransport: { forwardingTimeouts: { idleConnTimeout: '200ms' } } },
        dynamic: { 'app.yaml': singleService([b.url]) },
      }),
    );
    expect(await sequential(sy.url, 1)).toEqual(['b']);
    expect(b.open.size).toBe(1);
    // The backend would keep it for a minute: closing it within seconds is the proxy's doing.
    await waitFor(() => b.open.size === 0, 'the idle upstream connection to close', 3000);
  });

  it('are closed once idle when their server leaves the config, and at shutdown', async () => {
    const leaving = res.add(await countingBackend('leaving'));
    const staying = res.add(await countingBackend('staying'));
    const sy = await startSwitchyard({ dynamic: { 'app.yaml': singleService([leaving.url, staying.url]) } });
    try {
      const seen = await sequential(sy.url, 4);
      expect(new Set(seen)).toEqual(new Set(['leaving', 'staying']));
      expect(leaving.open.size).toBe(1);
      await sy.writeDynamic('app.yaml', singleService([staying.url]));
      await waitFor(() => leaving.open.size === 0, "the leaving server's connection to close");
      expect(staying.open.size).toBe(1);
    } finally {
      await sy.close();
    }
    await waitFor(() => staying.open.size === 0, 'every upstream connection to close at shutdown');
  });
});
