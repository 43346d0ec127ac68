import { randomBytes } from 'node:crypto';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { startLoad } from '../helpers/availability.js';
import { startBackend } from '../helpers/backends.js';
import { freePort, gracefulHttpdCommand, httpdCommand, removeLabelled, runContainer, startDockerEngine, type DockerEngine } from '../helpers/docker-engine.mjs';
import { request } from '../helpers/http-client.js';
import { closeWs, getService, openWs, Resources, wsRoundTrip } from '../helpers/proxy-harness.js';
import { startSwitchyard, type TestSwitchyard } from '../helpers/switchyard.js';
import { waitFor } from '../helpers/wait.js';

/** A real Switchyard routing real containers of a private dockerd, as a user runs them. */

let engine: DockerEngine;
beforeAll(async () => {
  engine = await startDockerEngine();
}, 60_000);
afterAll(async () => {
  await engine?.destroy();
}, 60_000);

const OWNER = 'sy-test.owner';
const res = new Resources();
afterEach(() => res.closeAll());

/** A Switchyard reading its own label prefix (so it sees only this test's containers) and containers to match. */
async function setup(): Promise<{ sy: TestSwitchyard; prefix: string; l: (path: string) => string }> {
  const prefix = `sy${randomBytes(3).toString('hex')}`;
  res.add({ close: () => removeLabelled(engine.docker, OWNER, prefix) });
  const sy = res.add(
    await startSwitchyard({ static: { providers: { docker: { endpoint: engine.endpoint, labelPrefix: prefix, exposedByDefault: false } } }, api: true }),
  );
  return { sy, prefix, l: (path) => `${prefix}.${path}` };
}

describe('docker provider, end to end', () => {
  it('routes a container by its labels as soon as it runs', async () => {
    const { sy, prefix, l } = await setup();
    const port = await freePort();
    // The example: docker run -d --label switchyard.enable=true --label 'switchyard.http.routers.web.rule=…' …
    await runContainer(engine.docker, {
      name: `${prefix}-web`,
      cmd: httpdCommand(port, 'hello from web'),
      labels: {
        [OWNER]: prefix,
        [l('enable')]: 'true',
        [l('http.routers.web.rule')]: 'Host(`web.localhost`)',
        [l('http.services.web.loadBalancer.server.port')]: String(port),
        [l('http.services.web.loadBalancer.strategy')]: 'leastConn',
      },
    });
    const reply = await waitFor(async () => {
      const r = await request(sy.url, { headers: { host: 'web.localhost' }, agent: false });
      return r.status === 200 ? r : undefined;
    }, 'the container to be routed');
    expect(reply.body).toBe('hello from web');
    const service = await getService(sy.apiUrl!, 'web@docker');
    expect(service).toMatchObject({ strategy: 'leastConn', servers: [{ url: `http://127.0.0.1:${port}`, state: 'up' }] });
    expect((await request(sy.url, { headers: { host: 'other.localhost' }, agent: false })).status).toBe(404);
  });

  it('pools three replicas into one service; one being stopped leaves the pool at once, and no request fails', async () => {
    const { sy, prefix, l } = await setup();
    const ports = [await freePort(), await freePort(), await freePort()];
    const replicas = await Promise.all(
      ports.map((port, i) =>
        runContainer(engine.docker, {
          name: `${prefix}-app-${i + 1}`,
          // Graceful: a replica killed mid-response would cut that response whatever the proxy does.
          cmd: gracefulHttpdCommand(port, `replica-${i + 1}`, `/${prefix}`, 2000),
          labels: {
            [OWNER]: prefix,
            [l('enable')]: 'true',
            [l('http.routers.app.rule')]: `PathPrefix(\`/${prefix}\`)`,
            [l('http.services.app.loadBalancer.server.port')]: String(port),
          },
        }),
      ),
    );
    const url = `${sy.url}/${prefix}`;
    // Every replica answers through the one router (each is routed once its httpd listens).
    const seen = new Set<string>();
    await waitFor(async () => {
      const r = await request(url, { agent: false });
      if (r.status === 200) seen.add(r.body);
      return seen.size === 3;
    }, 'all three replicas to answer');
    const service = await getService(sy.apiUrl!, 'app@docker');
    expect(service.servers.map((s) => s.url).sort()).toEqual(ports.map((p) => `http://127.0.0.1:${p}`).sort());

    const load = startLoad(url, 4);
    await waitFor(() => load.result.ok > 50, 'load to flow');
    const stopped = replicas[1]!.stop({ t: 10 });
    // On `docker stop`'s SIGTERM (the `kill` event), not once the container is gone: it still serves.
    await waitFor(async () => (await getService(sy.apiUrl!, 'app@docker')).servers.length === 2, 'the stopping replica to leave the pool');
    expect((await replicas[1]!.inspect()).State.Running).toBe(true);
    await stopped;
    const okAtStop = load.result.ok;
    await waitFor(() => load.result.ok > okAtStop + 50, 'load to keep flowing');
    load.stop();
    const result = await load.done;
    expect(result.failures).toEqual([]);
    const after = new Set<string>();
    for (let i = 0; i < 6; i++) after.add((await request(url, { agent: false })).body);
    expect([...after].sort()).toEqual(['replica-1', 'replica-3']);
  });

  it('routes a WebSocket to a host backend named by the labels of a container that only sleeps, and lets it finish after the container goes', async () => {
    const { sy, prefix, l } = await setup();
    const backend = res.add(await startBackend('ws-backend'));
    const sleeper = await runContainer(engine.docker, {
      name: `${prefix}-chat`,
      labels: {
        [OWNER]: prefix,
        [l('enable')]: 'true',
        [l('http.routers.chat.rule')]: `PathPrefix(\`/${prefix}/chat\`)`,
        [l('http.services.chat.loadBalancer.server.port')]: String(backend.port),
      },
    });
    const wsUrl = `ws://127.0.0.1:${sy.port}/${prefix}/chat`;
    await waitFor(async () => (await request(`${sy.url}/${prefix}/chat`, { agent: false })).status === 200, 'the route');
    const o = await openWs(wsUrl);
    res.add({ close: () => closeWs(o.ws) });
    expect(await wsRoundTrip(o.ws, 'hello')).toBe('ws-backend:hello');
    await sleeper.remove({ force: true });
    await waitFor(async () => (await request(`${sy.url}/${prefix}/chat`, { agent: false })).status === 404, 'the route to go with the container');
    // Its server is draining: the open WebSocket keeps working until it closes.
    expect(await wsRoundTrip(o.ws, 'still there?')).toBe('ws-backend:still there?');
  });
});
