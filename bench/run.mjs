// Switchyard benchmark: requests/s, p50 and p99 latency for
//   (a) one backend directly,
//   (b) switchyard round-robin over three backends,
//   (c) nginx as a load balancer over the same three backends (when nginx is installed).
//
//   npm run bench                      (builds, then runs this file)
//   node bench/run.mjs [--duration 10] [--warmup 3] [--connections 64] [--tool wrk|autocannon] [--no-nginx]
//
// Backends: nginx returning a 3-byte body when nginx is installed, else three Node processes.
// Load: wrk (-t1 --latency) when installed, else autocannon in a child process.
// Everything listens on free 127.0.0.1 ports and is stopped at the end, on error or on Ctrl-C.
import { spawn } from 'node:child_process';
import { accessSync, constants, existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

const here = path.dirname(fileURLToPath(import.meta.url));
const root = path.resolve(here, '..');
const cli = path.join(root, 'dist/src/cli/main.js');
const HOST = '127.0.0.1';

const { values: opts } = parseArgs({
  options: {
    duration: { type: 'string', default: '10' },
    warmup: { type: 'string', default: '3' },
    connections: { type: 'string', default: '64' },
    tool: { type: 'string' },
    'no-nginx': { type: 'boolean', default: false },
    help: { type: 'boolean', short: 'h', default: false },
  },
});
if (opts.help) {
  console.log('usage: node bench/run.mjs [--duration 10] [--warmup 3] [--connections 64] [--tool wrk|autocannon] [--no-nginx]');
  process.exit(0);
}
const DURATION = positive(opts.duration, 'duration');
const WARMUP = Math.max(0, Number(opts.warmup) || 0);
const CONNECTIONS = positive(opts.connections, 'connections');

const children = new Set();
let tmp;
let cleaningUp;
let interrupted = false;

const log = (msg) => process.stderr.write(`[bench] ${msg}\n`);

async function main() {
  if (!existsSync(cli)) throw new Error(`${path.relative(process.cwd(), cli)} not found: run \`npm run build\` first (\`npm run bench\` does it)`);

  const nginxBin = opts['no-nginx'] ? undefined : which('nginx');
  const wrkBin = opts.tool === 'autocannon' ? undefined : which('wrk');
  if (opts.tool === 'wrk' && !wrkBin) throw new Error('--tool wrk: wrk is not installed (apt-get install wrk)');
  const tool = wrkBin ? 'wrk' : 'autocannon';
  tmp = mkdtempSync(path.join(os.tmpdir(), 'switchyard-bench-'));

  const [b1, b2, b3, syPort, syApi, lbPort] = await freePorts(6);
  const backendPorts = [b1, b2, b3];

  // Backends.
  if (nginxBin) {
    await startNginx(nginxBin, 'backends', backendNginxConf(backendPorts), `http://${HOST}:${b1}/`);
    await Promise.all(backendPorts.slice(1).map((p) => waitForHttp(`http://${HOST}:${p}/`)));
  } else {
    for (const port of backendPorts) {
      const child = start('backend', process.execPath, [path.join(here, 'backend.mjs'), String(port)]);
      await waitForHttp(`http://${HOST}:${port}/`, child);
    }
  }
  const backendKind = nginxBin ? 'nginx (1 worker, 3-byte body)' : 'Node http, one process each (3-byte body)';

  // Switchyard.
  writeFileSync(
    path.join(tmp, 'switchyard.yaml'),
    [
      'entryPoints:',
      `  web: { address: "${HOST}:${syPort}" }`,
      `api: { address: "${HOST}:${syApi}" }`,
      'providers:',
      '  file: { filename: ./dynamic.yaml, watch: false }',
      'log: { level: warn }',
      '',
    ].join('\n'),
  );
  writeFileSync(
    path.join(tmp, 'dynamic.yaml'),
    [
      'http:',
      '  routers:',
      '    bench: { rule: "PathPrefix(`/`)", service: bench }',
      '  services:',
      '    bench:',
      '      loadBalancer:',
      '        strategy: roundRobin',
      '        servers:',
      ...backendPorts.map((p) => `          - url: http://${HOST}:${p}`),
      '',
    ].join('\n'),
  );
  const sy = start('switchyard', process.execPath, [cli, '--config', path.join(tmp, 'switchyard.yaml'), '--log-level', 'warn'], { cwd: root, echo: true });
  await waitForHttp(`http://${HOST}:${syPort}/`, sy);

  // nginx as a load balancer.
  if (nginxBin) await startNginx(nginxBin, 'lb', lbNginxConf(backendPorts, lbPort), `http://${HOST}:${lbPort}/`);

  const targets = [
    { label: '(a) direct, one backend', url: `http://${HOST}:${b1}/` },
    { label: '(b) switchyard, 3 backends (roundRobin)', url: `http://${HOST}:${syPort}/` },
    nginxBin
      ? { label: '(c) nginx LB, 3 backends (keepalive)', url: `http://${HOST}:${lbPort}/` }
      : { label: '(c) nginx LB', skipped: 'nginx: not installed, skipped' },
  ];

  const busy = os.loadavg()[0];
  if (busy > os.cpus().length * 0.5) log(`warning: load average ${busy.toFixed(1)} on ${os.cpus().length} CPUs before starting; other processes will skew the figures`);
  log(`load: ${tool}, ${CONNECTIONS} connections, ${WARMUP}s warm-up + ${DURATION}s per target; backends: ${backendKind}`);
  for (const t of targets) {
    if (t.skipped) continue;
    if (WARMUP > 0) {
      log(`${t.label}: warming up ${WARMUP}s`);
      await load(tool, wrkBin, t.url, WARMUP);
    }
    log(`${t.label}: measuring ${DURATION}s`);
    t.result = await load(tool, wrkBin, t.url, DURATION);
  }

  let served = '';
  try {
    const view = await (await fetch(`http://${HOST}:${syApi}/api/http/services/bench@file`)).json();
    served = view.servers.map((s) => `${new URL(s.url).port}: ${s.served}`).join(', ');
  } catch {}

  printReport({ targets, tool, backendKind, served, loadBefore: busy });
}

// ---------------------------------------------------------------------------------------------
// Load generation

async function load(tool, wrkBin, url, seconds) {
  if (tool === 'wrk') {
    const out = await run('wrk', wrkBin, ['-t1', `-c${CONNECTIONS}`, `-d${seconds}s`, '--latency', url], seconds);
    return parseWrk(out);
  }
  const autocannon = path.join(root, 'node_modules/autocannon/autocannon.js');
  const out = await run('autocannon', process.execPath, [autocannon, '-c', String(CONNECTIONS), '-d', String(seconds), '--json', url], seconds);
  const r = JSON.parse(out.slice(out.indexOf('{')));
  return {
    rps: r.requests.average,
    p50: r.latency.p50,
    p99: r.latency.p99,
    total: r.requests.total,
    bad: (r.non2xx ?? 0) + (r.errors ?? 0) + (r.timeouts ?? 0),
  };
}

function parseWrk(out) {
  const rps = Number(/Requests\/sec:\s+([\d.]+)/.exec(out)?.[1]);
  const p50 = wrkLatency(/^\s*50%\s+(\S+)/m.exec(out)?.[1]);
  const p99 = wrkLatency(/^\s*99%\s+(\S+)/m.exec(out)?.[1]);
  const total = Number(/(\d+) requests in/.exec(out)?.[1]);
  const non2xx = Number(/Non-2xx or 3xx responses:\s+(\d+)/.exec(out)?.[1] ?? 0);
  const sock = /Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)/.exec(out);
  const bad = non2xx + (sock ? sock.slice(1).reduce((a, n) => a + Number(n), 0) : 0);
  if (!Number.isFinite(rps) || p50 === undefined || p99 === undefined) throw new Error(`cannot parse wrk output:\n${out}`);
  return { rps, p50, p99, total, bad };
}

