// Reload cost: validating and building a routing table for N host routers / N servers
// (issue 3's target: 10,000 / 10,000 in ≤ 100 ms, never blocking the event loop > 20 ms).
// Both steps are synchronous today, so each figure is also how long the event loop is blocked.
//
//   npm run build && node bench/reload-build.mjs [--routers 10000] [--rounds 5]
import { parseArgs } from 'node:util';
import pino from 'pino';
import { validateSnapshots } from '../dist/src/config/validate.js';
import { Runtime } from '../dist/src/runtime/runtime.js';

const { values } = parseArgs({ options: { routers: { type: 'string', default: '10000' }, rounds: { type: 'string', default: '5' } } });
const N = Number(values.routers);
const routers = {};
const services = {};
for (let i = 0; i < N; i++) {
  routers[`r${i}`] = { rule: `Host(\`h${i}.example.com\`) && PathPrefix(\`/api\`)`, service: `s${i}` };
  services[`s${i}`] = { loadBalancer: { servers: [{ url: `http://10.0.${(i >> 8) & 255}.${i & 255}:8080` }] } };
}
const snapshot = { provider: 'file', config: { http: { routers, services } } };
const runtime = new Runtime(['web'], { maxIdleSockets: 10, idleTimeout: 1000 }, pino({ level: 'silent' }));
console.log(`| round | routers | validate | build | total (event loop blocked) |`);
console.log(`|---|---|---|---|---|`);
for (let round = 1; round <= Number(values.rounds); round++) {
  const t0 = performance.now();
  const validated = validateSnapshots([snapshot], { entryPoints: ['web'] });
  const t1 = performance.now();
  const { buildMs } = runtime.apply(validated);
  if (validated.errors.length) throw new Error(`unexpected config errors: ${validated.errors.length}`);
  console.log(`| ${round} | ${N} | ${(t1 - t0).toFixed(0)} ms | ${buildMs.toFixed(0)} ms | ${(t1 - t0 + buildMs).toFixed(0)} ms |`);
}
runtime.registry.destroy();
