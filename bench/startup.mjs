// Startup (issue 3, part 5): time from spawning `node dist/bundle/switchyard.js -c FILE` (the `switchyard` command) (file provider,
// 50 Host() routers) to the first routed 200, median of --samples fresh processes. Each sample has
// lib/startup-timer.cjs preloaded (a few lines), which splits that time:
//   node bootstrap     process start → the preload runs
//   → first listen()   imports (static and lazy), config load, validation, table build
//   → first 200        listening, the first request routed (measured from here, so it includes spawn)
// The command runs its bundle through a V8 code cache (src/cli/launch.ts) that the first start of a
// build writes. Both are timed, interleaved: "cache warm" (the cache in this run's temp folder,
// written by one unmeasured start first: every start after the first) and "first start" (an empty
// cache folder each time: a fresh clone, a new build or another node version).
// Node's own start (`node -e 0`) is timed too, for context. Where NODE_EXTRA_CA_CERTS is set (as in
// some sandboxes and corporate images), node 20 builds its whole root certificate store while it
// boots, before any of switchyard runs: +35 ms for any file (the bundled roots), 55-85 ms with
// Debian's bundle of 144, on the 2-vCPU development machine. Then the cache
// warm start is timed once more without it, as context (the target row keeps the environment as is).
// Then, for the lead, each imported alone in a fresh process: the command with its static imports
// (`--version`, cache warm), src/switchyard.js, each provider module (loaded when configured), and each
// runtime dependency (they share sub-dependencies, so these do not add up).
import { execFile } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { benchDir, freePorts, HOST, httpStatus, root, runToEnd, sleep, startProcess, stopProcess } from './lib/processes.mjs';
import { emit, parseOptions } from './lib/cli.mjs';
import { runPart } from './lib/part.mjs';
import { startBackends } from './lib/backends.mjs';
import { cli, cliNodeFlags, dynamicConfig, hostOf, writeConfigs } from './lib/switchyard.mjs';
import { fmtMs, machineLine, median, table } from './lib/format.mjs';

const opts = parseOptions('node bench/startup.mjs', 'Spawn → first routed 200 (median), and how long the module imports take.', {
  samples: { default: 5, help: 'fresh switchyard processes to time (median)' },
  watch: { flag: true, help: 'the file provider watches its file (it then runs in a thread of its own)' },
  routers: { default: 50, help: 'routers in the dynamic config (each a Host() rule with its own service)' },
});

const preload = `--require=${path.join(benchDir, 'lib/startup-timer.cjs')}`;

await runPart('startup', async ({ dir, log }) => {
  const backends = await startBackends(dir);
  const [port] = await freePorts(1);
  const host = hostOf(opts.routers - 1);
  const { staticFile } = writeConfigs(dir, 'switchyard', { port, dynamic: dynamicConfig({ routers: opts.routers, ports: backends.ports }), watch: opts.watch });

  const warmCache = { SWITCHYARD_COMPILE_CACHE: path.join(dir, 'v8-cache') };
  await timeToFirst200(staticFile, port, host, warmCache); // writes the cache (at its exit)
  if (!existsSync(warmCache.SWITCHYARD_COMPILE_CACHE)) log('warning: the first start wrote no code cache');
  const extraCa = process.env.NODE_EXTRA_CA_CERTS || undefined;
  // undefined drops the variable from the child's environment (child_process skips undefined values).
  const noExtraCa = { NODE_EXTRA_CA_CERTS: undefined };
  const samples = [];
  const cold = [];
  const withoutCa = [];
  const nodeAlone = [];
  const nodeAloneWithoutCa = [];
  for (let i = 0; i < opts.samples; i++) {
    samples.push(await timeToFirst200(staticFile, port, host, warmCache));
    cold.push(await timeToFirst200(staticFile, port, host, { SWITCHYARD_COMPILE_CACHE: path.join(dir, `v8-cache-empty-${i}`) }));
    nodeAlone.push(await nodeStart());
    if (extraCa) {
      withoutCa.push(await timeToFirst200(staticFile, port, host, { ...warmCache, ...noExtraCa }));
      nodeAloneWithoutCa.push(await nodeStart(noExtraCa));
    }
    log(`sample ${i + 1}/${opts.samples}: cache warm ${fmtMs(samples.at(-1).total)} (listen() at ${fmtMs(samples.at(-1).listen)}), first start ${fmtMs(cold.at(-1).total)}${extraCa ? `, cache warm without NODE_EXTRA_CA_CERTS ${fmtMs(withoutCa.at(-1).total)}` : ''}`);
  }
  const staticImports = median(await repeat(opts.samples, async () => {
    const t = await timerMarks([cli, '--version'], warmCache);
    return t.exit - t.boot;
  }));
  const modules = [];
  for (const m of ownModules()) modules.push({ name: m.name, ms: median(await repeat(opts.samples, () => importAlone(m.url))) });
  const deps = [];
  for (const name of Object.keys(JSON.parse(readFileSync(path.join(root, 'package.json'), 'utf8')).dependencies ?? {})) {
    deps.push({ name, ms: median(await repeat(3, () => importAlone(name))) });
  }
  deps.sort((a, b) => b.ms - a.ms);

  const at = (k, list = samples) => median(list.map((s) => s[k]));
  const result = {
    part: 'startup',
    machine: machineLine(),
    routers: opts.routers,
    samples: samples.map((s) => s.total),
    medianMs: at('total'),
    bootMs: at('boot'),
    listenMs: at('listen'),
    firstStart: { samples: cold.map((s) => s.total), medianMs: at('total', cold), bootMs: at('boot', cold), listenMs: at('listen', cold) },
    nodeAloneMs: median(nodeAlone),
    ...(extraCa ? { extraCaCerts: extraCa, withoutExtraCa: { samples: withoutCa.map((s) => s.total), medianMs: at('total', withoutCa), bootMs: at('boot', withoutCa), nodeAloneMs: median(nodeAloneWithoutCa) } } : {}),
    staticImportsMs: staticImports,
    modules,
    deps,
  };
  emit(opts, result, [
    `Startup: spawn \`node dist/bundle/switchyard.js -c FILE\` (file provider, ${opts.routers} routers) → first routed 200; median of ${opts.samples}`,
    result.machine,
    '',
    table(['phase (medians of fresh processes), ms since spawn', 'code cache warm', 'first start (no cache)'], [
      ['node bootstrap done (preload runs)', fmtMs(result.bootMs), fmtMs(result.firstStart.bootMs)],
      ['first listen(): imports, config, validation, table built', fmtMs(result.listenMs), fmtMs(result.firstStart.listenMs)],
      ['first routed 200', fmtMs(result.medianMs), fmtMs(result.firstStart.medianMs)],
    ]),
    '',
    `samples (first 200), cache warm: ${result.samples.map(fmtMs).join(', ')}`,
    `samples (first 200), first start: ${result.firstStart.samples.map(fmtMs).join(', ')}`,
    '',
    `node's own start (\`node -e 0\`, spawn → exit, median): ${fmtMs(result.nodeAloneMs)}`,
    ...(extraCa
      ? [
          `NODE_EXTRA_CA_CERTS is set here (${extraCa}): node 20 then builds its root certificate store while it boots. Without it: node's own start ${fmtMs(result.withoutExtraCa.nodeAloneMs)}; switchyard, cache warm: bootstrap done ${fmtMs(result.withoutExtraCa.bootMs)}, first routed 200 ${fmtMs(result.withoutExtraCa.medianMs)} (${result.withoutExtraCa.samples.map(fmtMs).join(', ')})`,
        ]
      : []),
    '',
    table(['imported alone in a fresh process, with what it imports statically (median)', 'time'], [
      [`dist/bundle/switchyard.js (the command, bundled: \`--version\`, code cache warm)`, fmtMs(staticImports)],
      ...modules.map((m) => [m.name, fmtMs(m.ms)]),
    ]),
    '',
    table(['dependency, imported alone in a fresh process (median of 3)', 'import time'], deps.map((d) => [d.name, fmtMs(d.ms)]))
  ].join('\n'));
});

