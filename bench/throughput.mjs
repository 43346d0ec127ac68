// Throughput and latency (issue 3, part 1): wrk -t1 -c64 GET / against
//   direct       one backend, no proxy (the ceiling of this machine and load generator)
//   switchyard   a real routing table: 50 routers, each a Host() rule with its own round-robin
//                service over the 3 backends, cookie stickiness off; wrk asks for one of those hosts
//   workers      the same with `workers: auto` ("not available" if this build rejects the key)
//   nginx        1 worker, upstream keepalive 64          (lib/nginx.mjs)
//   nginx ×CPUs  the same with a worker per CPU (nginx's `auto`), beside the workers row: what
//                this machine does to the tail latency of a proxy in several processes
//   haproxy      nbthread 1, http-reuse always, keep-alive (lib/haproxy.mjs)
//   caddy        reverse_proxy round robin                (lib/caddy.mjs)
// all over the same 3 backends, interleaved rounds, medians. A competitor that is not installed is
// skipped with a note.
import { availableParallelism } from 'node:os';
import { freePorts, HOST } from './lib/processes.mjs';
import { emit, parseOptions, wrkOptions } from './lib/cli.mjs';
import { runPart } from './lib/part.mjs';
import { startBackends } from './lib/backends.mjs';
import { startNginxLb } from './lib/nginx.mjs';
import { startHaproxy } from './lib/haproxy.mjs';
import { startCaddy } from './lib/caddy.mjs';
import { dynamicConfig, hostOf, startSwitchyard, validates, writeConfigs } from './lib/switchyard.mjs';
import { interleave, roundsTable } from './lib/rounds.mjs';
import { fmtRatio, machineLine } from './lib/format.mjs';
import { wrkBinary } from './lib/wrk.mjs';

const opts = parseOptions('node bench/throughput.mjs', 'Requests/s and p50/p99 latency: direct, switchyard (1 process and workers: auto), nginx, HAProxy, Caddy.', {
  ...wrkOptions,
  routers: { default: 50, help: 'routers in switchyard\'s table (each a Host() rule with its own service)' },
  workers: { default: 'auto', help: 'value of the workers key for the second switchyard row' },
});

await runPart('throughput', async ({ dir, log }) => {
  wrkBinary();
  const backends = await startBackends(dir);
  const [syPort, wkPort, nginxPort, nginxCpusPort, haproxyPort, caddyPort] = await freePorts(6);
  const host = hostOf(0);
  const dynamic = dynamicConfig({ routers: opts.routers, ports: backends.ports });

  const one = writeConfigs(dir, 'switchyard', { port: syPort, dynamic });
  await startSwitchyard('switchyard', one.staticFile, { port: syPort, host });

  const wk = writeConfigs(dir, 'workers', { port: wkPort, dynamic, workers: opts.workers });
  const workers = await startWorkers(wk.staticFile, wkPort, host, log);

  const competitors = {
    nginx: await startNginxLb(dir, nginxPort, backends.ports),
    nginxCpus: await startNginxLb(dir, nginxCpusPort, backends.ports, { workers: availableParallelism(), name: 'lb-cpus' }),
    haproxy: await startHaproxy(dir, haproxyPort, backends.ports),
    caddy: await startCaddy(dir, caddyPort, backends.ports),
  };
  for (const [name, c] of Object.entries(competitors)) if (c.skipped) log(`${name}: ${c.skipped}; skipped`);

  const targets = [
    { key: 'direct', label: 'direct, one backend', url: `http://${HOST}:${backends.ports[0]}/` },
    { key: 'switchyard', label: `switchyard, ${opts.routers} Host() routers`, url: `http://${HOST}:${syPort}/` },
    { key: 'workers', label: `switchyard, workers: ${opts.workers}`, ...workers },
    { key: 'nginx', label: 'nginx LB (1 worker, keepalive)', ...competitors.nginx },
    { key: 'nginxCpus', label: `nginx LB (${availableParallelism()} workers: one per CPU)`, ...competitors.nginxCpus },
    { key: 'haproxy', label: 'HAProxy (nbthread 1, http-reuse always)', ...competitors.haproxy },
    { key: 'caddy', label: 'Caddy (reverse_proxy round robin)', ...competitors.caddy },
  ].map((t) => ({ ...t, host }));

  const machine = machineLine();
  log(`wrk -t1 -c${opts.connections}, ${opts.rounds} rounds × ${opts.duration}s after ${opts.warmup}s warm-up; backends: ${backends.kind}`);
  const measured = await interleave(targets, { ...opts, seconds: opts.duration, log });
  const result = {
    part: 'throughput',
    machine,
    settings: { ...opts, backends: backends.kind },
    targets: measured,
  };
  emit(opts, result, report(result));
});

/** The workers row's target, or { skipped } when this build rejects the key or cannot start with it. */
async function startWorkers(staticFile, port, host, log) {
  const accepted = await validates(staticFile);
  if (!accepted.ok) return { skipped: `not available (switchyard validate: ${accepted.message})` };
  try {
    await startSwitchyard('switchyard-workers', staticFile, { port, host });
    return { url: `http://${HOST}:${port}/` };
  } catch (err) {
    log(`workers: ${err.message}`);
    return { skipped: `not available (did not start: ${err.message.split('\n')[0]})` };
  }
}

function report(result) {
  const nginx = result.targets.nginx;
  return [
    `Throughput: wrk -t1 -c${result.settings.connections}, median of ${result.settings.rounds} interleaved ${result.settings.duration}s rounds; backends: ${result.settings.backends}`,
    result.machine,
    '',
    roundsTable(result.targets, 'target', [['vs nginx', (t) => (nginx?.rps ? fmtRatio(t.rps / nginx.rps) : 'n/a')]]),
  ].join('\n');
}
