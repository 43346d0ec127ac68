// Docker provider benchmark: the time from `docker start` returning (the Engine API call) to the
// first request that switchyard routes to the new container, p50/p99, with no other container
// and with 200 other labelled containers running.
//
//   npm run build && node bench/docker.mjs [--samples 100] [--others 200]
//
// A private dockerd (temp folder, its own socket; never the system's) runs busybox containers
// imported from Debian's busybox-static (no registry) on the host network; switchyard runs as a
// child process (the built CLI) with the Docker provider. Each sample creates a container running
// busybox httpd with a Host rule of its own, starts it, and polls switchyard with that Host every
// millisecond until the answer is not 404 ("routed": the router matched and forwarded) and until
// it is the container's own 200 ("served": its httpd was also listening). Then the container is
// removed and the route is seen gone before the next sample.
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { freePort, httpdCommand, removeContainer, runContainer, startDockerEngine } from '../test/helpers/docker-engine.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));
const cli = path.join(here, '..', 'dist/src/cli/main.js');
const { values: opts } = parseArgs({
  options: {
    samples: { type: 'string', default: '100' },
    others: { type: 'string', default: '200' },
    help: { type: 'boolean', short: 'h', default: false },
  },
});
if (opts.help) {
  console.log('usage: node bench/docker.mjs [--samples 100] [--others 200]   (run npm run build first)');
  process.exit(0);
}
const SAMPLES = Math.max(1, Number(opts.samples) || 100);
const OTHERS = Math.max(0, Number(opts.others) || 0);
const PREFIX = 'bench';
if (!existsSync(cli)) {
  console.error(`${cli} is missing: run npm run build first`);
  process.exit(1);
}

let engine;
let child;
const tmp = mkdtempSync(path.join(os.tmpdir(), 'sy-bench-docker-'));
const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });

async function cleanup() {
  agent.destroy();
  if (child && child.exitCode === null) {
    const exited = new Promise((r) => child.once('exit', r));
    child.kill('SIGTERM');
    await exited;
  }
  await engine?.destroy().catch((err) => console.error(`could not remove the engine's folder: ${err.message}`));
  rmSync(tmp, { recursive: true, force: true });
}
process.once('SIGINT', () => void cleanup().then(() => process.exit(130)));

function get(port, host) {
  return new Promise((resolve) => {
    const req = http.request({ host: '127.0.0.1', port, path: '/', headers: { host }, agent }, (res) => {
      let body = '';
      res.on('data', (c) => (body += c));
      res.on('end', () => resolve({ status: res.statusCode, body }));
    });
    req.on('error', (err) => resolve({ status: 0, body: err.message }));
    req.end();
  });
}

const pause = (ms) => new Promise((r) => setTimeout(r, ms));

async function until(check, what, timeoutMs = 30_000) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await check();
    if (v) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await pause(1);
  }
}

function percentile(sorted, p) {
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))];
}

async function startSwitchyard(endpoint) {
  const port = await freePort();
  const config = path.join(tmp, 'switchyard.yaml');
  writeFileSync(
    config,
    [
      'entryPoints:',
      '  web:',
      `    address: 127.0.0.1:${port}`,
      'providers:',
      '  docker:',
      `    endpoint: ${endpoint}`,
      '    exposedByDefault: false',
      `    labelPrefix: ${PREFIX}`,
      'log:',
      '  level: error',
      '',
    ].join('\n'),
  );
  child = spawn(process.execPath, [cli, '--config', config], { stdio: ['ignore', 'inherit', 'inherit'] });
  await until(async () => (await get(port, 'nothing.bench')).status === 404, 'switchyard to listen');
  return port;
}

const labels = (name, port) => ({
  [`${PREFIX}.enable`]: 'true',
  [`${PREFIX}.http.routers.${name}.rule`]: `Host(\`${name}.bench\`)`,
  [`${PREFIX}.http.services.${name}.loadBalancer.server.port`]: String(port),
});

async function startOthers(docker, count) {
  let next = 0;
  const worker = async () => {
    while (next < count) {
      const i = next++;
      await runContainer(docker, { name: `other-${i}`, labels: labels(`other-${i}`, 20_000 + i) });
    }
  };
  await Promise.all(Array.from({ length: 8 }, worker));
}

async function measure(docker, port, label, tag) {
  const routed = [];
  const served = [];
  for (let i = 0; i < SAMPLES; i++) {
    const name = `probe-${tag}-${i}`;
    const backendPort = await freePort();
    const container = await runContainer(docker, { name, labels: labels(name, backendPort), cmd: httpdCommand(backendPort, name), start: false });
    await container.start();
    const t0 = performance.now();
    let routedAt;
    await until(async () => {
      const r = await get(port, `${name}.bench`);
      if (r.status !== 404 && routedAt === undefined) routedAt = performance.now();
      return r.status === 200 && r.body === name;
    }, `${name} to be served`);
    served.push(performance.now() - t0);
    routed.push(routedAt - t0);
    await removeContainer(docker, name);
    await until(async () => (await get(port, `${name}.bench`)).status === 404, `${name}'s route to go`);
  }
  const row = (what, values) => {
    const s = [...values].sort((a, b) => a - b);
    return `| ${label.padEnd(29)} | ${what.padEnd(6)} | ${String(s.length).padStart(7)} | ${percentile(s, 50).toFixed(1).padStart(6)} ms | ${percentile(s, 99).toFixed(1).padStart(6)} ms | ${s.at(-1).toFixed(1).padStart(6)} ms |`;
  };
  return [row('routed', routed), row('served', served)];
}

try {
  engine = await startDockerEngine();
  const port = await startSwitchyard(engine.endpoint);
  const rows = [];
  rows.push(...(await measure(engine.docker, port, 'no other container', 'alone')));
  if (OTHERS > 0) {
    const t = performance.now();
    await startOthers(engine.docker, OTHERS);
    await until(async () => (await get(port, `other-${OTHERS - 1}.bench`)).status !== 404, 'the other containers to be routed', 120_000);
    console.log(`started ${OTHERS} other labelled containers in ${((performance.now() - t) / 1000).toFixed(1)} s`);
    rows.push(...(await measure(engine.docker, port, `${OTHERS} other labelled containers`, 'crowd')));
  }
  console.log(`\nDocker provider: docker start returned → first request through switchyard (${SAMPLES} samples per row; node ${process.version}, ${os.cpus().length} CPUs)`);
  console.log('routed = first answer that is not 404 (the router matched); served = first 200 from the container\'s own httpd\n');
  console.log(`| ${'running'.padEnd(29)} | ${'until'.padEnd(6)} | samples |       p50 |       p99 |       max |`);
  console.log(`|${'-'.repeat(31)}|${'-'.repeat(8)}|${'-'.repeat(9)}|${'-'.repeat(11)}|${'-'.repeat(11)}|${'-'.repeat(11)}|`);
  for (const r of rows) console.log(r);
} catch (err) {
  console.error(err);
  process.exitCode = 1;
} finally {
  await cleanup();
}
