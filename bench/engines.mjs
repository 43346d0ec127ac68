// Proxy engine comparison for issue 3: the same minimal round-robin loop over three Node
// backends, built on http-proxy (what switchyard used), plain node:http, undici's Pool with
// request() + pipe, undici's Pool with dispatch() + a handler (what switchyard used next), and
// switchyard's own engine since: raw sockets with llhttp on both sides (`llhttp`, from dist/).
// Interleaved rounds; medians of req/s and p99 per engine. Needs wrk (apt-get install wrk).
//
//   npm run build && node bench/engines.mjs [--rounds 3] [--duration 8]
import { execFileSync, spawn } from 'node:child_process';
import net from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { startBackends } from './lib/backends.mjs';
import { stopAll, tempDir } from './lib/processes.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));
const { values } = parseArgs({ options: { rounds: { type: 'string', default: '3' }, duration: { type: 'string', default: '8' } } });
const ENGINES = ['http-proxy', 'node-http', 'undici', 'undici-dispatch', 'llhttp'];
const children = new Set();

const freePort = () =>
  new Promise((resolve) => {
    const s = net.createServer();
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });

function start(args) {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'inherit'] });
    children.add(child);
    child.stdout.once('data', () => resolve(child));
    child.once('exit', (code) => reject(new Error(`${args.join(' ')} exited ${code}`)));
  });
}

function wrk(url, seconds) {
  const out = execFileSync('wrk', ['-t1', '-c64', `-d${seconds}s`, '--latency', url], { encoding: 'utf8' });
  const rps = Number(/Requests\/sec:\s+([\d.]+)/.exec(out)[1]);
  const p99 = /99%\s+([\d.]+)(us|ms|s)/.exec(out);
  const ms = Number(p99[1]) * (p99[2] === 'us' ? 0.001 : p99[2] === 's' ? 1000 : 1);
  return { rps, p99: ms };
}

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

async function main() {
  try {
    execFileSync('wrk', ['--version'], { stdio: 'ignore' });
  } catch (err) {
    if (err.code === 'ENOENT') throw new Error('wrk is not installed: apt-get install -y wrk');
  }
  // The suite's backends: nginx when installed (faster than any proxy in front of it), else Node.
  const dir = tempDir('switchyard-bench-engines');
  const { ports: backendPorts, kind } = await startBackends(dir);
  process.stderr.write(`[engines] backends: ${kind}\n`);
  const results = Object.fromEntries(ENGINES.map((e) => [e, []]));
  for (let round = 1; round <= Number(values.rounds); round++) {
    for (const engine of ENGINES) {
      const port = await freePort();
      const child = await start([path.join(here, 'engine-proxy.mjs'), engine, String(port), ...backendPorts.map(String)]);
      wrk(`http://127.0.0.1:${port}/`, 2); // warm-up
      results[engine].push(wrk(`http://127.0.0.1:${port}/`, Number(values.duration)));
      child.kill('SIGTERM');
      children.delete(child);
      process.stderr.write(`[engines] round ${round} ${engine}: ${results[engine].at(-1).rps.toFixed(0)} req/s\n`);
    }
  }
  const base = median(results['http-proxy'].map((r) => r.rps));
  console.log(`\n| engine | req/s (median of ${values.rounds}) | p99 (median) | vs http-proxy |`);
  console.log('|---|---:|---:|---:|');
  for (const e of ENGINES) {
    const rps = median(results[e].map((r) => r.rps));
    console.log(`| ${e} | ${rps.toFixed(0)} | ${median(results[e].map((r) => r.p99)).toFixed(1)} ms | ${(rps / base).toFixed(2)}× |`);
  }
}

main()
  .catch((err) => {
    console.error(`[engines] ${err.message}`);
    process.exitCode = 1;
  })
  .finally(() => stopAll())
  .finally(() => {
    for (const c of children) c.kill('SIGKILL');
  });
