// Editing a big watched file: N routers / N services in one YAML file (the storm's shape), one
// router changed per rewrite, through the file provider in this thread (FileProvider) and in its
// own (WatchedFileProvider, what `watch: true` runs: a config over 32 KiB goes to its thread), then the config watcher and a Runtime, as
// in switchyard. For each: the longest gap between two turns of this (main) thread's event loop
// while a rewrite is taken in, the time from the rename to the new table, and the process's CPU
// time (both threads) for it. Not in the suite (no issue 3 row): see bench/RESULTS.md, "Reload
// storm: file provider thread".
//
//   npm run build && node bench/file-reload.mjs [--routers 10000] [--rewrites 5]
import { spawnSync } from 'node:child_process';
import { mkdtempSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import pino from 'pino';
import { parseOptions } from './lib/cli.mjs';
import { cliNodeFlags, dynamicConfig } from './lib/switchyard.mjs';
import { FileProvider } from '../dist/providers/file/file-provider.js';
import { WatchedFileProvider } from '../dist/providers/file/watched-file-provider.js';
import { ConfigWatcher } from '../dist/src/config/watcher.js';
import { Runtime } from '../dist/src/runtime/runtime.js';

// Measured with the switchyard command's node flags (as reload-build.mjs).
const flags = cliNodeFlags();
if (flags.some((f) => !process.execArgv.includes(f))) {
  const run = spawnSync(process.execPath, [...process.execArgv, ...flags, fileURLToPath(import.meta.url), ...process.argv.slice(2)], { stdio: 'inherit' });
  process.exit(run.status ?? 1);
}

const opts = parseOptions('node bench/file-reload.mjs', 'A watched N-router file edited: longest main-thread block, time to the new table, CPU; file provider in this thread vs its own.', {
  routers: { default: 10000, help: 'routers (and services) in the file' },
  rewrites: { default: 5, help: 'rewrites measured per provider' },
}, { json: false });
const N = Number(opts.routers);
const ports = [20001, 20002, 20003];
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

async function measure(label, Provider) {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'sy-file-reload-'));
  const file = path.join(dir, 'dynamic.yaml');
  writeFileSync(file, dynamicConfig({ routers: N, ports, change: 0 }));
  const log = pino({ level: 'warn' });
  const runtime = new Runtime(['web'], { maxIdleSockets: 10, idleTimeout: 1000 }, log);
  let applied = 0;
  const watcher = new ConfigWatcher({ entryPoints: ['web'], debounceMs: 10, onConfig: async (c) => { await runtime.apply(c); applied++; } });
  const provider = new Provider({ filename: file, watch: true, debounceMs: 10 });
  await provider.start((s) => watcher.update(s), log);
  await watcher.flush();
  // The thread's own first read (and its snapshot) comes after start(): let it settle.
  for (let seen = -1; seen !== applied; ) {
    seen = applied;
    await sleep(1500);
  }
  const rows = [];
  for (let c = 1; c <= Number(opts.rewrites); c++) {
    const text = dynamicConfig({ routers: N, ports, change: c });
    await sleep(50);
    const before = applied;
    let worst = 0;
    let last = performance.now();
    let on = true;
    const tick = () => {
      const now = performance.now();
      worst = Math.max(worst, now - last);
      last = now;
      if (on) setImmediate(tick);
    };
    setImmediate(tick);
    await new Promise((r) => setImmediate(r));
    const cpu0 = process.cpuUsage();
    const t0 = performance.now();
    writeFileSync(`${file}.tmp`, text);
    renameSync(`${file}.tmp`, file);
    while (applied === before) await sleep(5);
    const cpu = process.cpuUsage(cpu0);
    on = false;
    rows.push({ block: worst, applied: performance.now() - t0, cpu: (cpu.user + cpu.system) / 1000 });
  }
  await provider.stop();
  watcher.stop();
  runtime.close();
  await runtime.registry.destroy();
  rmSync(dir, { recursive: true, force: true });
  const range = (k) => `${Math.min(...rows.map((r) => r[k])).toFixed(0)}–${Math.max(...rows.map((r) => r[k])).toFixed(0)} ms`;
  return `| ${label} | ${range('block')} | ${range('applied')} | ${range('cpu')} |`;
}

const lines = [await measure('file provider in this thread', FileProvider), await measure('file provider in its thread (watch: true)', WatchedFileProvider)];
console.log(`${N} routers / ${N} services in one file, one router changed per rewrite, ${opts.rewrites} rewrites; load average ${os.loadavg()[0].toFixed(1)} on ${os.availableParallelism()} CPUs; node flags: ${process.execArgv.join(' ') || 'none'}\n`);
console.log('| provider | longest main-thread block | rename → new table | process CPU (all threads) |');
console.log('|---|---:|---:|---:|');
for (const line of lines) console.log(line);
