// Chaos benchmark: constant load through switchyard while one of three backends is killed
// (SIGKILL) and restarted every few seconds. Prints requests served, failed (should be 0),
// and latency percentiles overall and during the failure windows.
//
//   node bench/chaos.mjs [--duration 20] [--connections 64] [--every 3000] [--down 1500] [--json]
//
// Switchyard runs as a child process with active + passive health checks and retries;
// the load generator is this process (keep-alive clients, per-request latency recorded).
import http from 'node:http';
import path from 'node:path';
import { benchDir, freePorts, HOST, sleep, startProcess, waitForHttp } from './lib/processes.mjs';
import { emit, parseOptions } from './lib/cli.mjs';
import { runPart } from './lib/part.mjs';
import { startSwitchyard, writeConfigs } from './lib/switchyard.mjs';
import { fmtInt, fmtMs, machineLine, table } from './lib/format.mjs';

const opts = parseOptions('node bench/chaos.mjs', 'Availability: one of three backends SIGKILLed and restarted every few seconds under constant load.', {
  duration: { default: 20, help: 'seconds of load' },
  connections: { default: 64, help: 'keep-alive clients (one request at a time each)' },
  every: { default: 3000, help: 'ms between kills' },
  down: { default: 1500, help: 'ms a killed backend stays dead before it is restarted on the same port' },
});
const DURATION_MS = opts.duration * 1000;
const CONNECTIONS = opts.connections;
const EVERY_MS = opts.every;
const DOWN_MS = opts.down;

/** One Node backend (bench/backend.mjs) on `port`, answering. */
async function startBackend(port) {
  const child = startProcess('backend', process.execPath, [path.join(benchDir, 'backend.mjs'), String(port)]);
  await waitForHttp(`http://${HOST}:${port}/`, { child, intervalMs: 5 });
  return child;
}

const round = (n) => Math.round(n * 10) / 10;

function percentile(sorted, p) {
  if (sorted.length === 0) return 0;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
}

await runPart('chaos', async ({ dir, log }) => {
  const [p1, p2, p3, syPort] = await freePorts(4);
  const ports = [p1, p2, p3];
  const backends = await Promise.all(ports.map(startBackend));
  const dynamic = `http:
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
${ports.map((p) => `          - url: http://${HOST}:${p}`).join('\n')}
`;
  const { staticFile } = writeConfigs(dir, 'switchyard', { port: syPort, dynamic });
  // Its warnings (servers ejected, down, up) are the expected effect of the kills: not echoed.
  await startSwitchyard('switchyard', staticFile, { port: syPort, echo: false });

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
        const req = http.get({ host: HOST, port: syPort, path: '/', agent }, (res) => {
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
  emit(opts, { part: 'chaos', ...result }, [
    `Chaos: one of three backends SIGKILLed every ${EVERY_MS} ms and restarted ${DOWN_MS} ms later, ${CONNECTIONS} keep-alive clients for ${opts.duration} s`,
    machineLine(),
    '',
    table(
      ['kills', 'served', 'failed', 'req/s', 'p50', 'p99', 'p99 while a backend is dead', 'max while dead'],
      [[String(result.kills), fmtInt(served), failed ? `${failed} (${JSON.stringify(result.failures)})` : '0', fmtInt(result.rps), fmtMs(result.p50ms), fmtMs(result.p99ms), fmtMs(result.p99DuringFailuresMs), fmtMs(result.maxDuringFailuresMs)]],
    ),
  ].join('\n'));
});

