import http from 'node:http';
import net from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { startControlledBackend } from '../helpers/health-backend.js';
import { request, type Reply } from '../helpers/http-client.js';
import { closeWs, openWs, Resources, wsRoundTrip } from '../helpers/proxy-harness.js';
import { singleService, startSwitchyard } from '../helpers/switchyard.js';
import { waitFor } from '../helpers/wait.js';

/** Graceful shutdown of an in-process Switchyard (what SIGTERM triggers). */

const res = new Resources();
afterEach(() => res.closeAll());

/** Resolves with the error code of a fresh TCP connection to `port`, or 'connected'. */
function tryConnect(port: number): Promise<string> {
  return new Promise((resolve) => {
    const socket = net.connect(port, '127.0.0.1');
    socket.once('connect', () => {
      socket.destroy();
      resolve('connected');
    });
    socket.once('error', (err: NodeJS.ErrnoException) => resolve(err.code ?? err.message));
  });
}

describe('graceful shutdown', () => {
  it('finishes in-flight requests with 200, refuses new connections, answers /ping 503, then closes WebSockets with 1001', async () => {
    const b = res.add(await startControlledBackend('b', { traffic: 'hold' }));
    const sy = res.add(await startSwitchyard({ dynamic: { 'app.yaml': singleService([b.url]) }, api: true }));
    expect((await request(`${sy.apiUrl}/ping`, { agent: false })).status).toBe(200);
    const events: string[] = [];
    const { ws } = await openWs(`ws://127.0.0.1:${sy.port}/chat`);
    res.add({ close: () => closeWs(ws) });
    expect(await wsRoundTrip(ws, 'hi')).toBe('b:hi');
    const wsClosed = new Promise<{ code: number; reason: string }>((resolve) =>
      ws.once('close', (code, reason) => {
        events.push('ws closed');
        resolve({ code, reason: reason.toString() });
      }),
    );

    // Five requests held by the backend, on keep-alive connections.
    const agent = new http.Agent({ keepAlive: true });
    res.add({ close: async () => agent.destroy() });
    const inFlight = Array.from({ length: 5 }, (_, i) =>
      request(`${sy.url}/slow/${i}`, { agent }).then((r: Reply) => {
        events.push('http done');
        return r;
      }),
    );
    await waitFor(() => b.held === 5, 'five requests held by the backend');

    const stopped = sy.app.stop().then(() => events.push('stopped'));
    await waitFor(async () => (await request(`${sy.apiUrl}/ping`, { agent: false })).status === 503, '/ping to answer 503');
    await waitFor(async () => (await tryConnect(sy.port)) === 'ECONNREFUSED', 'new connections to be refused');
    // Still draining: the WebSocket is open and works, nothing has finished.
    expect(await wsRoundTrip(ws, 'still there')).toBe('b:still there');
    expect(events).toEqual([]);

    b.release();
    const replies = await Promise.all(inFlight);
    for (const r of replies) {
      expect(r.status).toBe(200);
      expect(r.body).toBe('b');
    }
    const close = await wsClosed;
    expect(close.code).toBe(1001);
    await stopped;
    // The close frame came only after every in-flight response; stop() resolved (in either order
    // with the client noticing the closed socket).
    expect(events.slice(0, 5)).toEqual(['http done', 'http done', 'http done', 'http done', 'http done']);
    expect(events.slice(5).sort()).toEqual(['stopped', 'ws closed']);
    expect(await tryConnect(sy.port)).toBe('ECONNREFUSED');
  });

  it('cuts requests still running after lifeCycle.graceTimeout, and stop() resolves', async () => {
    const b = res.add(await startControlledBackend('b', { traffic: 'hold' }));
    const sy = res.add(
      await startSwitchyard({
        static: { entryPoints: { web: { transport: { lifeCycle: { graceTimeout: '300ms' } } } } },
        dynamic: { 'app.yaml': singleService([b.url]) },
      }),
    );
    const pending = request(`${sy.url}/forever`, { agent: false }).then(
      (r) => `status ${r.status}`,
      (err: Error) => `error ${err.message}`,
    );
    await waitFor(() => b.held === 1, 'the request to be held');
    await sy.app.stop();
    // Never answered by the backend: the client sees the connection cut, not a 200.
    expect(await pending).not.toBe('status 200');
  });
});
