import type { Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { startBackend, type Backend } from '../helpers/backends.js';
import { request } from '../helpers/http-client.js';
import { singleService, startSwitchyard, type TestSwitchyard } from '../helpers/switchyard.js';

// A backend that closes a kept-alive connection the moment a second request arrives on it:
// what a backend's idle timeout does when it races with a reuse. Fresh connections work.
async function closesReusedConnections(): Promise<{ backend: Backend; stats: { connections: number } }> {
  const perSocket = new WeakMap<Socket, number>();
  const stats = { connections: 0 };
  const backend = await startBackend('b', {
    handler: (req, res) => {
      const n = (perSocket.get(req.socket) ?? 0) + 1;
      perSocket.set(req.socket, n);
      if (n === 1) stats.connections++;
      if (n > 1) {
        req.socket.destroy();
        return;
      }
      req.resume();
      req.on('end', () => res.end(`ok ${req.method}`));
    },
  });
  return { backend, stats };
}

describe('a pooled upstream socket the backend just closed', () => {
  let sy: TestSwitchyard | undefined;
  let backend: Backend | undefined;
  afterEach(async () => {
    await sy?.close();
    await backend?.close();
  });

  it.each([0, 1])('is retried on a fresh socket for a GET, with retries: %i, and not counted as a failure', async (retries) => {
    const { backend: b, stats } = await closesReusedConnections();
    backend = b;
    sy = await startSwitchyard({
      dynamic: { 'app.yaml': singleService([b.url], { lb: { retries, passiveHealthCheck: { maxFailures: 1, failureWindow: '10s', ejectFor: '60s' } } }) },
    });
    for (let i = 0; i < 5; i++) expect(await request(sy.url)).toMatchObject({ status: 200, body: 'ok GET' });
    // Every request after the first met a dead pooled socket, yet nothing failed and the server
    // was not ejected (a stale socket is not the server's fault).
    expect(stats.connections).toBe(5);
    expect(sy.app.runtime.registry.states()[0]).toMatchObject({ available: true, ejectedUntil: 0 });
  });

  it('is not resent for a POST with a body when retries are off (the body was streamed once)', async () => {
    const { backend: b } = await closesReusedConnections();
    backend = b;
    sy = await startSwitchyard({ dynamic: { 'app.yaml': singleService([b.url], { lb: { retries: 0 } }) } });
    expect(await request(sy.url, { method: 'POST', body: 'x' })).toMatchObject({ status: 200 });
    expect((await request(sy.url, { method: 'POST', body: 'y' })).status).toBe(502);
  });
});
