// Interleaved measurement: every target once per round, the order reversed every other round
// (A B C, C B A, …), so drift in machine load hits all targets alike and a steady drift within a
// round does not always favour the target measured first; each target's figure is the median over
// rounds, and pairedRatio() compares two targets round by round.
import { fmtInt, fmtMs, median, table } from './format.mjs';
import { runWrk } from './wrk.mjs';

/**
 * targets: [{ key, label, url, host?, script?, during?(): stop }] — `during` starts something for
 * the length of that target's runs (e.g. the reload storm's writer) and returns a function that
 * stops it (and may return figures, collected in `extras`). Targets with `skipped` are not measured.
 * Returns { [key]: { label, rps, p50, p99 (medians), bad, total (sums), runs (req/s each), p99s (each),
 * extras } }, runs and p99s in round order
 * or { [key]: { label, skipped } }.
 */
export async function interleave(targets, { rounds, seconds, warmup, connections, log }) {
  const live = targets.filter((t) => !t.skipped);
  const runs = new Map(live.map((t) => [t.key, []]));
  const extras = new Map(live.map((t) => [t.key, []]));
  if (warmup > 0) {
    for (const t of live) {
      log(`${t.label}: warming up ${warmup}s`);
      await measure(t, warmup, connections);
    }
  }
  for (let round = 1; round <= rounds; round++) {
    for (const t of round % 2 === 1 ? live : [...live].reverse()) {
      log(`round ${round}/${rounds}: ${t.label}, ${seconds}s`);
      const { run, extra } = await measure(t, seconds, connections);
      runs.get(t.key).push(run);
      if (extra !== undefined) extras.get(t.key).push(extra);
    }
  }
  return Object.fromEntries(
    targets.map((t) => {
      if (t.skipped) return [t.key, { label: t.label, skipped: t.skipped }];
      const r = runs.get(t.key);
      return [t.key, {
        label: t.label,
        rps: median(r.map((x) => x.rps)),
        p50: median(r.map((x) => x.p50)),
        p99: median(r.map((x) => x.p99)),
        bad: r.reduce((a, x) => a + x.bad, 0),
        total: r.reduce((a, x) => a + x.total, 0),
        runs: r.map((x) => Math.round(x.rps)),
        p99s: r.map((x) => x.p99),
        extras: extras.get(t.key),
      }];
    }),
  );
}

/**
 * The median over rounds of a's figure ÷ b's in the same round (`field`: 'runs' for req/s, 'p99s'):
 * each ratio pairs two runs minutes apart at most, so a slow phase of a shared machine that spans
 * a round cancels out, where a ratio of medians can pair one target's fast round with the other's
 * slow one. NaN when either was not measured (older results have no p99s).
 */
export function pairedRatio(a, b, field) {
  const xs = a?.[field];
  const ys = b?.[field];
  if (!Array.isArray(xs) || !Array.isArray(ys) || xs.length === 0 || xs.length !== ys.length) return NaN;
  return median(xs.map((x, i) => x / ys[i]));
}

async function measure(t, seconds, connections) {
  const stop = t.during?.();
  try {
    const run = await runWrk({ url: t.url, seconds, connections, host: t.host, script: t.script });
    return { run, extra: await stop?.() };
  } catch (err) {
    await stop?.();
    throw err;
  }
}

/** interleave()'s results as a table; `extra` adds columns: [[header, (target) => text], …]. */
export function roundsTable(results, first, extra = []) {
  const rows = Object.values(results).map((t) =>
    t.skipped
      ? [t.label, t.skipped, ...extra.map(() => ''), '', '', '', '']
      : [t.label, fmtInt(t.rps), fmtMs(t.p50), fmtMs(t.p99), String(t.bad), ...extra.map(([, f]) => f(t)), t.runs.map(fmtInt).join(', ')],
  );
  return table([first, 'req/s', 'p50', 'p99', 'errors', ...extra.map(([h]) => h), 'runs (req/s)'], rows);
}
