// Issue 3's targets as data: each part's result (its --json object) → rows of
// { part, measure, value, target, pass } (pass: true/false, or undefined when not measurable).
// Used by bench/suite.mjs for the one table of ratios, and by each part to print its own rows.
import { fmtKiB, fmtMs, fmtRatio, table } from './format.mjs';
import { pairedRatio } from './rounds.mjs';

const atLeast = (min) => (v) => v >= min;
const atMost = (max) => (v) => v <= max;

/**
 * A ratio of two interleaved targets: the median of their per-round ratios (pairedRatio), with the
 * ratio of their medians named beside it for comparison with results from before 2026-12-02.
 * Results without per-round figures give the ratio of medians alone.
 */
function ratioRow(part, measure, a, b, field, target, test) {
  const paired = pairedRatio(a, b, field === 'rps' ? 'runs' : 'p99s');
  const ofMedians = a?.[field] / b?.[field];
  if (!Number.isFinite(paired)) return row(part, measure, ofMedians, fmtRatio, target, test);
  return row(part, `${measure} (per round; ratio of medians ${fmtRatio(ofMedians)})`, paired, fmtRatio, target, test);
}

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
      rows.push(ratioRow(part, 'switchyard / caddy req/s', sy, caddy, 'rps', '≥ 2', atLeast(2)));
      rows.push(ratioRow(part, 'switchyard / nginx req/s', sy, nginx, 'rps', '≥ 0.5', atLeast(0.5)));
      rows.push(ratioRow(part, 'switchyard p99 / nginx p99', sy, nginx, 'p99', '≤ 2', atMost(2)));
      rows.push(row(part, 'errors (non-2xx + socket)', sy.bad, String, '0', (v) => v === 0));
    }
    // Context for the workers row, no target: nginx in as many processes, on the same CPUs.
    const cpus = r.targets.nginxCpus;
    if (cpus && !cpus.skipped) rows.push(ratioRow('throughput, context', `nginx, one worker per CPU: p99 / nginx p99`, cpus, nginx, 'p99', '', () => undefined));
    return rows;
  },
  'route-scale': (r) => [
    ratioRow('routing-table scale', `${r.settings.routers.toLocaleString('en-US')} routers / 1 router req/s`, r.targets.many, r.targets.one, 'rps', '≥ 0.9', atLeast(0.9)),
    row('routing-table scale', 'errors (non-2xx + socket)', r.targets.many.bad + r.targets.one.bad, String, '0', (v) => v === 0),
  ],
  'reload-storm': (r) => [
    ratioRow('reload storm', `storm (${r.rate}/s rewrites) / steady req/s`, r.targets.storm, r.targets.steady, 'rps', '≥ 0.9', atLeast(0.9)),
    row('reload storm', 'failed requests during the storm', r.targets.storm.bad, String, '0', (v) => v === 0),
    // Context, no target: what the bench's own writer costs, rewriting a file switchyard does not read.
    ...(r.targets.writer ? [ratioRow('reload storm, context', `writer only (${r.rate}/s rewrites of an unwatched file) / steady req/s`, r.targets.writer, r.targets.steady, 'rps', '', () => undefined)] : []),
  ],
  'ws-memory': (r) => [
    row('WebSocket memory', `RSS per idle WebSocket (${r.connections.toLocaleString('en-US')} open)`, r.perConnectionKiB, fmtKiB, '≤ 20 KiB', atMost(20)),
    row('WebSocket memory', 'sample echoes answered', r.echoFailures, (v) => (v === 0 ? `${r.echoSamples}/${r.echoSamples}` : `${r.echoSamples - v}/${r.echoSamples}`), 'all', (v) => v === 0),
  ],
  startup: (r) => [
    row('startup', `spawn → first routed 200, code cache warm (median of ${r.samples.length})`, r.medianMs, fmtMs, '≤ 300 ms', atMost(300)),
    ...(r.firstStart ? [row('startup', `same, first start of a build: no code cache (median of ${r.firstStart.samples.length})`, r.firstStart.medianMs, fmtMs, '≤ 300 ms', atMost(300))] : []),
    // Context, no target: the environment's NODE_EXTRA_CA_CERTS makes node itself boot slower (bench/startup.mjs).
    ...(r.withoutExtraCa ? [row('startup, context', `same, code cache warm, without this environment's NODE_EXTRA_CA_CERTS (node -e 0: ${fmtMs(r.nodeAloneMs)} with, ${fmtMs(r.withoutExtraCa.nodeAloneMs)} without)`, r.withoutExtraCa.medianMs, fmtMs, '', () => undefined)] : []),
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
