// Redis and etcd provider benchmark:
//   propagation: time from one write (Redis MSET / etcd txn) registering a new server under its own
//     route to the first request switchyard routes to it; p50/p99 over --registrations (200);
//   burst: 5,000 servers in 500 services written at once while switchyard runs → all routed;
//   tree load: a 5,000-server / 500-service tree already in the store → read by the provider
//     (in process: connect + full read + flatten, then validation) and a switchyard process started
//     on it → routing.
//
//   npm run build && node bench/providers.mjs [--registrations 200] [--only redis|etcd]
//
// Real redis-server and etcd (Debian: apt-get install -y redis-server etcd-server) on free
// 127.0.0.1 ports with throwaway folders; switchyard runs as its own process (the built CLI).
// Everything is stopped at the end, on error and on Ctrl-C. Prints figures; never fails on them.
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { Etcd3 } from 'etcd3';
import { Redis } from 'ioredis';
import { freePort, startEtcd, startRedis } from '../test/helpers/kv-servers.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));
const root = path.resolve(here, '..');
const dist = path.join(root, 'dist');
const cli = path.join(dist, 'src/cli/main.js');
const HOST = '127.0.0.1';
const ROOT = 'switchyard';

const { values: opts } = parseArgs({
  options: {
    registrations: { type: 'string', default: '200' },
    only: { type: 'string' },
    help: { type: 'boolean', short: 'h', default: false },
  },
});
if (opts.help) {
  console.log('usage: node bench/providers.mjs [--registrations 200] [--only redis|etcd]   (after npm run build)');
  process.exit(0);
}
const REGISTRATIONS = Math.max(1, Number(opts.registrations) || 200);
const log = (msg) => process.stderr.write(`[bench:providers] ${msg}\n`);

const cleanups = [];
const tmp = mkdtempSync(path.join(os.tmpdir(), 'switchyard-bench-kv-'));
cleanups.push(() => rmSync(tmp, { recursive: true, force: true }));

// ------------------------------------------------------------------------------ sources

async function redisSource() {
  const server = await startRedis();
  cleanups.push(() => server.destroy());
  const client = new Redis({ host: HOST, port: server.port });
  client.on('error', () => undefined);
  cleanups.push(() => client.disconnect());
  return {
    name: 'redis',
    write: 'MSET',
    config: { endpoints: [server.endpoint], rootKey: ROOT },
    put: async (entries) => {
      const all = Object.entries(entries);
      for (let i = 0; i < all.length; i += 1000) await client.mset(...all.slice(i, i + 1000).flat());
    },
    clear: async () => void (await client.flushall()),
    providerModule: 'providers/redis/redis-provider.js',
    providerClass: 'RedisProvider',
  };
}

async function etcdSource() {
  const server = await startEtcd();
  cleanups.push(() => server.destroy());
  const client = new Etcd3({ hosts: server.url });
  cleanups.push(() => client.close());
  return {
    name: 'etcd',
    write: 'txn',
    config: { endpoints: [server.endpoint], rootKey: ROOT },
    put: async (entries) => {
      const all = Object.entries(entries);
      for (let i = 0; i < all.length; i += 128) {
        await client
          .if(`${ROOT}/.never`, 'Create', '==', 0)
          .then(...all.slice(i, i + 128).map(([k, v]) => client.put(k).value(v)))
          .commit();
      }
    },
    clear: async () => void (await client.delete().prefix(`${ROOT}/`)),
    providerModule: 'providers/etcd/etcd-provider.js',
    providerClass: 'EtcdProvider',
  };
}

// ------------------------------------------------------------------------------ helpers

function get(port, urlPath, agent) {
  return new Promise((resolve, reject) => {
    const req = http.get({ host: HOST, port, path: urlPath, agent }, (res) => {
      let body = '';
      res.on('data', (c) => (body += c));
      res.on('end', () => resolve({ status: res.statusCode, body }));
    });
    req.on('error', reject);
  });
}

async function waitUntil(check, what, timeoutMs = 30_000) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await check().catch(() => false)) return;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

function routeKeys(name, url) {
  return {
    [`${ROOT}/http/routers/${name}/rule`]: `PathPrefix(\`/${name}/\`)`,
    [`${ROOT}/http/routers/${name}/service`]: name,
    [`${ROOT}/http/services/${name}/loadBalancer/servers/0/url`]: url,
  };
}

