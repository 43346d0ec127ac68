// Routing-table scale (issue 3, part 2): the same switchyard with 1 Host() router and with 10,000,
// interleaved rounds of wrk -t1 -c64. Every router uses one shared round-robin service over the
// 3 backends, so the only difference is the size of the routing table (not how many upstream
// connection pools the traffic is spread over). wrk cycles through 1,000 distinct Host headers of
// the big table (every 10th router) and through the one host of the small one, with the same Lua
// script either way, so wrk's own cost is the same.
import { freePorts, HOST } from './lib/processes.mjs';
import { emit, parseOptions, workersOption, wrkOptions } from './lib/cli.mjs';
import { runPart } from './lib/part.mjs';
import { startBackends } from './lib/backends.mjs';
import { dynamicConfig, hostOf, startSwitchyard, writeConfigs } from './lib/switchyard.mjs';
import { interleave, roundsTable } from './lib/rounds.mjs';
import { hostsScript, wrkBinary } from './lib/wrk.mjs';
import { machineLine } from './lib/format.mjs';

const opts = parseOptions('node bench/route-scale.mjs', 'Throughput with 1 Host() router vs with 10,000 (requests spread over 1,000 of those hosts).', {
  ...wrkOptions,
  workers: workersOption,
  routers: { default: 10000, help: 'routers in the big table' },
  hosts: { default: 1000, help: 'distinct Host headers wrk cycles through on the big table' },
});

await runPart('route-scale', async ({ dir, log }) => {
  wrkBinary();
  const backends = await startBackends(dir);
  const [onePort, manyPort] = await freePorts(2);
  const hosts = Math.min(opts.hosts, opts.routers);
  const stride = Math.floor(opts.routers / hosts);

  const one = writeConfigs(dir, 'one', { port: onePort, dynamic: dynamicConfig({ routers: 1, ports: backends.ports, shared: true }), workers: opts.workers });
  const many = writeConfigs(dir, 'many', { port: manyPort, dynamic: dynamicConfig({ routers: opts.routers, ports: backends.ports, shared: true }), workers: opts.workers });
  await startSwitchyard('switchyard-1', one.staticFile, { port: onePort, host: hostOf(0) });
  const t0 = performance.now();
  await startSwitchyard(`switchyard-${opts.routers}`, many.staticFile, { port: manyPort, host: hostOf(opts.routers - 1) });
  log(`${opts.routers} routers: routing after ${((performance.now() - t0) / 1000).toFixed(1)} s`);

  const targets = [
    { key: 'one', label: '1 router', url: `http://${HOST}:${onePort}/`, script: hostsScript(dir, 'one', [hostOf(0)]) },
    {
      key: 'many',
      label: `${opts.routers.toLocaleString('en-US')} routers (${hosts.toLocaleString('en-US')} hosts hit)`,
      url: `http://${HOST}:${manyPort}/`,
      script: hostsScript(dir, 'many', Array.from({ length: hosts }, (_, i) => hostOf(i * stride))),
    },
  ];
  const machine = machineLine();
  const measured = await interleave(targets, { ...opts, seconds: opts.duration, log });
  const result = {
    part: 'route-scale',
    machine,
    settings: { ...opts, hosts, backends: backends.kind },
    targets: measured,
  };
  emit(opts, result, [
    `Routing-table scale: wrk -t1 -c${opts.connections}, median of ${opts.rounds} interleaved ${opts.duration}s rounds; all routers share one service over 3 backends (${backends.kind}); workers: ${opts.workers}`,
    machine,
    '',
    roundsTable(result.targets, 'switchyard with')
  ].join('\n'));
});
