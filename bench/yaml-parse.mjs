// Dynamic file parsing: the `yaml` library (parseDocument + toJS + originsOf, what
// providers/file/parse-file.ts did) vs js-yaml with the origins recorded during the parse (what
// it does now). Both produce the same config and origins (test/providers/yaml-origins.test.ts).
// Files: bench/lib/switchyard.mjs dynamicConfig (flow style, each router its own service over
// 3 servers), 50 routers (~11 KB) and 10,000 routers (~2.4 MB). Reported: median and best
// wall ms per parse over --rounds, after --warmup parses.
//
//   npm run build && node --expose-gc bench/yaml-parse.mjs [--routers 50,10000] [--rounds 30] [--warmup 10]
import os from 'node:os';
import { parseArgs } from 'node:util';
import { isMap } from 'yaml';
import { parseDynamicFile } from '../dist/providers/file/parse-file.js';
import { referenceParse } from './lib/yaml-reference.mjs';
import { dynamicConfig } from './lib/switchyard.mjs';

const HELP = `usage: node --expose-gc bench/yaml-parse.mjs [--routers 50,10000] [--rounds 30] [--warmup 10]
  --routers  comma-separated router counts (each router has its own service, 3 servers)
  --rounds   timed parses per file and parser (the 10,000-router file uses rounds/5, at least 3)
  --warmup   untimed parses first (JIT)
Needs \`npm run build\` first (imports dist/providers/file/parse-file.js). --expose-gc lets it
collect garbage between timings, so one parser's garbage is not timed with the other.`;

const { values } = parseArgs({
  options: {
    routers: { type: 'string', default: '50,10000' },
    rounds: { type: 'string', default: '30' },
    warmup: { type: 'string', default: '10' },
    help: { type: 'boolean', short: 'h', default: false },
  },
});
if (values.help) {
  console.log(HELP);
  process.exit(0);
}

/** The replaced implementation, kept here for comparison. */
function parseWithYaml(text, label) {
  const { doc, origins } = referenceParse(text, label);
  if (doc.errors[0] || !isMap(doc.contents)) throw new Error('bench file does not parse');
  return { config: doc.toJS(), origins: origins() };
}

function parseWithJsYaml(text, label) {
  const r = parseDynamicFile(text, label);
  if (!r.ok) throw new Error(r.error.message);
  return r;
}

function time(fn, text, rounds, warmup) {
  for (let i = 0; i < warmup; i++) fn(text, 'bench.yaml');
  // Without this, collecting the other parser's garbage lands in this one's timings.
  globalThis.gc?.();
  const ms = [];
  for (let i = 0; i < rounds; i++) {
    const t0 = performance.now();
    fn(text, 'bench.yaml');
    ms.push(performance.now() - t0);
  }
  ms.sort((a, b) => a - b);
  return { median: ms[Math.floor(ms.length / 2)], best: ms[0] };
}

const fmt = (n) => (n < 10 ? n.toFixed(2) : n.toFixed(1));
console.log(`node ${process.version}, ${os.cpus().length} CPUs (${os.cpus()[0]?.model ?? '?'}), load ${os.loadavg()[0].toFixed(2)}`);
console.log('routers | file KB | yaml median (best) ms | js-yaml median (best) ms | speed-up (median)');
for (const routers of values.routers.split(',').map(Number)) {
  const text = dynamicConfig({ routers, ports: [1, 2, 3] });
  const big = routers > 1000;
  const rounds = big ? Math.max(3, Math.floor(Number(values.rounds) / 5)) : Number(values.rounds);
  const warmup = big ? Math.min(2, Number(values.warmup)) : Number(values.warmup);
  const a = parseWithYaml(text, 'bench.yaml');
  const b = parseWithJsYaml(text, 'bench.yaml');
  if (JSON.stringify(a) !== JSON.stringify({ config: b.config, origins: b.origins })) throw new Error('the two parsers disagree');
  const neu = time(parseWithJsYaml, text, rounds, warmup);
  const old = time(parseWithYaml, text, rounds, warmup);
  console.log(
    `${routers} | ${(text.length / 1024).toFixed(0)} | ${fmt(old.median)} (${fmt(old.best)}) | ${fmt(neu.median)} (${fmt(neu.best)}) | ${(old.median / neu.median).toFixed(1)}×`,
  );
}
