import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { chmod, mkdtemp, mkdir, readdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { startBackend, type Backend } from '../helpers/backends.js';
import { request } from '../helpers/http-client.js';
import { waitFor } from '../helpers/wait.js';

// The CLI is tested as users run it: the bundled `switchyard` command (npm test builds first).
const CLI = fileURLToPath(new URL('../../dist/bundle/switchyard.js', import.meta.url));

function run(args: string[], cwd?: string): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [CLI, ...args], { encoding: 'utf8', cwd, timeout: 20_000 });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

describe('switchyard CLI', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'sy-cli-'));
    await mkdir(path.join(dir, 'dynamic'));
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  const write = (name: string, text: string) => writeFile(path.join(dir, name), text);
  const STATIC = 'entryPoints:\n  web:\n    address: 127.0.0.1:0\nproviders:\n  file:\n    directory: ./dynamic\n';

  /**
   * SIGKILL to a command started with `detached: true` and every worker it forked (they share its
   * process group), resolved once none is left: a worker outliving the test would go on writing
   * into the temp folder that afterEach removes (ENOTEMPTY), or into the next test's ports.
   */
  async function killGroup(child: ChildProcess): Promise<void> {
    const exited = child.exitCode !== null || child.signalCode !== null ? Promise.resolve() : new Promise<void>((resolve) => child.once('exit', () => resolve()));
    try {
      process.kill(-child.pid!, 'SIGKILL');
    } catch {
      return; // the group is gone already
    }
    await exited;
    await waitFor(() => {
      try {
        process.kill(-child.pid!, 0);
        return false;
      } catch {
        return true; // ESRCH: no process of the group is left
      }
    }, 'every process of the command to be gone');
  }

  it('prints its version', () => {
    const r = run(['--version']);
    expect(r.status).toBe(0);
    expect(r.stdout.trim()).toMatch(/^\d+\.\d+\.\d+$/);
  });

  it('validate: OK for a good config', async () => {
    await write('sy.yaml', STATIC);
    await write('dynamic/app.yaml', 'http:\n  routers:\n    app: {rule: "PathPrefix(`/`)", service: app}\n  services:\n    app: {loadBalancer: {servers: [{url: "http://127.0.0.1:9001"}]}}\n');
    const r = run(['validate', '--config', path.join(dir, 'sy.yaml')]);
    expect(r.stdout).toMatch(/OK, 1 routers and 1 services/);
    expect(r.status).toBe(0);
  });

  it('validate: prints every dynamic error with file and line, exits 1', async () => {
    await write('sy.yaml', STATIC);
    await write(
      'dynamic/app.yaml',
      [
        'http:',
        '  routers:',
        '    app: {rule: "Host(`a`) &&", service: app}',
        '    other: {rule: "Path(`/`)", service: nowhere}',
        '  services:',
        '    app:',
        '      loadBalancer:',
        '        strategy: fastest',
        '        servers: [{url: "http://127.0.0.1:9001", weight: x}]',
        '',
      ].join('\n'),
    );
    await write('dynamic/broken.yaml', 'http: [\n');
    const r = run(['validate', '-c', path.join(dir, 'sy.yaml')]);
    expect(r.status).toBe(1);
    expect(r.stdout).toMatch(/broken\.yaml:\d+:\d+: .*YAML syntax error/);
    expect(r.stdout).toMatch(/app\.yaml:3:\d+: router app@file: rule: column \d+: /);
    expect(r.stdout).toMatch(/app\.yaml:4:\d+: router other@file: service: service nowhere@file does not exist/);
    expect(r.stdout).toMatch(/app\.yaml:8:\d+: service app@file: loadBalancer\.strategy: unknown strategy "fastest"/);
    expect(r.stdout).toMatch(/app\.yaml:9:\d+: service app@file: loadBalancer\.servers\[0\]\.weight: /);
    expect(r.stdout).toMatch(/\d+ errors; 0 routers and 0 services would go live/);
  });

  it('validate: static config errors exit 1 too', async () => {
    await write('sy.yaml', 'entryPoints:\n  web:\n    address: nowhere\n');
    const r = run(['validate', '-c', path.join(dir, 'sy.yaml')]);
    expect(r.status).toBe(1);
    expect(r.stdout).toMatch(/line 3: entryPoints\.web\.address: expected host:port/);
  });

  it('exits 2 with the field named when the static config is invalid', async () => {
    await write('sy.yaml', 'entryPoints:\n  web:\n    adress: 127.0.0.1:0\n');
    const r = run(['--config', path.join(dir, 'sy.yaml')]);
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/entryPoints\.web: unknown field "adress"/);
    expect(r.stderr).toMatch(/entryPoints\.web\.address: /);
  });

  it('exits 2 when the config file is missing', () => {
    const r = run(['-c', path.join(dir, 'nope.yaml')]);
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/nope\.yaml.*no such file/s);
  });

  it('exits 1 with a clear message when the address is taken', async () => {
    const blocker = await startBackend('blocker');
    try {
      await write('sy.yaml', `entryPoints:\n  web:\n    address: 127.0.0.1:${blocker.port}\n`);
      const r = run(['-c', path.join(dir, 'sy.yaml')]);
      expect(r.status).toBe(1);
      expect(r.stderr).toMatch(new RegExp(`127\\.0\\.0\\.1:${blocker.port} is already in use`));
    } finally {
      await blocker.close();
    }
  });

  describe('serving', () => {
    let backend: Backend;
    let release: () => void = () => undefined;
    afterEach(async () => {
      release();
      await backend?.close();
    });

    /** Runs the command with `env` until it routed one request, then SIGTERM → its exit code (and stderr). */
    async function serveOnce(env: Record<string, string>, stderr: string[] = []): Promise<number | null> {
      await write('sy.yaml', STATIC);
      await write('dynamic/app.yaml', `http:\n  routers:\n    app: {rule: "PathPrefix(\`/\`)", service: app}\n  services:\n    app: {loadBalancer: {servers: [{url: "${backend.url}"}]}}\n`);
      const child = spawn(process.execPath, [CLI, '-c', path.join(dir, 'sy.yaml'), '--log-level', 'info'], { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, ...env } });
      let out = '';
      child.stdout.on('data', (d: Buffer) => (out += d.toString()));
      child.stderr.on('data', (d: Buffer) => stderr.push(d.toString()));
      const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
      try {
        const listening = await waitFor(() => /"entryPoint":"web","address":"127\.0\.0\.1:(\d+)"/.exec(out), 'the entry point to listen', 10_000);
        expect((await request(`http://127.0.0.1:${listening[1]}`)).body).toBe('b');
        child.kill('SIGTERM');
        return await exited;
      } finally {
        child.kill('SIGKILL');
      }
    }

    it('writes a V8 code cache after start-up, uses it next time, and replaces one V8 rejects', async () => {
      backend = await startBackend('b');
      const cache = path.join(dir, 'cache');
      const env = { SWITCHYARD_COMPILE_CACHE: cache };
      expect(await serveOnce(env)).toBe(0);
      const files = await readdir(cache);
      expect(files).toEqual([expect.stringMatching(/^switchyard-[0-9a-f]{16}-v\d+\.\d+\.\d+-\w+\.v8cache$/)]);
      const file = path.join(cache, files[0]!);
      const first = await readFile(file);
      expect(first.length).toBeGreaterThan(100_000);

      // Accepted: not written again.
      const written = (await stat(file)).mtimeMs;
      expect(await serveOnce(env)).toBe(0);
      expect((await stat(file)).mtimeMs).toBe(written);

      // Garbage (another V8, a damaged file): rejected, the program runs, a good cache replaces it.
      await writeFile(file, Buffer.alloc(first.length, 7));
      expect(await serveOnce(env)).toBe(0);
      expect((await readFile(file)).equals(Buffer.alloc(first.length, 7))).toBe(false);

      // A folder other users may write to is not trusted (V8 would run what the file holds).
      await chmod(cache, 0o777);
      await writeFile(file, Buffer.alloc(16, 7));
      expect(await serveOnce(env)).toBe(0);
      expect((await readFile(file)).length).toBe(16);
    });

    it('loads no client of a provider that is not configured (ioredis, etcd3, dockerode)', async () => {
      backend = await startBackend('b');
      const hook = path.join(dir, 'report-loads.cjs');
      await write(
        'report-loads.cjs',
        [
          "const Module = require('node:module');",
          'const load = Module._load;',
          "const clients = new Set(['ioredis', 'etcd3', 'dockerode']);",
          'Module._load = function (request, ...rest) {',
          "  if (clients.has(request)) process.stderr.write(`loaded ${request}\\n`);",
          '  return load.call(this, request, ...rest);',
          '};',
          '',
        ].join('\n'),
      );
      const stderr: string[] = [];
      expect(await serveOnce({ NODE_OPTIONS: `--require=${hook}`, SWITCHYARD_COMPILE_CACHE: 'off' }, stderr)).toBe(0);
      expect(stderr.join('')).not.toMatch(/loaded/);
      // The hook does see a client that is loaded.
      const probe = spawnSync(process.execPath, ['--require', hook, '-e', "require('ioredis')"], { encoding: 'utf8', cwd: path.dirname(CLI) });
      expect(probe.stderr).toMatch(/loaded ioredis/);
    });

    it('writes no code cache with SWITCHYARD_COMPILE_CACHE=off', async () => {
      backend = await startBackend('b');
      expect(await serveOnce({ SWITCHYARD_COMPILE_CACHE: 'off', XDG_CACHE_HOME: path.join(dir, 'xdg') })).toBe(0);
      await expect(readdir(path.join(dir, 'xdg'))).rejects.toThrow(/ENOENT/);
    });

    it.each([1, 2])('workers: %i — SIGUSR1 reopens the access log (logrotate moved it)', async (workers) => {
      backend = await startBackend('b');
      await write('sy.yaml', `${STATIC}accessLog:\n  filePath: ./access.log\n  bufferingSize: 0\nworkers: ${workers}\n`);
      await write('dynamic/app.yaml', `http:\n  routers:\n    app: {rule: "PathPrefix(\`/\`)", service: app}\n  services:\n    app: {loadBalancer: {servers: [{url: "${backend.url}"}]}}\n`);
      const child = spawn(process.execPath, [CLI, '-c', path.join(dir, 'sy.yaml'), '--log-level', 'info'], { stdio: ['ignore', 'pipe', 'pipe'], detached: true });
      let out = '';
      child.stdout.on('data', (d: Buffer) => (out += d.toString()));
      const log = path.join(dir, 'access.log');
      const lines = async (file: string): Promise<string> => readFile(file, 'utf8').catch(() => '');
      try {
        const listening = await waitFor(() => /"entryPoint":"web","address":"127\.0\.0\.1:(\d+)"/.exec(out), 'the entry point to listen', 10_000);
        const url = `http://127.0.0.1:${listening[1]}`;
        await request(`${url}/before`, { agent: false });
        await waitFor(async () => (await lines(log)).includes('/before'), 'the first line');
        await rename(log, `${log}.1`);
        child.kill('SIGUSR1');
        await waitFor(() => out.includes('reopening the access log'), 'the reopen');
        await waitFor(async () => {
          await request(`${url}/after`, { agent: false });
          return (await lines(log)).includes('/after');
        }, 'a line in the new file');
        expect(await lines(`${log}.1`)).toContain('/before');
        expect(await lines(log)).not.toContain('/before');
      } finally {
        await killGroup(child);
      }
    });

    // systemd (KillMode=control-group) and `kill -- -PGID` signal the primary and every worker at once.
    it('workers: 2 — SIGTERM to the whole process group stops everything, no worker is started again', async () => {
      backend = await startBackend('b');
      // The file provider watches (the default), so the primary's stop also waits for its thread.
      await write('sy.yaml', `${STATIC}workers: 2\n`);
      await write('dynamic/app.yaml', `http:\n  routers:\n    app: {rule: "PathPrefix(\`/\`)", service: app}\n  services:\n    app: {loadBalancer: {servers: [{url: "${backend.url}"}]}}\n`);
      const child = spawn(process.execPath, [CLI, '-c', path.join(dir, 'sy.yaml'), '--log-level', 'info'], { stdio: ['ignore', 'pipe', 'pipe'], detached: true });
      let out = '';
      child.stdout.on('data', (d: Buffer) => (out += d.toString()));
      const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
      try {
        await waitFor(() => out.includes('"msg":"workers listening"'), 'the workers to listen', 10_000);
        process.kill(-child.pid!, 'SIGTERM');
        expect(await exited).toBe(0);
        expect(out).not.toContain('exited unexpectedly');
        expect(out.slice(out.indexOf('shutting down'))).not.toContain('entry point listening');
      } finally {
        await killGroup(child);
      }
    });

    // With workers, the same command file is each worker's entry (see src/cli/main.ts).
    it.each([1, 2])('workers: %i — logs pino JSON, serves, and on SIGTERM finishes the request in flight then exits 0', async (workers) => {
      const gate = new Promise<void>((r) => (release = r));
      backend = await startBackend('b', {
        handler: (req, res) => {
          req.resume();
          if (req.url === '/slow') void gate.then(() => res.end('finished'));
          else res.end('b');
        },
      });
      await write('sy.yaml', `${STATIC}api:\n  address: 127.0.0.1:0\nlog:\n  level: debug\nworkers: ${workers}\n`);
      await write('dynamic/app.yaml', `http:\n  routers:\n    app: {rule: "PathPrefix(\`/\`)", service: app}\n  services:\n    app: {loadBalancer: {servers: [{url: "${backend.url}"}]}}\n`);
      const child = spawn(process.execPath, [CLI, '-c', path.join(dir, 'sy.yaml'), '--log-level', 'info'], { stdio: ['ignore', 'pipe', 'pipe'], detached: true });
      let out = '';
      child.stdout.on('data', (d: Buffer) => (out += d.toString()));
      const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
      try {
        const listening = await waitFor(() => /"entryPoint":"web","address":"127\.0\.0\.1:(\d+)"/.exec(out), 'the entry point to listen', 10_000);
        const url = `http://127.0.0.1:${listening[1]}`;
        expect((await request(url)).body).toBe('b');
        const lines = out.trim().split('\n').map((l) => JSON.parse(l) as { level: number; msg: string });
        expect(lines.some((l) => l.msg === 'configuration applied')).toBe(true);
        // --log-level info overrides the config's debug.
        expect(lines.every((l) => l.level >= 30)).toBe(true);

        const slow = request(`${url}/slow`);
        await waitFor(() => backend.requests.some((r) => r.url === '/slow'), 'the slow request to reach the backend');
        child.kill('SIGTERM');
        await waitFor(() => out.includes('shutting down'), 'the shutdown to begin');
        release();
        expect((await slow).body).toBe('finished');
        expect(await exited).toBe(0);
        // Nothing is left listening (with workers: they exited too).
        await expect(request(url, { agent: false })).rejects.toThrow(/ECONNREFUSED/);
      } finally {
        await killGroup(child);
      }
    });
  });
});
