// Chaos benchmark: constant load through switchyard while one of three backends is killed
// (SIGKILL) and restarted every few seconds. Prints requests served, failed (should be 0),
// and latency percentiles overall and during the failure windows.
//
//   node bench/chaos.mjs [--duration 20] [--connections 64] [--every 3000] [--down 1500]
//
// Switchyard runs as a child process with active + passive health checks and retries;
// the load generator is this process (keep-alive clients, per-request latency recorded).
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

const here = path.dirname(fileURLToPath(import.meta.url));
const root = path.resolve(here, '..');
const cli = path.join(root, 'dist/src/cli/main.js');
const { values: opts } = parseArgs({
  options: {
    duration: { type: 'string', default: '20' },
    connections: { type: 'string', default: '64' },
    every: { type: 'string', default: '3000' },
    down: { type: 'string', default: '1500' },
    json: { type: 'boolean', default: false },
  },
});
const DURATION_MS = Number(opts.duration) * 1000;
const CONNECTIONS = Number(opts.connections);
const EVERY_MS = Number(opts.every);
const DOWN_MS = Number(opts.down);

const children = new Set();
const tmp = mkdtempSync(path.join(os.tmpdir(), 'switchyard-chaos-'));
const log = (msg) => process.stderr.write(`[chaos] ${msg}\n`);

function freePort() {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });
}

function start(cmd, args, ready) {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'inherit'] });
    children.add(child);
    child.once('exit', () => children.delete(child));
    let out = '';
    const onData = (d) => {
      out += d.toString();
      if (ready.test(out)) {
        child.stdout.off('data', onData);
        child.stdout.resume();
        resolve(child);
      }
    };
    child.stdout.on('data', onData);
    child.once('exit', (code) => reject(new Error(`${path.basename(args[0] ?? cmd)} exited with ${code} before it was ready:\n${out}`)));
  });
}

const startBackend = (port) => start(process.execPath, [path.join(here, 'backend.mjs'), String(port)], /listening/);

function percentile(sorted, p) {
  if (sorted.length === 0) return 0;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
}

async function main() {
  if (!existsSync(cli)) throw new Error('dist/ missing: run `npm run build` first (`npm run bench` does it)');
  const ports = [await freePort(), await freePort(), await freePort()];
  const syPort = await freePort();
  const backends = await Promise.all(ports.map(startBackend));
  writeFileSync(
    path.join(tmp, 'dynamic.yaml'),
    `http:
  routers:
    app: {rule: "PathPrefix(\`/\`)", service: app}
  services:
    app:
      loadBalancer:
        strategy: roundRobin
        retries: 2
        healthCheck: {path: /health, interval: 500ms, unhealthyInterval: 200ms, timeout: 300ms}
        passiveHealthCheck: {maxFailures: 2, failureWindow: 5s, ejectFor: 2s}
        servers:
${ports.map((p) => `          - url: http://127.0.0.1:${p}`).join('\n')}
`,
  );
  writeFileSync(
    path.join(tmp, 'switchyard.yaml'),
    `entryPoints:\n  web:\n    address: 127.0.0.1:${syPort}\nproviders:\n  file:\n    filename: ./dynamic.yaml\nlog:\n  level: warn\n`,
  );
  const sy = await start(process.execPath, [cli, '-c', path.join(tmp, 'switchyard.yaml'), '--log-level', 'info'], /entry point listening/);

  const started = performance.now();
  const windows = []; // [from, to] in ms since start, when a backend is dead
  let stop = false;
  const latencies = [];
  const duringFailure = [];
  let served = 0;
  const failures = new Map();
  const fail = (what) => failures.set(what, (failures.get(what) ?? 0) + 1);

  // Requests that start while a backend is dead count as "during failures".
  let currentKill;
  const inWindowNow = (at) => currentKill !== undefined && at >= currentKill;
  // The chaos: kill one backend, leave it dead DOWN_MS, restart it on the same port.
  const chaos = (async () => {
    let victim = 0;
    while (!stop) {
      await sleep(EVERY_MS);
      if (stop) break;
      const t0 = performance.now() - started;
      backends[victim].kill('SIGKILL');
      currentKill = t0;
      await sleep(DOWN_MS);
      backends[victim] = await startBackend(ports[victim]);
      windows.push([t0, performance.now() - started]);
      currentKill = undefined;
      victim = (victim + 1) % 3;
    }
  })();

  const client = async () => {
    const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
    while (!stop) {
      const t = performance.now();
      await new Promise((resolve) => {
        const req = http.get({ host: '127.0.0.1', port: syPort, path: '/', agent }, (res) => {
          res.resume();
          res.on('end', () => {
            const ms = performance.now() - t;
            if (res.statusCode === 200) {
              served++;
              latencies.push(ms);
              const at = t - started;
              if (windows.some(([a, b]) => at >= a && at <= b) || inWindowNow(at)) duringFailure.push(ms);
            } else fail(`HTTP ${res.statusCode}`);
            resolve();
          });
        });
        req.on('error', (err) => {
          fail(err.code ?? err.message);
          resolve();
        });
      });
    }
    agent.destroy();
  };
  log(`load: ${CONNECTIONS} keep-alive clients for ${DURATION_MS / 1000}s; killing a backend every ${EVERY_MS} ms for ${DOWN_MS} ms`);
  const timer = setTimeout(() => (stop = true), DURATION_MS);
  await Promise.all([...Array.from({ length: CONNECTIONS }, client), chaos]);
  clearTimeout(timer);
  const elapsed = (performance.now() - started) / 1000;

  latencies.sort((a, b) => a - b);
  duringFailure.sort((a, b) => a - b);
  const failed = [...failures.values()].reduce((a, b) => a + b, 0);
  const result = {
    durationS: Math.round(elapsed * 10) / 10,
    kills: windows.length,
    served,
    failed,
    failures: Object.fromEntries(failures),
    rps: Math.round(served / elapsed),
    p50ms: round(percentile(latencies, 50)),
    p99ms: round(percentile(latencies, 99)),
    p99DuringFailuresMs: round(percentile(duringFailure, 99)),
    maxDuringFailuresMs: round(duringFailure.at(-1) ?? 0),
  };
  if (opts.json) console.log(JSON.stringify(result));
  else {
    console.log('\nchaos: one of three backends SIGKILLed and restarted, under constant load');
    console.log(`| kills | served | failed | req/s | p50 | p99 | p99 while a backend is dead | max while dead |`);
    console.log(`|---|---|---|---|---|---|---|---|`);
    console.log(
      `| ${result.kills} | ${served} | ${failed}${failed ? ` (${JSON.stringify(result.failures)})` : ''} | ${result.rps} | ${result.p50ms} ms | ${result.p99ms} ms | ${result.p99DuringFailuresMs} ms | ${result.maxDuringFailuresMs} ms |`,
    );
  }
  sy.kill('SIGTERM');
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const round = (n) => Math.round(n * 10) / 10;

function cleanup() {
  for (const c of children) c.kill('SIGKILL');
  rmSync(tmp, { recursive: true, force: true });
}
process.on('SIGINT', () => {
  cleanup();
  process.exit(130);
});
main()
  .then(() => {
    cleanup();
    process.exit(0);
  })
  .catch((err) => {
    console.error(`[chaos] ${err.stack ?? err}`);
    cleanup();
    process.exit(1);
  });
