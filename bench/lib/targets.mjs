// Issue 3's targets as data: each part's result (its --json object) → rows of
// { part, measure, value, target, pass } (pass: true/false, or undefined when not measurable).
// Used by bench/suite.mjs for the one table of ratios, and by each part to print its own rows.
import { fmtKiB, fmtMs, fmtRatio, table } from './format.mjs';

const atLeast = (min) => (v) => v >= min;
const atMost = (max) => (v) => v <= max;

function row(part, measure, value, shown, target, test) {
  const pass = Number.isFinite(value) ? test(value) : undefined;
  return { part, measure, value, shown: Number.isFinite(value) ? shown(value) : 'n/a', target, pass };
}

const checks = {
  throughput(r) {
    const rows = [];
    const { caddy, nginx } = r.targets;
    for (const key of ['switchyard', 'workers']) {
      const sy = r.targets[key];
      const part = key === 'workers' ? `throughput, workers: ${r.settings.workers}` : 'throughput, 1 process';
      if (!sy || sy.skipped) {
        rows.push({ part, measure: 'switchyard', shown: sy?.skipped ?? 'not measured', target: '', pass: undefined });
        continue;
      }
      rows.push(row(part, 'switchyard / caddy req/s', sy.rps / caddy?.rps, fmtRatio, '≥ 2', atLeast(2)));
      rows.push(row(part, 'switchyard / nginx req/s', sy.rps / nginx?.rps, fmtRatio, '≥ 0.5', atLeast(0.5)));
      rows.push(row(part, 'switchyard p99 / nginx p99', sy.p99 / nginx?.p99, fmtRatio, '≤ 2', atMost(2)));
      rows.push(row(part, 'errors (non-2xx + socket)', sy.bad, String, '0', (v) => v === 0));
    }
    // Context for the workers row, no target: nginx in as many processes, on the same CPUs.
    const cpus = r.targets.nginxCpus;
    if (cpus && !cpus.skipped) rows.push(row('throughput, context', `nginx, one worker per CPU: p99 / nginx p99`, cpus.p99 / nginx?.p99, fmtRatio, '', () => undefined));
    return rows;
  },
  'route-scale': (r) => [
    row('routing-table scale', `${r.settings.routers.toLocaleString('en-US')} routers / 1 router req/s`, r.targets.many.rps / r.targets.one.rps, fmtRatio, '≥ 0.9', atLeast(0.9)),
    row('routing-table scale', 'errors (non-2xx + socket)', r.targets.many.bad + r.targets.one.bad, String, '0', (v) => v === 0),
  ],
  'reload-storm': (r) => [
    row('reload storm', `storm (${r.rate}/s rewrites) / steady req/s`, r.targets.storm.rps / r.targets.steady.rps, fmtRatio, '≥ 0.9', atLeast(0.9)),
    row('reload storm', 'failed requests during the storm', r.targets.storm.bad, String, '0', (v) => v === 0),
    // Context, no target: what the bench's own writer costs, rewriting a file switchyard does not read.
    ...(r.targets.writer ? [row('reload storm, context', `writer only (${r.rate}/s rewrites of an unwatched file) / steady req/s`, r.targets.writer.rps / r.targets.steady.rps, fmtRatio, '', () => undefined)] : []),
  ],
  'ws-memory': (r) => [
    row('WebSocket memory', `RSS per idle WebSocket (${r.connections.toLocaleString('en-US')} open)`, r.perConnectionKiB, fmtKiB, '≤ 20 KiB', atMost(20)),
    row('WebSocket memory', 'sample echoes answered', r.echoFailures, (v) => (v === 0 ? `${r.echoSamples}/${r.echoSamples}` : `${r.echoSamples - v}/${r.echoSamples}`), 'all', (v) => v === 0),
  ],
  startup: (r) => [
    row('startup', `spawn → first routed 200, code cache warm (median of ${r.samples.length})`, r.medianMs, fmtMs, '≤ 300 ms', atMost(300)),
    ...(r.firstStart ? [row('startup', `same, first start of a build: no code cache (median of ${r.firstStart.samples.length})`, r.firstStart.medianMs, fmtMs, '≤ 300 ms', atMost(300))] : []),
  ],
  // bench/reload-build.mjs prints markdown and no JSON (it is owned elsewhere and changing): one row
  // per case (or round), read from its "total" column and its event-loop "block" column if any.
  'reload-build'(r) {
    const col = (test) => r.header.findIndex(test);
    const total = col((h) => /^total/i.test(h));
    const block = col((h) => /block/i.test(h) && !/^total/i.test(h));
    const what = r.routers ? `${Number(r.routers).toLocaleString('en-US')} routers` : 'routers';
    const rows = r.rows.map((cells) => row('reload build', `${what}, ${cells[0]}: validate + build`, parseFloat(cells[total]), fmtMs, '≤ 100 ms', atMost(100)));
    if (block >= 0) {
      const worst = r.rows.reduce((a, cells) => (parseFloat(cells[block]) > parseFloat(a[block]) ? cells : a));
      rows.push(row('reload build', `${what}: longest event-loop block (${worst[0]})`, parseFloat(worst[block]), fmtMs, '≤ 20 ms', atMost(20)));
    }
    return rows;
  },
  chaos: (r) => [row('chaos (availability)', `failed requests while backends are killed (${r.kills} kills)`, r.failed, String, '0', (v) => v === 0)],
};

export function checkRows(part, result) {
  return checks[part]?.(result) ?? [];
}

export const verdict = (pass) => (pass === 'error' ? 'ERROR' : pass === undefined ? '—' : pass ? 'pass' : 'FAIL');

/** The ratio table: one row per target. */
export function checksTable(rows) {
  return table(['part', 'measure', 'value', 'target', 'result'], rows.map((r) => [r.part, r.measure, r.shown, r.target, verdict(r.pass)]), 'llrll');
}