/** wrk latency text (`812.00us`, `1.23ms`, `2.01s`, `1.5m`) → milliseconds. */
function wrkLatency(text) {
  const m = /^([\d.]+)(us|ms|s|m)$/.exec(text ?? '');
  if (!m) return undefined;
  return Number(m[1]) * { us: 0.001, ms: 1, s: 1000, m: 60_000 }[m[2]];
}

// ---------------------------------------------------------------------------------------------
// Report

function printReport({ targets, tool, backendKind, served, loadBefore }) {
  const fmtRps = (n) => Math.round(n).toLocaleString('en-US');
  const fmtMs = (n) => `${n < 10 ? n.toFixed(2) : n.toFixed(1)} ms`;
  const rows = targets.map((t) =>
    t.result
      ? [t.label, fmtRps(t.result.rps), fmtMs(t.result.p50), fmtMs(t.result.p99), String(t.result.bad)]
      : [t.label, t.skipped, '', '', ''],
  );
  const header = ['target', 'req/s', 'p50', 'p99', 'errors'];
  const widths = header.map((h, i) => Math.max(h.length, ...rows.filter((r) => r[2] !== '').map((r) => r[i].length)));
  const line = (r) =>
    r[2] === '' && r[1]
      ? `| ${r[0].padEnd(widths[0])} | ${r[1]}`
      : `| ${r.map((c, i) => (i === 0 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join(' | ')} |`;
  const sep = `|${widths.map((w, i) => (i === 0 ? '-'.repeat(w + 2) : `${'-'.repeat(w + 1)}:`)).join('|')}|`;

  const [direct, sy, lb] = targets.map((t) => t.result);
  const ratio = (a, b) => (a && b ? `${(a.rps / b.rps).toFixed(2)}x req/s, p99 ${(a.p99 / b.p99).toFixed(2)}x` : 'n/a');

  const out = [
    '',
    `Switchyard benchmark: ${tool}, ${CONNECTIONS} connections, ${DURATION}s per target after ${WARMUP}s warm-up`,
    `backends: ${backendKind}; node ${process.version}; ${os.cpus().length} CPUs (${os.cpus()[0]?.model.trim() ?? '?'}); 1-min load average before start ${loadBefore.toFixed(2)}`,
    '',
    `| ${header.map((h, i) => (i === 0 ? h.padEnd(widths[i]) : h.padStart(widths[i]))).join(' | ')} |`,
    sep,
    ...rows.map(line),
    '',
    `switchyard / nginx:  ${lb ? ratio(sy, lb) : 'n/a (nginx not installed)'}`,
    `switchyard / direct: ${ratio(sy, direct)}`,
    served ? `switchyard requests per backend port (incl. warm-up): ${served}` : '',
    '(errors = non-2xx responses + socket errors/timeouts)',
    '',
  ];
  process.stdout.write(out.join('\n'));
}

