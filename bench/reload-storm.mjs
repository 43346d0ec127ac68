// Reload storm (issue 3, part 3): switchyard with the file provider watching a 50-router config
// (each router a Host() rule with its own service). wrk -t1 -c64 asks for one host, in interleaved
// rounds: steady (config untouched) and storm (the config file rewritten --rate times per second).
// Each rewrite is a real change wrk does not hit: an extra router's Host changes and another
// service's server weight changes. Reports storm/steady req/s, failed requests (non-2xx + socket
// errors) and how many new routing tables switchyard applied (the admin API's /api/rawdata version).
// A third target, `writer`, rewrites a file switchyard does not watch (in a folder of its own) at
// the same rate: what the bench's own writing costs on these CPUs, apart from switchyard's reloads.
import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { freePorts, HOST, sleep } from './lib/processes.mjs';
import { emit, parseOptions, workersOption, wrkOptions } from './lib/cli.mjs';
import { runPart } from './lib/part.mjs';
import { startBackends } from './lib/backends.mjs';
import { dynamicConfig, hostOf, replaceFile, startSwitchyard, writeConfigs } from './lib/switchyard.mjs';
import { interleave, roundsTable } from './lib/rounds.mjs';
import { wrkBinary } from './lib/wrk.mjs';
import { fmtInt, machineLine, median, table } from './lib/format.mjs';
import { startThreadCpu } from './lib/thread-cpu.mjs';

const opts = parseOptions('node bench/reload-storm.mjs', 'Throughput and failed requests while the dynamic config file is rewritten 10 times a second, against steady.', {
  ...wrkOptions,
  workers: workersOption,
  routers: { default: 50, help: 'routers in the config (each a Host() rule with its own service)' },
  rate: { default: 10, help: 'config rewrites per second during a storm round' },
  write: { default: 'rename', choices: ['rename', 'in-place'], help: 'rename = write a sibling and rename it over (atomic); in-place = truncate and write the file' },
  threads: { flag: true, help: 'also report switchyard\'s CPU per round type from /proc (Linux): main thread, other threads, main-thread CPU per request and involuntary context switches' },
});

await runPart('reload-storm', async ({ dir, log }) => {
  wrkBinary();
  if (opts.threads && !existsSync('/proc/self/task')) throw new Error('--threads reads /proc/PID/task (Linux); leave it out on this system');
  const backends = await startBackends(dir);
  const [port, apiPort] = await freePorts(2);
  const host = hostOf(0);
  const config = (change) => dynamicConfig({ routers: opts.routers, ports: backends.ports, change });
  const { staticFile, dynamicFile } = writeConfigs(dir, 'switchyard', { port, apiPort, dynamic: config(0), watch: true, workers: opts.workers });
  const switchyard = await startSwitchyard('switchyard', staticFile, { port, host });

  const api = async (path) => (await fetch(`http://${HOST}:${apiPort}${path}`)).json();
  let change = 0;
  const write = opts.write === 'rename' ? replaceFile : writeFileSync;
  const storm = () => {
    const before = api('/api/rawdata').then((r) => r.version);
    let writes = 0;
    const timer = setInterval(() => {
      write(dynamicFile, config(++change));
      writes++;
    }, 1000 / opts.rate);
    return async () => {
      clearInterval(timer);
      const last = `storm-${change}.bench.test`;
      const seen = await waitFor(async () => (await api('/api/http/routers/storm@file')).config?.rule?.includes(last), 3000);
      if (!seen) log(`warning: the last rewrite (${last}) was not applied within 3 s of the storm's end`);
      return { writes, applied: (await api('/api/rawdata')).version - (await before), lastApplied: seen };
    };
  };

  const unwatched = path.join(mkdtempSync(path.join(dir, 'unwatched-')), 'dynamic.yaml');
  const writerOnly = () => {
    const timer = setInterval(() => write(unwatched, config(++change)), 1000 / opts.rate);
    return async () => clearInterval(timer);
  };

  // With --threads, every round also samples switchyard's threads, from wrk's start to its end.
  const sampled = (during) => (opts.threads ? withThreadCpu(switchyard.pid, during) : during);
  const targets = [
    { key: 'steady', label: 'steady (config untouched)', url: `http://${HOST}:${port}/`, host, during: sampled(undefined) },
    { key: 'storm', label: `storm (${opts.rate} rewrites/s, ${opts.write})`, url: `http://${HOST}:${port}/`, host, during: sampled(storm) },
    { key: 'writer', label: `writer only (${opts.rate} rewrites/s of an unwatched file)`, url: `http://${HOST}:${port}/`, host, during: sampled(writerOnly) },
  ];
  const machine = machineLine();
  const measured = await interleave(targets, { ...opts, seconds: opts.duration, log });
  const extras = measured.storm.extras;
  const result = {
    part: 'reload-storm',
    machine,
    rate: opts.rate,
    settings: { ...opts, backends: backends.kind },
    writes: extras.reduce((a, x) => a + x.writes, 0),
    applied: extras.reduce((a, x) => a + x.applied, 0),
    targets: measured,
  };
  emit(opts, result, [
    `Reload storm: wrk -t1 -c${opts.connections}, median of ${opts.rounds} interleaved ${opts.duration}s rounds; ${opts.routers} routers, file provider (watch); workers: ${opts.workers}`,
    machine,
    '',
    roundsTable(result.targets, 'switchyard', [['requests', (t) => fmtInt(t.total)]]),
    '',
    `config rewrites during the measured storm rounds: ${result.writes}; routing tables applied: ${result.applied}`,
    ...(opts.threads ? ['', threadsTable(result.targets, opts.workers)] : []),
  ].join('\n'));
});

/** `during` (or nothing) with switchyard's thread CPU sampled alongside: its stop() adds `cpu`. */
function withThreadCpu(pid, during) {
  return () => {
    const cpu = startThreadCpu(pid);
    const stop = during?.();
    return async () => {
      const figures = cpu();
      return { ...(await stop?.()), cpu: figures };
    };
  };
}

/** Medians over rounds of what withThreadCpu sampled, one row per round type. */
function threadsTable(targets, workers) {
  const rows = Object.values(targets).map((t) => {
    const cpu = t.extras.map((x) => x.cpu);
    const perRequestUs = cpu.map((c, i) => (c.mainMsPerS * 1000) / t.runs[i]);
    const ms = (xs) => `${Math.round(median(xs))} ms/s`;
    return [t.label, ms(cpu.map((c) => c.mainMsPerS)), ms(cpu.map((c) => c.othersMsPerS)), `${median(perRequestUs).toFixed(2)} µs`, fmtInt(median(cpu.map((c) => c.involuntaryPerS)))];
  });
  const note = String(workers) === '1' ? '' : ` (workers: ${workers}: the primary's threads only)`;
  return [`switchyard's CPU per round type, medians over rounds${note}`, table(['round', 'main thread', 'other threads', 'main thread per request', 'main thread preempted /s'], rows)].join('\n');
}

async function waitFor(test, timeoutMs) {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await test().catch(() => false)) return true;
    await sleep(50);
  }
  return false;
}