/** 500 services × 10 servers (loopback ports nothing listens on; never requested) + routers. */
function bigTree(prefix) {
  const tree = {};
  for (let s = 0; s < 500; s++) {
    tree[`${ROOT}/http/routers/${prefix}${s}/rule`] = `PathPrefix(\`/${prefix}${s}/\`)`;
    tree[`${ROOT}/http/routers/${prefix}${s}/service`] = `${prefix}${s}`;
    for (let i = 0; i < 10; i++) tree[`${ROOT}/http/services/${prefix}${s}/loadBalancer/servers/i-${i}/url`] = `http://${HOST}:${20_000 + s * 10 + i}`;
  }
  return tree;
}

async function startSwitchyard(source) {
  const [port, api] = [await freePort(), await freePort()];
  const file = path.join(tmp, `${source.name}.yaml`);
  writeFileSync(
    file,
    JSON.stringify({
      entryPoints: { web: { address: `${HOST}:${port}` } },
      api: { address: `${HOST}:${api}` },
      providers: { [source.name]: source.config },
      log: { level: 'warn' },
    }),
  );
  const child = spawn(process.execPath, [cli, '--config', file], { stdio: ['ignore', 'ignore', 'inherit'] });
  const stop = async () => {
    if (child.exitCode !== null) return;
    const exited = new Promise((r) => child.once('exit', r));
    child.kill('SIGTERM');
    await exited;
  };
  cleanups.push(stop);
  await waitUntil(async () => (await get(api, '/ping', false)).status === 200, 'switchyard to start');
  return { port, api, child, stop };
}

const percentile = (sorted, p) => sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)];
const ms = (v) => `${v.toFixed(1)} ms`;

// ------------------------------------------------------------------------------ runs

async function benchSource(makeSource, backendUrl) {
  const source = await makeSource();
  log(`${source.name}: started`);
  const result = { name: source.name, write: source.write };

  // 1. Propagation on a small store.
  await source.put(routeKeys('live', backendUrl));
  let sy = await startSwitchyard(source);
  await waitUntil(async () => (await get(sy.port, '/live/', false)).status === 200, 'the first route');
  result.propagation = await propagation(source, sy, 'reg', backendUrl);
  log(`${source.name}: propagation p50 ${ms(result.propagation.p50)} p99 ${ms(result.propagation.p99)}`);

  // 2. Burst: 5,000 servers in 500 new services written as fast as the client can → all routed.
  const tb = performance.now();
  await source.put(bigTree('tree'));
  const written = performance.now() - tb;
  await waitUntil(async () => (await get(sy.port, '/tree499/', false)).status !== 404 && (await servicesCount(sy.api)) >= 500 + 1 + REGISTRATIONS, 'the burst', 60_000);
  result.burst = { written, routed: performance.now() - tb };

  // 3. Propagation again, with the 5,000-server tree loaded.
  result.propagationBig = await propagation(source, sy, 'big', backendUrl);
  log(`${source.name}: propagation (5,000-server tree) p50 ${ms(result.propagationBig.p50)} p99 ${ms(result.propagationBig.p99)}`);
  await sy.stop();

  // 4. Tree load, in process: provider start (connect, full read, flatten) → first snapshot; then validation.
  const { [source.providerClass]: Provider } = await import(pathToFileURL(path.join(dist, source.providerModule)).href);
  const { validateSnapshots } = await import(pathToFileURL(path.join(dist, 'src/config/validate.js')).href);
  const { default: pino } = await import('pino');
  const loads = [];
  for (let i = 0; i < 5; i++) {
    let snapshot;
    const provider = new Provider({ ...source.config });
    const t0 = performance.now();
    await provider.start((s) => (snapshot = s), pino({ level: 'silent' }));
    const t1 = performance.now();
    const v = validateSnapshots([snapshot], { entryPoints: ['web'] });
    const t2 = performance.now();
    await provider.stop();
    const n = v.config.http.services.size;
    if (n < 500) throw new Error(`tree load: expected at least 500 services, got ${n}`);
    loads.push({ read: t1 - t0, validate: t2 - t1, commands: provider.lastFullRead?.commands, ranges: provider.rangeReads, keys: provider.lastFullRead?.keys });
  }
  loads.sort((a, b) => a.read + a.validate - (b.read + b.validate));
  result.load = loads[Math.floor(loads.length / 2)];

  // 5. Tree load, whole process: switchyard started on the tree → a route of it answers.
  const t0 = performance.now();
  sy = await startSwitchyard(source);
  await waitUntil(async () => (await get(sy.port, '/tree499/', false)).status !== 404, 'the tree to be routed');
  result.processLoad = performance.now() - t0;
  await sy.stop();
  return result;
}