/** Spawns switchyard (startup-timer preloaded) with `env`, polls the routed host every 2 ms → { total, boot, listen } ms. */
async function timeToFirst200(staticFile, port, host, env) {
  const t0 = performance.now();
  const child = startProcess('switchyard', process.execPath, [...cliNodeFlags(), preload, cli, '-c', staticFile, '--log-level', 'warn'], { env });
  try {
    for (;;) {
      if (child.exitCode !== null) throw new Error(`switchyard exited (code ${child.exitCode}) before routing:\n${child.output}`);
      if ((await httpStatus(`http://${HOST}:${port}/`, host).catch(() => 0)) === 200) return { total: performance.now() - t0, ...marks(child.output) };
      if (performance.now() - t0 > 30_000) throw new Error(`switchyard did not route ${host} within 30 s:\n${child.output}`);
      await sleep(2);
    }
  } finally {
    await stopProcess(child);
  }
}

/** The startup-timer lines in a process's output → { boot, listen, exit } (ms since it started). */
function marks(output) {
  return Object.fromEntries([...output.matchAll(/startup-timer (\w+) ([\d.]+)/g)].map((m) => [m[1], Number(m[2])]));
}

/** ms from spawning `node -e 0` (with `env`) to its exit. */
async function nodeStart(env) {
  const t0 = performance.now();
  await runToEnd('node -e 0', process.execPath, ['-e', '0'], { env });
  return performance.now() - t0;
}

/** Runs node with startup-timer preloaded (and `env`) to its exit → its marks. */
function timerMarks(args, env) {
  return new Promise((resolve, reject) =>
    execFile(process.execPath, [...cliNodeFlags(), preload, ...args], { cwd: root, timeout: 30_000, env: { ...process.env, ...env } }, (err, stdout, stderr) => (err ? reject(new Error(`${err.message}\n${stderr}`)) : resolve(marks(stderr)))),
  );
}

/** ms to import one package or file in a fresh process (resolved from the project root). */
async function importAlone(specifier) {
  const code = `const t = performance.now(); await import(${JSON.stringify(specifier)}); console.log(performance.now() - t);`;
  return Number((await runToEnd(`import ${specifier}`, process.execPath, ['--input-type=module', '-e', code])).trim());
}

/** dist/src/switchyard.js and each provider module (loaded lazily, when configured), as file URLs. */
function ownModules() {
  const providers = path.join(root, 'dist/providers');
  const files = readdirSync(providers, { recursive: true }).filter((f) => /-provider\.js$/.test(f)).map((f) => path.join(providers, f));
  return [path.join(root, 'dist/src/switchyard.js'), ...files].map((f) => ({ name: path.relative(root, f), url: pathToFileURL(f).href }));
}

async function repeat(n, fn) {
  const out = [];
  for (let i = 0; i < n; i++) out.push(await fn());
  return out;
}
