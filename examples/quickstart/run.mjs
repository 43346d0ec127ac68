// Switchyard quickstart: three demo backends + switchyard in front of them.
//
//   npm start            (builds, then runs this file)
//   node examples/quickstart/run.mjs   (if dist/ is already built)
//
// Ctrl-C (or SIGTERM) stops everything.
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import readline from 'node:readline';
import { fileURLToPath } from 'node:url';
import { startBackends } from './backends.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));
const root = path.resolve(here, '../..');
const cli = path.join(root, 'dist/bundle/switchyard.js');
const staticConfig = path.join(here, 'switchyard.yaml');
const dynamicConfig = path.relative(process.cwd(), path.join(here, 'dynamic.yaml')) || 'dynamic.yaml';

const HOST = '127.0.0.1';
const PROXY_PORT = 8080;
const API_PORT = 8081;
const BACKEND_BASE = 9001;
const BACKENDS = 3;

const PORTS = [
  [PROXY_PORT, 'switchyard entry point "web" (examples/quickstart/switchyard.yaml)'],
  [API_PORT, 'switchyard admin API (examples/quickstart/switchyard.yaml)'],
  ...Array.from({ length: BACKENDS }, (_, i) => [BACKEND_BASE + i, `demo backend-${i + 1}`]),
];

const say = (msg) => process.stdout.write(`[quickstart] ${msg}\n`);

let backends;
let child;
let exited = Promise.resolve({ code: 0, signal: null });
let stopping = false;

async function main() {
  process.on('SIGINT', shutdown);
  process.on('SIGTERM', shutdown);
  watchNpmParent();

  if (!existsSync(cli)) {
    fail(`${path.relative(process.cwd(), cli)} not found: run \`npm run build\` first (\`npm start\` does it for you).`);
  }

  const taken = [];
  for (const [port, what] of PORTS) if (!(await portIsFree(port))) taken.push([port, what]);
  if (taken.length > 0) {
    fail(
      [
        `cannot start: ${taken.length === 1 ? 'a port is' : 'ports are'} already in use on ${HOST}:`,
        ...taken.map(([port, what]) => `  ${port}  needed for the ${what}`),
        `Stop whatever uses ${taken.length === 1 ? 'it' : 'them'} (find it with \`lsof -iTCP:${taken[0][0]} -sTCP:LISTEN\` or \`ss -ltnp 'sport = :${taken[0][0]}'\`),`,
        'perhaps an earlier quickstart still running, then run `npm start` again.',
      ].join('\n'),
    );
  }

  backends = await startBackends({ count: BACKENDS, basePort: BACKEND_BASE, host: HOST, log: (m) => say(m) });
  for (const b of backends.backends) say(`${b.name} listening on ${b.url}`);

  // The node flag the command's /bin/sh prologue runs it with (scripts/bundle.mjs), as `npx switchyard` would run it.
  child = spawn(process.execPath, ['--max-semi-space-size=1', cli, '--config', staticConfig], {
    cwd: root,
    stdio: ['ignore', 'pipe', 'pipe'],
    // Own process group: a terminal Ctrl-C reaches only us, and we forward exactly one
    // SIGTERM, so switchyard shuts down gracefully once.
    detached: true,
  });
  prefixLines(child.stdout, process.stdout);
  prefixLines(child.stderr, process.stderr);
  exited = new Promise((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));
  child.once('error', (err) => fail(`cannot spawn switchyard: ${err.message}`));
  exited.then(async ({ code, signal }) => {
    child = undefined;
    if (stopping) return;
    say(`switchyard exited unexpectedly (${signal ?? `code ${code}`}); stopping the backends`);
    await backends?.close();
    process.exit(1);
  });

  await waitUntilReady();
  if (!stopping) printInstructions();
}

async function shutdown(signal) {
  if (stopping) return;
  stopping = true;
  say(`${signal}: stopping switchyard and the backends...`);
  if (child) {
    const pid = child.pid;
    child.kill('SIGTERM');
    const force = setTimeout(() => {
      say('switchyard did not stop within 12s; killing it');
      try {
        process.kill(pid, 'SIGKILL');
      } catch {}
    }, 12_000);
    const { code, signal: sig } = await exited;
    clearTimeout(force);
    if (code !== 0) say(`switchyard exited with ${sig ?? `code ${code}`}`);
  }
  await backends?.close();
  say('stopped');
  process.exit(0);
}

