import { mkdtemp, readFile, rename, rm } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { startBackend, type Backend } from '../helpers/backends.js';
import { request } from '../helpers/http-client.js';
import { Resources } from '../helpers/proxy-harness.js';
import { startSwitchyard } from '../helpers/switchyard.js';
import { waitFor } from '../helpers/wait.js';

/** The access log (static `accessLog`): one line per request, in a file, as users read it. */

const res = new Resources();
let backend: Backend;
let dir: string;

beforeAll(async () => {
  backend = await startBackend('b');
  dir = await mkdtemp(path.join(tmpdir(), 'sy-access-'));
});
afterEach(() => res.closeAll().then(() => undefined));
afterAll(async () => {
  await backend.close();
  await rm(dir, { recursive: true, force: true });
});

const dynamic = () => ({
  'app.yaml': {
    http: {
      routers: { app: { rule: 'Host(`app.test`)', service: 'app' }, empty: { rule: 'Host(`empty.test`)', service: 'empty' } },
      services: { app: { loadBalancer: { servers: [{ url: backend.url }] } }, empty: { loadBalancer: { servers: [] } } },
    },
  },
});

async function linesOf(file: string): Promise<string[]> {
  if (!existsSync(file)) return [];
  return (await readFile(file, 'utf8')).split('\n').filter((l) => l !== '');
}

describe('access log', () => {
  it('writes one Common Log Format line per request: client, request line, status, size, router, server, duration', async () => {
    const file = path.join(dir, 'common.log');
    const sy = res.add(await startSwitchyard({ static: { accessLog: { filePath: file, bufferingSize: 0 } }, dynamic: dynamic() }));
    await request(`${sy.url}/hello?x=1`, { agent: false, headers: { host: 'app.test', 'user-agent': 'tester/1', referer: 'http://ref.test/' } });
    await request(`${sy.url}/nowhere`, { agent: false, headers: { host: 'nobody.test' } });
    await request(`${sy.url}/`, { agent: false, headers: { host: 'empty.test' } });
    const all = await waitFor(async () => ((await linesOf(file)).length >= 3 ? linesOf(file) : undefined), 'three lines in the access log');
    // With workers, each writes its own lines: found by path, not by position.
    const lines = ['/hello', '/nowhere', '/ '].map((p) => all.find((l) => l.includes(`"GET ${p}`))!);
    expect(lines[0]).toMatch(
      new RegExp(
        String.raw`^127\.0\.0\.1 - - \[\d{2}/\w{3}/\d{4}:\d{2}:\d{2}:\d{2} \+0000\] "GET /hello\?x=1 HTTP/1\.1" 200 1 "http://ref\.test/" "tester/1" \d+ "app@file" "${backend.url.replace(/\./g, '\\.')}" \d+ms$`,
      ),
    );
    expect(lines[1]).toMatch(/"GET \/nowhere HTTP\/1\.1" 404 \d+ "-" "-" \d+ "-" "-" \d+ms$/);
    expect(lines[2]).toMatch(/"GET \/ HTTP\/1\.1" 503 \d+ "-" "-" \d+ "empty@file" "-" \d+ms$/);
  });

  it('writes JSON lines with Traefik field names', async () => {
    const file = path.join(dir, 'json.log');
    const sy = res.add(await startSwitchyard({ static: { accessLog: { filePath: file, format: 'json', bufferingSize: 0 } }, dynamic: dynamic() }));
    await request(`${sy.url}/j`, { agent: false, headers: { host: 'app.test' } });
    const [line] = await waitFor(async () => ((await linesOf(file)).length >= 1 ? linesOf(file) : undefined), 'a line in the access log');
    expect(JSON.parse(line!)).toMatchObject({
      ClientHost: '127.0.0.1',
      RequestMethod: 'GET',
      RequestPath: '/j',
      RequestProtocol: 'HTTP/1.1',
      RequestHost: 'app.test',
      DownstreamStatus: 200,
      DownstreamContentSize: 1,
      RouterName: 'app@file',
      ServiceName: 'app@file',
      ServiceURL: backend.url,
      RetryAttempts: 0,
    });
  });

  it('holds lines in memory up to bufferingSize and writes what it holds at shutdown', async () => {
    const file = path.join(dir, 'buffered.log');
    const sy = await startSwitchyard({ static: { accessLog: { filePath: file, bufferingSize: 1000 } }, dynamic: dynamic() });
    for (let i = 0; i < 5; i++) await request(`${sy.url}/b${i}`, { agent: false, headers: { host: 'app.test' } });
    const workers = sy.workers;
    await sy.close();
    const paths = (await linesOf(file)).map((l) => /"GET (\S+) /.exec(l)?.[1]);
    // One process writes in request order; each worker writes its own batch (whole lines).
    expect(workers > 1 ? [...paths].sort() : paths).toEqual(['/b0', '/b1', '/b2', '/b3', '/b4']);
  });

  it('reopens its file when told to (SIGUSR1 after logrotate moved it): later lines go to the new file', async () => {
    const file = path.join(dir, 'rotated.log');
    const sy = res.add(await startSwitchyard({ static: { accessLog: { filePath: file, bufferingSize: 0 } }, dynamic: dynamic() }));
    await request(`${sy.url}/before`, { agent: false, headers: { host: 'app.test' } });
    await waitFor(async () => (await linesOf(file)).length === 1, 'the first line');
    await rename(file, `${file}.1`);
    sy.app.reopenLogs();
    // Every process has reopened once a request's line lands in the new file (workers: each may
    // get one of several requests; one line suffices to see the new file is used).
    await waitFor(async () => {
      await request(`${sy.url}/after`, { agent: false, headers: { host: 'app.test' } });
      return (await linesOf(file)).some((l) => l.includes('"GET /after '));
    }, 'a line in the new file');
    // The moved file keeps what was written before (an /after that raced a worker's reopen may
    // join it); the new file has nothing from before.
    expect((await linesOf(`${file}.1`)).map((l) => /"GET (\S+) /.exec(l)?.[1])[0]).toBe('/before');
    expect((await linesOf(file)).some((l) => l.includes('"GET /before '))).toBe(false);
  });

  it('refuses to start with a file it cannot open, naming it', async () => {
    const file = path.join(dir, 'no-such-folder', 'access.log');
    await expect(startSwitchyard({ static: { accessLog: { filePath: file } }, dynamic: dynamic() })).rejects.toThrow(
      /accessLog\.filePath: cannot open .*no-such-folder\/access\.log for appending \(ENOENT\)/,
    );
  });
});