// ---------------------------------------------------------------------------------------------
// nginx

function backendNginxConf(ports) {
  return `
worker_processes 1;
pid ${tmp}/nginx-backends.pid;
error_log ${tmp}/nginx-backends-error.log warn;
events { worker_connections 4096; }
http {
  access_log off;
  ${tempPaths('backends')}
  keepalive_requests 10000000;
  keepalive_timeout 120s;
${ports.map((p) => `  server { listen ${HOST}:${p}; location / { default_type text/plain; return 200 "ok\\n"; } }`).join('\n')}
}
`;
}

function lbNginxConf(backendPorts, port) {
  return `
worker_processes 1;
pid ${tmp}/nginx-lb.pid;
error_log ${tmp}/nginx-lb-error.log warn;
events { worker_connections 4096; }
http {
  access_log off;
  ${tempPaths('lb')}
  keepalive_requests 10000000;
  keepalive_timeout 120s;
  upstream pool {
${backendPorts.map((p) => `    server ${HOST}:${p};`).join('\n')}
    keepalive 64;
    keepalive_requests 10000000;
  }
  server {
    listen ${HOST}:${port};
    location / {
      proxy_pass http://pool;
      proxy_http_version 1.1;
      proxy_set_header Connection "";
    }
  }
}
`;
}

function tempPaths(name) {
  return ['client_body', 'proxy', 'fastcgi', 'uwsgi', 'scgi'].map((k) => `${k}_temp_path ${tmp}/${name}-${k};`).join(' ');
}

async function startNginx(bin, name, conf, readyUrl) {
  const file = path.join(tmp, `nginx-${name}.conf`);
  writeFileSync(file, conf);
  // -p/-e keep nginx away from /etc/nginx and /var/log/nginx entirely.
  const child = start(`nginx-${name}`, bin, ['-p', `${tmp}/`, '-e', path.join(tmp, `nginx-${name}-error.log`), '-c', file, '-g', 'daemon off;']);
  await waitForHttp(readyUrl, child);
  return child;
}

// ---------------------------------------------------------------------------------------------
// Processes, ports, clean-up