/** Polls the admin API's /ping, then one request through the proxy. */
async function waitUntilReady() {
  const deadline = Date.now() + 15_000;
  let last = '';
  while (Date.now() < deadline) {
    if (!child || stopping) return new Promise(() => {}); // the exit/shutdown path takes over
    try {
      const ping = await fetch(`http://${HOST}:${API_PORT}/ping`);
      if (ping.ok) {
        const res = await fetch(`http://${HOST}:${PROXY_PORT}/`);
        if (res.ok) return;
        last = `proxy answered ${res.status}`;
      }
    } catch (err) {
      last = err.cause?.code ?? err.message;
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  say(`switchyard did not become ready within 15s (${last}); see its log above`);
  await shutdown('not ready');
}

function printInstructions() {
  const proxy = `http://${HOST}:${PROXY_PORT}`;
  const api = `http://${HOST}:${API_PORT}`;
  const lines = [
    '',
    '================================================================================',
    ` Switchyard is running: proxy on ${proxy}, admin API on ${api}`,
    ` in front of ${backends.urls.join(', ')}`,
    '================================================================================',
    '',
    ' Try, in another terminal:',
    '',
    ' 1. Round robin (router `app`, rule PathPrefix(`/`)): run it a few times',
    `      for i in 1 2 3 4 5 6; do curl -s ${proxy}/hello; done`,
    '',
    ' 2. Sticky sessions (router `sticky`, rule Host(`sticky.localhost`)): a cookie pins you',
    `      for i in 1 2 3 4; do curl -s -b /tmp/sy.jar -c /tmp/sy.jar -H 'Host: sticky.localhost' ${proxy}/; done`,
    `      curl -si -H 'Host: sticky.localhost' ${proxy}/ | grep -i set-cookie`,
    '',
    ' 3. The admin API (read-only JSON):',
    `      curl -s ${api}/api/http/services/app@file`,
    `      curl -s ${api}/api/http/routers`,
    `      curl -s ${api}/api/rawdata`,
    '',
    ' 4. WebSockets (each backend echoes your message with its name):',
    `      npx wscat -c ws://${HOST}:${PROXY_PORT}/chat`,
    '    or, without installing anything (run from the repository root):',
    `      node -e "const ws=new (require('ws'))('ws://${HOST}:${PROXY_PORT}/chat');let n=0;ws.on('open',()=>ws.send('hi'));ws.on('message',m=>{console.log(String(m));if(++n==2)ws.close()})"`,
    '',
    ` 5. Live reconfiguration: open ${dynamicConfig} in an editor, delete (or comment`,
    '    out) one of the `- url:` lines under services.app, save, and repeat step 1:',
    '    that backend no longer gets requests. Put the line back and it returns.',
    '    A typo is reported in the log below and the last good config stays live.',
    '',
    ' Ctrl-C stops everything.',
    '',
  ];
  process.stdout.write(lines.join('\n') + '\n');
}

/**
 * Under `npm start`, a SIGTERM sent to npm kills npm's shell but not us (a terminal Ctrl-C
 * reaches the whole process group, so that case is fine). Notice being orphaned and stop.
 */
function watchNpmParent() {
  if (!process.env.npm_lifecycle_event) return;
  const parent = process.ppid;
  setInterval(() => {
    if (process.ppid !== parent) shutdown('parent npm process exited');
  }, 500).unref();
}

function portIsFree(port) {
  return new Promise((resolve) => {
    const probe = net.createServer();
    probe.once('error', () => resolve(false));
    probe.listen(port, HOST, () => probe.close(() => resolve(true)));
  });
}

const LEVELS = { 10: 'TRACE', 20: 'DEBUG', 30: 'INFO', 40: 'WARN', 50: 'ERROR', 60: 'FATAL' };
const SKIP = new Set(['level', 'time', 'pid', 'hostname', 'msg', 'name']);

/** Copies switchyard's output line by line, prefixed, with pino's JSON made readable. */
function prefixLines(from, to) {
  readline.createInterface({ input: from, crlfDelay: Infinity }).on('line', (line) => {
    to.write(`[switchyard] ${formatLogLine(line)}\n`);
  });
}

function formatLogLine(line) {
  let entry;
  try {
    entry = JSON.parse(line);
  } catch {
    return line;
  }
  if (typeof entry !== 'object' || entry === null || !('level' in entry)) return line;
  const extra = Object.entries(entry)
    .filter(([k]) => !SKIP.has(k))
    .map(([k, v]) => `${k}=${typeof v === 'string' ? v : JSON.stringify(v)}`);
  return [LEVELS[entry.level] ?? entry.level, entry.msg ?? '', ...extra].filter(Boolean).join(' ');
}

function fail(message) {
  process.stderr.write(`[quickstart] ${message}\n`);
  process.exit(1);
}

// Whatever happens, do not leave switchyard running behind us.
process.on('exit', () => {
  if (child) {
    try {
      child.kill('SIGKILL');
    } catch {}
  }
});

main().catch(async (err) => {
  process.stderr.write(`[quickstart] ${err.code === 'EADDRINUSE' ? `port ${err.port} is already in use; stop the other process and retry` : err.stack ?? err}\n`);
  if (child) child.kill('SIGTERM');
  await backends?.close();
  process.exit(1);
});
