// Reload cost: validating and building a routing table for N host routers / N servers
// (issue 3's target: 10,000 / 10,000 in ≤ 100 ms, never blocking the event loop > 20 ms).
// Validation and the table build run in time slices (src/time-slices.ts); a setImmediate probe
// records the longest stretch the event loop went without a turn while they ran, in wall time
// and in CPU time (on a shared machine wall time also counts other processes' turns).
//
// Cases, each on top of the previous config: the first load (cold caches, new registry), the
// same config again (same item objects: KV mirror, workers), the same config re-read (equal new
// objects: the file provider), one service's server changed, 100 routers' rules changed.
// Medians are over the rounds, mostly of warm code; the first round's first load (cold code and
// a fresh heap, as at start-up) is printed on its own too.
//
//   npm run build && node bench/reload-build.mjs [--routers 10000] [--rounds 3]
import { spawnSync } from 'node:child_process';
import os from 'node:os';
import { fileURLToPath } from 'node:url';
import pino from 'pino';
import { parseOptions } from './lib/cli.mjs';
import { cliNodeFlags } from './lib/switchyard.mjs';
import { validateSnapshotsSliced } from '../dist/src/config/validate.js';
import { Runtime } from '../dist/src/runtime/runtime.js';

// Measured with the node flags the switchyard command runs with (its /bin/sh prologue): run again with
// them when started without.
const flags = cliNodeFlags();
if (flags.some((f) => !process.execArgv.includes(f))) {
  const run = spawnSync(process.execPath, [...process.execArgv, ...flags, fileURLToPath(import.meta.url), ...process.argv.slice(2)], { stdio: 'inherit' });
  process.exit(run.status ?? 1);
}

const opts = parseOptions('node bench/reload-build.mjs', 'Validating and building a routing table of N routers / N servers: each case\'s time and its longest event-loop block.', {
  routers: { default: 10000, help: 'routers (each with its own service of one server)' },
  rounds: { default: 3, help: 'rounds (a new runtime each); figures are medians, the longest block the worst round' },
}, { json: false });
const N = opts.routers;
const ROUNDS = opts.rounds;

const cpuMs = () => {
  const { user, system } = process.cpuUsage();
  return (user + system) / 1000;
};

/**
 * Longest stretch between two turns of the event loop while the probe runs, in wall time and
 * in this process's CPU time (the machine is shared: wall time also counts time other
 * processes had the CPU; CPU time also counts V8's helper threads).
 */
function loopProbe() {
  let last = performance.now();
  let lastCpu = cpuMs();
  let wall = 0;
  let cpu = 0;
  let on = true;
  const tick = () => {
    const now = performance.now();
    const nowCpu = cpuMs();
    wall = Math.max(wall, now - last);
    cpu = Math.max(cpu, nowCpu - lastCpu);
    last = now;
    lastCpu = nowCpu;
    if (on) setImmediate(tick);
  };
  setImmediate(tick);
  return () => {
    on = false;
    return { wall: Math.max(wall, performance.now() - last), cpu: Math.max(cpu, cpuMs() - lastCpu) };
  };
}

// Items are made as a provider hands them over: through structuredClone, as the file provider's
// thread posts them (Redis and etcd values are decoded from buffers, Docker labels come from
// JSON.parse: flat strings too). Template literals make concatenated strings, which validation
// first flattened for each rule and URL: ~10-25% of a first load that no provider's items cost
// (bench/RESULTS.md, "First load: items as providers hand them over, and the usual item
// without zod").
const asProvided = structuredClone;

function server(i, round, port = 8080) {
  return asProvided({ loadBalancer: { servers: [{ url: `http://10.${round}.${(i >> 8) & 255}.${i & 255}:${port}` }] } });
}
function router(i, round, tag = '') {
  // Distinct hosts per round, so every round's first load parses its rules afresh.
  return asProvided({ rule: `Host(\`h${i}${tag}.r${round}.example.com\`) && PathPrefix(\`/api\`)`, service: `s${i}` });
}

const cases = [
  ['first load (cold caches)', (_prev, round) => {
    const routers = {};
    const services = {};
    for (let i = 0; i < N; i++) {
      routers[`r${i}`] = router(i, round);
      services[`s${i}`] = server(i, round);
    }
    return { routers, services };
  }],
  ['same config, same item objects', (prev) => ({ routers: { ...prev.routers }, services: { ...prev.services } })],
  ['same config re-read (equal new objects)', (prev) => structuredClone(prev)],
  ['1 server changed', (prev, round) => ({ routers: { ...prev.routers }, services: { ...prev.services, s7: server(7, round, 9090) } })],
  ['100 routers changed', (prev, round) => {
    const routers = { ...prev.routers };
    for (let i = 0; i < 100; i++) routers[`r${(i * 97) % N}`] = router((i * 97) % N, round, '-v2');
    return { routers, services: { ...prev.services } };
  }],
];

const figures = cases.map(() => []);
for (let round = 1; round <= ROUNDS; round++) {
  const runtime = new Runtime(['web'], { maxIdleSockets: 10, idleTimeout: 1000 }, pino({ level: 'silent' }));
  let http;
  for (const [c, [, make]] of cases.entries()) {
    http = make(http, round);
    const snapshot = { provider: `file${round}`, config: { http } };
    const stop = loopProbe();
    const [t0, c0] = [performance.now(), cpuMs()];
    const validated = await validateSnapshotsSliced([snapshot], { entryPoints: ['web'] });
    const [t1, c1] = [performance.now(), cpuMs()];
    if (!validated.done) throw new Error('validation abandoned');
    if (validated.value.errors.length) throw new Error(`unexpected config errors: ${validated.value.errors.length}`);
    const applied = await runtime.apply(validated.value);
    const [t2, c2] = [performance.now(), cpuMs()];
    const longest = stop();
    if (applied.status !== 'applied') throw new Error('build superseded');
    figures[c].push({ validate: t1 - t0, validateCpu: c1 - c0, build: t2 - t1, buildCpu: c2 - c1, total: t2 - t0, totalCpu: c2 - c0, longest: longest.wall, longestCpu: longest.cpu });
  }
  await runtime.registry.destroy();
}

const median = (xs) => xs.slice().sort((a, b) => a - b)[xs.length >> 1];
const ms = (x) => `${x.toFixed(0)} ms`;
console.log(`${N} routers / ${N} servers, ${ROUNDS} rounds, load average ${os.loadavg()[0].toFixed(1)} on ${os.availableParallelism()} CPUs; node flags: ${process.execArgv.join(' ') || 'none'}`);
console.log('medians of wall time (CPU time); longest block: the worst round\n');
const cold = figures[0][0];
const coldLine = `first round's first load (cold code, as at start-up): ${ms(cold.total)} (${ms(cold.totalCpu)}), longest block ${ms(cold.longest)}`;
console.log('| case | validate | build | total | longest event-loop block |');
console.log('|---|---:|---:|---:|---:|');
for (const [c, [name]] of cases.entries()) {
  const f = figures[c];
  const m = (k) => median(f.map((x) => x[k]));
  const worst = (k) => Math.max(...f.map((x) => x[k]));
  const pair = (k) => `${ms(m(k))} (${ms(m(`${k}Cpu`))})`;
  console.log(`| ${name} | ${pair('validate')} | ${pair('build')} | ${pair('total')} | ${ms(worst('longest'))} (${ms(worst('longestCpu'))}) |`);
}
console.log(`\n${coldLine}`);