/** One write registers server i under route /<prefix>-i/; requests back to back until it answers. */
async function propagation(source, sy, prefix, backendUrl) {
  const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
  const samples = [];
  for (let i = 0; i < REGISTRATIONS; i++) {
    const name = `${prefix}-${i}`;
    const start = performance.now();
    await source.put(routeKeys(name, backendUrl));
    for (;;) {
      const res = await get(sy.port, `/${name}/`, agent);
      if (res.status === 200) break;
      if (performance.now() - start > 10_000) throw new Error(`registration ${name} not routed within 10 s`);
    }
    samples.push(performance.now() - start);
  }
  agent.destroy();
  samples.sort((a, b) => a - b);
  return { p50: percentile(samples, 50), p99: percentile(samples, 99), max: samples.at(-1), n: samples.length };
}

async function servicesCount(api) {
  const res = await get(api, '/api/http/services', false);
  return JSON.parse(res.body).length;
}

async function main() {
  if (!existsSync(cli)) throw new Error('dist/ not found: run `npm run build` first');
  const backend = http.createServer((req, res) => res.end('ok'));
  await new Promise((r) => backend.listen(0, HOST, r));
  cleanups.push(() => new Promise((r) => backend.close(r)));
  const backendUrl = `http://${HOST}:${backend.address().port}`;
  const sources = [
    ['redis', redisSource],
    ['etcd', etcdSource],
  ].filter(([n]) => !opts.only || opts.only === n);
  const results = [];
  for (const [, make] of sources) results.push(await benchSource(make, backendUrl));

  console.log(`\nSwitchyard provider benchmark: node ${process.versions.node}, ${os.cpus().length} CPUs (${os.cpus()[0]?.model.trim() ?? '?'}), load average ${os.loadavg()[0].toFixed(2)}\n`);
  console.log(`Propagation: one write (3 keys) registering a new server under its own route → first request routed to it; ${REGISTRATIONS} registrations each\n`);
  console.log('| provider | write | store holds | p50 | p99 | max |');
  console.log('|---|---|---|---:|---:|---:|');
  for (const r of results) {
    console.log(`| ${r.name} | ${r.write} | up to ${REGISTRATIONS + 1} routes | ${ms(r.propagation.p50)} | ${ms(r.propagation.p99)} | ${ms(r.propagation.max)} |`);
    console.log(`| ${r.name} | ${r.write} | + 5,000 servers / 500 services | ${ms(r.propagationBig.p50)} | ${ms(r.propagationBig.p99)} | ${ms(r.propagationBig.max)} |`);
  }
  console.log('\nTree of 5,000 servers in 500 services (plus the routes above)\n');
  console.log('| provider | keys | provider start → snapshot (connect, read, flatten) | validation | round trips | switchyard process start → routing | 6,000 keys written while running → all routed (write time) |');
  console.log('|---|---:|---:|---:|---|---:|---:|');
  for (const r of results) {
    const trips = r.name === 'redis' ? `${r.load.commands} commands (SCAN + MGET)` : `${r.load.ranges} range read`;
    console.log(`| ${r.name} | ${r.load.keys} | ${ms(r.load.read)} | ${ms(r.load.validate)} | ${trips} | ${ms(r.processLoad)} | ${ms(r.burst.routed)} (${ms(r.burst.written)}) |`);
  }
  console.log('\nFigures vary with machine load; compare within one run. In-process tree load is the median of 5.');
}

async function cleanup() {
  for (const fn of cleanups.splice(0).reverse()) {
    try {
      await fn();
    } catch {
      // keep cleaning
    }
  }
}

process.once('SIGINT', () => void cleanup().then(() => process.exit(130)));
main()
  .then(cleanup)
  .catch(async (err) => {
    console.error(`bench/providers: ${err.stack ?? err}`);
    await cleanup();
    process.exit(1);
  });
