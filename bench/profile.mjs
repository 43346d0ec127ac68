// CPU profile of one switchyard process under wrk (the throughput part's table and load):
// `node bench/profile.mjs [--seconds 8] [--top 25]` prints the top self-time functions, as a
// share of non-idle samples, and keeps the .cpuprofile (open it in Chrome DevTools).
import { appendFileSync, copyFileSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { emit, parseOptions } from './lib/cli.mjs';
import { runPart } from './lib/part.mjs';
import { startBackends } from './lib/backends.mjs';
import { freePorts, HOST, startProcess, stopProcess, waitForHttp } from './lib/processes.mjs';
import { cli, dynamicConfig, hostOf, writeConfigs } from './lib/switchyard.mjs';
import { runWrk, wrkBinary } from './lib/wrk.mjs';

const opts = parseOptions('node bench/profile.mjs', 'Top self-time functions of switchyard (one process) under wrk -t1 -c64.', {
  seconds: { default: 8, help: 'seconds of wrk load profiled (after a 2 s warm-up)' },
  top: { default: 25, help: 'rows in the table' },
  routers: { default: 50, help: 'routers in the table (Host() rules, own service each)' },
  'access-log': { default: 'off', help: 'off, common or json: with an access log to a file in the temp folder' },
});

await runPart('profile', async ({ dir, log }) => {
  wrkBinary();
  const backends = await startBackends(dir);
  const [port] = await freePorts(1);
  const { staticFile } = writeConfigs(dir, 'sy', { port, dynamic: dynamicConfig({ routers: opts.routers, ports: backends.ports }) });
  if (opts['access-log'] !== 'off') appendFileSync(staticFile, `accessLog: {filePath: ${JSON.stringify(path.join(dir, 'access.log'))}, format: ${opts['access-log']}}\n`);
  const profDir = path.join(dir, 'prof');
  const child = startProcess('switchyard', process.execPath, ['--cpu-prof', '--cpu-prof-dir', profDir, cli, '-c', staticFile, '--log-level', 'warn'], { echo: true });
  const host = hostOf(0);
  await waitForHttp(`http://${HOST}:${port}/`, { child, host });
  await runWrk({ url: `http://${HOST}:${port}/`, seconds: 2, connections: 64, host });
  const run = await runWrk({ url: `http://${HOST}:${port}/`, seconds: opts.seconds, connections: 64, host });
  log(`profiled: ${Math.round(run.rps)} req/s (the profiler costs throughput)`);
  await stopProcess(child);
  // Kept outside the part's temp folder, which is removed at the end.
  const file = path.join(tmpdir(), 'switchyard-profile.cpuprofile');
  copyFileSync(path.join(profDir, readdirSync(profDir).find((f) => f.endsWith('.cpuprofile'))), file);
  const rows = topSelf(JSON.parse(readFileSync(file, 'utf8')), opts.top);
  const text = [
    `Top ${opts.top} self-time functions under wrk -t1 -c64 (${Math.round(run.rps)} req/s while profiled), % of non-idle samples; profile: ${file}`,
    '',
    '| # | function | where | self |',
    '|---:|---|---|---:|',
    ...rows.map((r, i) => `| ${i + 1} | \`${r.name}\` | ${r.where} | ${r.pct.toFixed(1)}% |`),
  ].join('\n');
  emit(opts, { part: 'profile', rps: run.rps, rows, file }, text);
});

/** Self time per function (name + location); start-up is a few % of the samples and stays in. */
function topSelf(profile, top) {
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const self = new Map();
  let total = 0;
  for (const id of profile.samples) {
    const f = byId.get(id).callFrame;
    if (f.functionName === '(idle)') continue;
    total++;
    const where = f.url ? `${path.basename(f.url)}:${f.lineNumber + 1}` : '(native)';
    const key = `${f.functionName || '(anonymous)'}\u0000${where}`;
    self.set(key, (self.get(key) ?? 0) + 1);
  }
  return [...self.entries()]
    .sort((a, b) => b[1] - a[1])
    .slice(0, top)
    .map(([key, n]) => {
      const [name, where] = key.split('\u0000');
      return { name, where, pct: (100 * n) / total };
    });
}
