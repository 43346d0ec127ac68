// Real redis-server and etcd processes for tests and benchmarks: ephemeral loopback ports,
// throwaway data folders, readiness polled (never a fixed sleep), stopped with SIGTERM.
// Plain JavaScript so bench/providers.mjs can use it too; types in kv-servers.d.mts.
import { spawn } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import http from 'node:http';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { findBinary } from './find-binary.mjs';

const HOST = '127.0.0.1';
const INSTALL = {
  'redis-server': 'apt-get install -y redis-server',
  etcd: 'apt-get install -y etcd-server etcd-client',
};

/** Children still running, killed if the process exits without stopping them. */
const running = new Set();
process.once('exit', () => {
  for (const child of running) child.kill('SIGKILL');
});

/** Absolute path of `name` on PATH; a clear, actionable error when it is missing. */
export function requireBinary(name) {
  const file = findBinary(name);
  if (file) return file;
  throw new Error(
    `${name} is not installed, and the Redis/etcd provider tests need a real one: run \`${INSTALL[name] ?? `install ${name}`}\` ` +
      '(Debian/Ubuntu, as root), or `bash scripts/setup-and-test.sh`, which installs it and runs the suite',
  );
}

/** A loopback port that was free a moment ago (bound to 0, then released). */
export function freePort() {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, HOST, () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

/** Polls `check` every 10 ms until it returns truthy; fails early if `child` exits. */
async function waitReady(child, check, what, timeoutMs, output) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (child.exitCode !== null || child.signalCode !== null) {
      const err = new Error(`${what} exited (${child.exitCode ?? child.signalCode}) before it was ready:\n${output().slice(-2000)}`);
      err.inUse = /address already in use/i.test(output());
      throw err;
    }
    if (await check().catch(() => false)) return;
    if (Date.now() > deadline) throw new Error(`${what} was not ready within ${timeoutMs} ms:\n${output().slice(-2000)}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

function launch(bin, args) {
  const child = spawn(bin, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  running.add(child);
  child.once('exit', () => running.delete(child));
  let text = '';
  const collect = (chunk) => {
    text += chunk.toString();
    if (text.length > 20_000) text = text.slice(-10_000);
  };
  child.stdout.on('data', collect);
  child.stderr.on('data', collect);
  child.once('error', (err) => collect(`spawn error: ${err.message}\n`));
  return { child, output: () => text };
}

/** SIGTERM, then wait for the exit (SIGKILL after 10 s). */
async function terminate(child) {
  if (!child || child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
  await exited;
  clearTimeout(timer);
}

/** Retries `attempt` with fresh ports when a port turned out to be taken. */
async function withPortRetry(attempt) {
  for (let i = 1; ; i++) {
    try {
      return await attempt();
    } catch (err) {
      if (!err.inUse || i >= 5) throw err;
    }
  }
}

// ---------------------------------------------------------------------------------- Redis

/** One RESP command over a fresh connection; resolves with the raw reply text. */
export function redisCommand(port, args) {
  return new Promise((resolve, reject) => {
    const socket = net.connect(port, HOST);
    let reply = '';
    socket.setTimeout(5_000, () => socket.destroy(new Error(`redis on port ${port}: no reply to ${args[0]}`)));
    socket.on('error', reject);
    socket.on('data', (c) => {
      reply += c.toString();
      if (reply.endsWith('\r\n')) {
        socket.end();
        resolve(reply);
      }
    });
    socket.write(`*${args.length}\r\n${args.map((a) => `$${Buffer.byteLength(String(a))}\r\n${a}\r\n`).join('')}`);
  });
}

class RedisServer {
  constructor(bin, port, dir, extraArgs) {
    this.bin = bin;
    this.port = port;
    this.dir = dir;
    this.extraArgs = extraArgs;
    this.proc = undefined;
  }

  get endpoint() {
    return `${HOST}:${this.port}`;
  }

  async start() {
    const args = ['--port', String(this.port), '--bind', HOST, '--save', '', '--appendonly', 'no', '--dir', this.dir, '--dbfilename', 'dump.rdb', '--daemonize', 'no', '--loglevel', 'warning', ...this.extraArgs];
    const { child, output } = launch(this.bin, args);
    this.proc = child;
    await waitReady(child, async () => (await redisCommand(this.port, ['PING'])).startsWith('+PONG'), `redis-server on port ${this.port}`, 10_000, output);
  }

  /** Stops the server; its folder stays for a restart. */
  async stop() {
    await terminate(this.proc);
  }

  /** Restarts on the same port: with the same data, or with `data` (key → value) instead. */
  async restart(data) {
    if (!data) {
      await redisCommand(this.port, ['SAVE']);
      await this.stop();
      await this.start();
      return;
    }
    await this.stop();
    const oldDir = this.dir;
    const next = await prepareRedisData(this.bin, data);
    this.dir = next;
    await rm(oldDir, { recursive: true, force: true });
    await this.start();
  }

  async destroy() {
    await this.stop();
    await rm(this.dir, { recursive: true, force: true });
  }
}

/** A data folder whose dump.rdb holds `data`: written by a throwaway server on another port. */
async function prepareRedisData(bin, data) {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'sy-redis-'));
  const temp = await withPortRetry(async () => {
    const server = new RedisServer(bin, await freePort(), dir, []);
    await server.start();
    return server;
  });
  const entries = Object.entries(data);
  for (let i = 0; i < entries.length; i += 500) {
    const reply = await redisCommand(temp.port, ['MSET', ...entries.slice(i, i + 500).flat()]);
    if (!reply.startsWith('+OK')) throw new Error(`MSET failed: ${reply}`);
  }
  await redisCommand(temp.port, ['SAVE']);
  await temp.stop();
  return dir;
}

/**
 * Starts redis-server on a free loopback port with a throwaway folder and no persistence.
 * `extraArgs` are passed on (e.g. `['--rename-command', 'CONFIG', '']`).
 */
export async function startRedis(options = {}) {
  const bin = requireBinary('redis-server');
  const dir = await mkdtemp(path.join(os.tmpdir(), 'sy-redis-'));
  return withPortRetry(async () => {
    const server = new RedisServer(bin, await freePort(), dir, options.extraArgs ?? []);
    await server.start();
    return server;
  });
}

/** A Redis Sentinel (redis-server --sentinel) watching `master` as `mymaster`. */
export async function startRedisSentinel(master, masterName = 'mymaster') {
  const bin = requireBinary('redis-server');
  const dir = await mkdtemp(path.join(os.tmpdir(), 'sy-sentinel-'));
  return withPortRetry(async () => {
    const port = await freePort();
    const conf = path.join(dir, 'sentinel.conf');
    await writeFile(conf, `port ${port}\nbind ${HOST}\ndir ${dir}\nsentinel monitor ${masterName} ${HOST} ${master.port} 1\n`);
    const { child, output } = launch(bin, [conf, '--sentinel']);
    await waitReady(
      child,
      async () => (await redisCommand(port, ['SENTINEL', 'get-master-addr-by-name', masterName])).includes(String(master.port)),
      `redis sentinel on port ${port}`,
      10_000,
      output,
    );
    return {
      port,
      endpoint: `${HOST}:${port}`,
      destroy: async () => {
        await terminate(child);
        await rm(dir, { recursive: true, force: true });
      },
    };
  });
}

// ---------------------------------------------------------------------------------- etcd

function httpRequest(method, url, body) {
  return new Promise((resolve, reject) => {
    const req = http.request(url, { method, agent: false, timeout: 5_000, headers: body ? { 'content-type': 'application/json' } : {} }, (res) => {
      let text = '';
      res.on('data', (c) => (text += c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: text }));
      res.on('error', reject);
    });
    req.on('timeout', () => req.destroy(new Error(`${method} ${url}: timed out`)));
    req.on('error', reject);
    req.end(body);
  });
}

class EtcdServer {
  constructor(bin, clientPort, peerPort, dataDir) {
    this.bin = bin;
    this.clientPort = clientPort;
    this.peerPort = peerPort;
    this.dataDir = dataDir;
    this.proc = undefined;
  }

  get endpoint() {
    return `${HOST}:${this.clientPort}`;
  }

  get url() {
    return `http://${HOST}:${this.clientPort}`;
  }

  async start() {
    const client = `http://${HOST}:${this.clientPort}`;
    const peer = `http://${HOST}:${this.peerPort}`;
    const args = [
      '--name', 't', '--data-dir', this.dataDir,
      '--listen-client-urls', client, '--advertise-client-urls', client,
      '--listen-peer-urls', peer, '--initial-advertise-peer-urls', peer, '--initial-cluster', `t=${peer}`,
      '--heartbeat-interval=10', '--election-timeout=50', '--logger=zap', '--log-level=error',
    ];
    const { child, output } = launch(this.bin, args);
    this.proc = child;
    await waitReady(
      child,
      async () => {
        const res = await httpRequest('GET', `${client}/health`);
        return res.status === 200 && JSON.parse(res.body).health === 'true';
      },
      `etcd on port ${this.clientPort}`,
      15_000,
      output,
    );
  }

  async stop() {
    await terminate(this.proc);
  }

  /** Restarts on the same ports: with the same data, or as a new cluster holding only `data`. */
  async restart(data) {
    await this.stop();
    if (data) {
      const oldDir = this.dataDir;
      this.dataDir = await mkdtemp(path.join(os.tmpdir(), 'sy-etcd-'));
      // A throwaway member on another client port writes the data, so nobody sees it half-done.
      const temp = await withPortRetry(async () => {
        const server = new EtcdServer(this.bin, await freePort(), this.peerPort, this.dataDir);
        await server.start();
        return server;
      });
      await temp.put(data);
      await temp.stop();
      await rm(oldDir, { recursive: true, force: true });
    }
    await this.start();
  }

  /** Writes key → value pairs through etcd's JSON gateway. */
  async put(data) {
    for (const [key, value] of Object.entries(data)) {
      const body = JSON.stringify({ key: Buffer.from(key).toString('base64'), value: Buffer.from(value).toString('base64') });
      const res = await httpRequest('POST', `${this.url}/v3/kv/put`, body);
      if (res.status !== 200) throw new Error(`etcd put ${key}: ${res.status} ${res.body}`);
    }
  }

  /** How many calls of a gRPC method (`Range`, `Watch`, …) the server has started. */
  async grpcCalls(method) {
    const res = await httpRequest('GET', `${this.url}/metrics`);
    let total = 0;
    for (const line of res.body.split('\n')) {
      if (line.startsWith('grpc_server_started_total{') && line.includes(`grpc_method="${method}"`)) total += Number(line.slice(line.lastIndexOf(' ') + 1));
    }
    return total;
  }

  async destroy() {
    await this.stop();
    await rm(this.dataDir, { recursive: true, force: true });
  }
}

/** Starts a one-member etcd on free loopback ports with a throwaway data folder. */
export async function startEtcd() {
  const bin = requireBinary('etcd');
  return withPortRetry(async () => {
    const dataDir = await mkdtemp(path.join(os.tmpdir(), 'sy-etcd-'));
    const clientPort = await freePort();
    let peerPort = await freePort();
    while (peerPort === clientPort) peerPort = await freePort();
    const server = new EtcdServer(bin, clientPort, peerPort, dataDir);
    try {
      await server.start();
    } catch (err) {
      await rm(dataDir, { recursive: true, force: true });
      throw err;
    }
    return server;
  });
}