/** Starts a long-running child in its own process group (we signal it; the terminal does not). */
function start(name, cmd, args, { cwd = root, echo = false } = {}) {
  const child = spawn(cmd, args, { cwd, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
  child.label = name;
  child.output = '';
  const collect = (chunk) => {
    child.output = (child.output + chunk).slice(-4000);
    if (echo) process.stderr.write(String(chunk).replace(/^(?=.)/gm, `[${name}] `));
  };
  child.stdout.on('data', collect);
  child.stderr.on('data', collect);
  child.exited = new Promise((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));
  child.once('error', (err) => {
    child.output += `\n${err.message}`;
  });
  children.add(child);
  child.exited.then(() => children.delete(child));
  return child;
}

/** Runs a load generator to completion and returns its stdout. */
async function run(name, cmd, args, seconds) {
  const child = start(name, cmd, args);
  let stdout = '';
  child.stdout.on('data', (c) => (stdout += c));
  const timer = setTimeout(() => killGroup(child, 'SIGKILL'), (seconds + 20) * 1000);
  const { code, signal } = await child.exited;
  clearTimeout(timer);
  if (code !== 0) throw new Error(`${name} failed (${signal ?? `exit ${code}`}):\n${child.output}`);
  return stdout;
}

async function waitForHttp(url, child, timeoutMs = 15_000) {
  const deadline = Date.now() + timeoutMs;
  let last = '';
  while (Date.now() < deadline) {
    if (child && child.exitCode !== null) throw new Error(`${child.label} exited (code ${child.exitCode}) before answering ${url}:\n${child.output}`);
    try {
      const res = await fetch(url);
      await res.arrayBuffer();
      if (res.ok) return;
      last = `HTTP ${res.status}`;
    } catch (err) {
      last = err.cause?.code ?? err.message;
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`${child?.label ?? url} not ready after ${timeoutMs / 1000}s (${last}):\n${child?.output ?? ''}`);
}

/** Free ports: bind port 0 on 127.0.0.1 (all at once, so they differ), then release. */
async function freePorts(n) {
  const servers = await Promise.all(
    Array.from({ length: n }, () => new Promise((resolve, reject) => {
      const s = net.createServer();
      s.once('error', reject);
      s.listen(0, HOST, () => resolve(s));
    })),
  );
  const ports = servers.map((s) => s.address().port);
  await Promise.all(servers.map((s) => new Promise((r) => s.close(r))));
  return ports;
}

function killGroup(child, signal) {
  try {
    process.kill(-child.pid, signal);
  } catch {
    try {
      child.kill(signal);
    } catch {}
  }
}

function cleanup() {
  cleaningUp ??= (async () => {
    const all = [...children];
    for (const c of all) killGroup(c, 'SIGTERM');
    const force = setTimeout(() => all.forEach((c) => killGroup(c, 'SIGKILL')), 5000);
    await Promise.all(all.map((c) => c.exited));
    clearTimeout(force);
    if (tmp) rmSync(tmp, { recursive: true, force: true });
  })();
  return cleaningUp;
}

function which(bin) {
  const dirs = [...(process.env.PATH ?? '').split(path.delimiter), '/usr/sbin', '/usr/local/sbin', '/sbin'];
  for (const dir of dirs) {
    if (!dir) continue;
    const file = path.join(dir, bin);
    try {
      accessSync(file, constants.X_OK);
      return file;
    } catch {}
  }
  return undefined;
}

function positive(text, name) {
  const n = Number(text);
  if (!Number.isInteger(n) || n <= 0) {
    console.error(`--${name} must be a positive integer, got ${JSON.stringify(text)}`);
    process.exit(2);
  }
  return n;
}

for (const signal of ['SIGINT', 'SIGTERM']) {
  process.on(signal, async () => {
    if (interrupted) return;
    interrupted = true;
    log(`${signal}: stopping everything`);
    await cleanup();
    process.exit(signal === 'SIGINT' ? 130 : 143);
  });
}
// Last resort if we die some other way: never leave servers behind.
process.on('exit', () => {
  for (const c of children) killGroup(c, 'SIGKILL');
  if (tmp) rmSync(tmp, { recursive: true, force: true });
});

try {
  await main();
  await cleanup();
} catch (err) {
  if (interrupted) await new Promise(() => {}); // the signal handler exits
  log(`failed: ${err.message ?? err}`);
  await cleanup();
  process.exit(1);
}
