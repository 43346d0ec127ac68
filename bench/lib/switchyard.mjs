// Switchyard under test: the built CLI (dist/), file provider, log level warn, started from a temp
// folder; and the dynamic configs the parts route with (N routers, each a Host() rule).
import { execFile } from 'node:child_process';
import { existsSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { HOST, root, startProcess, waitForHttp, withMoreFiles } from './processes.mjs';

export const cli = path.join(root, 'dist/bundle/switchyard.js');

/**
 * The node flags the command's /bin/sh prologue (`exec node <flags> "$0" "$@"`, written by
 * scripts/bundle.mjs) runs it with. Every part that starts `node cli …` (or measures in-process
 * what the command does) passes them too, so the bench measures the command as users run it.
 */
export function cliNodeFlags() {
  if (!existsSync(cli)) return [];
  const second = readFileSync(cli, 'latin1').split('\n', 2)[1] ?? '';
  const m = /exec node((?: --?[\w-]+(?:=\S+)?)*) "\$0"/.exec(second);
  return m ? m[1].trim().split(/\s+/).filter(Boolean) : [];
}

export function ensureBuilt() {
  if (!existsSync(cli)) throw new Error(`${path.relative(process.cwd(), cli)} not found: run \`npm run build\` first (\`npm run bench\` does it)`);
}

/** The Host header of router i. */
export const hostOf = (i) => `app${i}.bench.test`;

/**
 * Dynamic config: `routers` routers `r<i>` with rule Host(`app<i>.bench.test`). With `shared`, all
 * of them use one service (so only the routing table grows); otherwise each has its own service
 * `s<i>` over the same backends, like a real table. Cookie stickiness is off (the default).
 * `change` (a number) makes a variant that differs from the previous one in what wrk does not
 * touch: an extra router's host and one other service's weight (see reload-storm.mjs).
 */
export function dynamicConfig({ routers, ports, shared = false, change }) {
  const servers = (weight0 = 1) =>
    `{ loadBalancer: { strategy: roundRobin, servers: [${ports.map((p, i) => `{ url: "http://${HOST}:${p}"${i === 0 && weight0 !== 1 ? `, weight: ${weight0}` : ''} }`).join(', ')}] } }`;
  const lines = ['http:', '  routers:'];
  for (let i = 0; i < routers; i++) lines.push(`    r${i}: { rule: "Host(\`${hostOf(i)}\`)", service: ${shared ? 'app' : `s${i}`} }`);
  if (change !== undefined) lines.push(`    storm: { rule: "Host(\`storm-${change}.bench.test\`)", service: ${shared ? 'app' : `s${routers > 1 ? 1 : 0}`} }`);
  lines.push('  services:');
  if (shared) lines.push(`    app: ${servers()}`);
  else {
    // Services 1..N-1 take turns at a weight change; wrk only ever asks for app0 (service s0).
    const tweaked = change === undefined || routers < 2 ? -1 : 1 + (change % (routers - 1));
    for (let i = 0; i < routers; i++) lines.push(`    s${i}: ${servers(i === tweaked ? 2 + (change % 3) : 1)}`);
  }
  return `${lines.join('\n')}\n`;
}

/** Replaces a file atomically (write a sibling, rename over), as deploy tools do. */
export function replaceFile(file, text) {
  writeFileSync(`${file}.tmp`, text);
  renameSync(`${file}.tmp`, file);
}

/** Writes `<name>.yaml` (static) and `<name>-dynamic.yaml` into `dir`; returns both paths. */
export function writeConfigs(dir, name, { port, apiPort, dynamic, watch = false, workers }) {
  const staticFile = path.join(dir, `${name}.yaml`);
  const dynamicFile = path.join(dir, `${name}-dynamic.yaml`);
  writeFileSync(dynamicFile, dynamic);
  writeFileSync(
    staticFile,
    [
      'entryPoints:',
      `  web: { address: "${HOST}:${port}" }`,
      apiPort ? `api: { address: "${HOST}:${apiPort}" }` : '',
      'providers:',
      `  file: { filename: ${JSON.stringify(dynamicFile)}, watch: ${watch} }`,
      'log: { level: warn }',
      workers !== undefined && String(workers) !== '1' ? `workers: ${workers}` : '',
      '',
    ].join('\n'),
  );
  return { staticFile, dynamicFile };
}

/** Spawns switchyard on a static config; `ulimit`: with the open-files limit raised (withMoreFiles). */
export function spawnSwitchyard(name, staticFile, { ulimit = false, echo = true } = {}) {
  const args = [...cliNodeFlags(), cli, '-c', staticFile, '--log-level', 'warn'];
  if (!ulimit) return startProcess(name, process.execPath, args, { echo });
  return startProcess(name, ...withMoreFiles(process.execPath, args), { echo });
}

/** Spawns switchyard and waits until `host` is routed (HTTP 200 through it). */
export async function startSwitchyard(name, staticFile, { port, host, ulimit, echo, timeoutMs = 60_000 }) {
  const child = spawnSwitchyard(name, staticFile, { ulimit, echo });
  await waitForHttp(`http://${HOST}:${port}/`, { child, host, timeoutMs });
  return child;
}

/** Whether this build accepts a static config (e.g. `workers: auto`): { ok, message }. */
export function validates(staticFile) {
  return new Promise((resolve) => {
    execFile(process.execPath, [cli, 'validate', '-c', staticFile], { cwd: root, timeout: 30_000 }, (err, stdout, stderr) =>
      resolve({ ok: !err, message: `${stdout}${stderr}`.trim().split('\n').slice(0, 3).join(' ').replace(/\s+/g, ' ') }),
    );
  });
}
