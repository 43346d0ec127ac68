// WebSocket memory (issue 3, part 4): open 10,000 idle WebSocket connections through switchyard to a
// Node `ws` echo backend; switchyard's RSS (summed over its process tree, workers included) before
// and after, divided by the connections. A sample of connections must still echo before they close.
//
// Each tunnelled connection costs switchyard two descriptors; it is started with the open-files
// limit raised as far as allowed. If that limit is below 2 × --connections (+ a margin), the count is
// reduced to what fits and the report says so. The client runs in its own process
// (bench/ws-memory-client.mjs); the echo backend runs in this one.
import http from 'node:http';
import path from 'node:path';
import readline from 'node:readline';
import { readFileSync } from 'node:fs';
import { WebSocketServer } from 'ws';
import { benchDir, freePorts, HOST, openFilesLimit, sleep, startProcess, withMoreFiles } from './lib/processes.mjs';
import { emit, parseOptions, workersOption } from './lib/cli.mjs';
import { runPart } from './lib/part.mjs';
import { dynamicConfig, hostOf, startSwitchyard, writeConfigs } from './lib/switchyard.mjs';
import { treeRssKiB } from './lib/rss.mjs';
import { fmtInt, fmtKiB, machineLine, median, table } from './lib/format.mjs';

const opts = parseOptions('node bench/ws-memory.mjs', 'RSS of switchyard per idle WebSocket connection (10,000 open).', {
  connections: { default: 10000, help: 'idle WebSocket connections to open' },
  concurrency: { default: 200, help: 'handshakes in flight at a time while opening' },
  settle: { default: 3, help: 'seconds to wait after opening (and after the warm-up) before reading RSS' },
  echoes: { default: 20, help: 'connections that must echo a message before closing' },
  workers: workersOption,
});
const FD_MARGIN = 200; // listening sockets, pipes, epoll, files switchyard holds besides the tunnels

await runPart('ws-memory', async ({ dir, log }) => {
  const [backendPort, port] = await freePorts(2);
  const backend = await startEchoBackend(backendPort);
  const host = hostOf(0);
  const { staticFile } = writeConfigs(dir, 'switchyard', {
    port,
    dynamic: dynamicConfig({ routers: 1, ports: [backendPort] }),
    workers: opts.workers,
  });
  const sy = await startSwitchyard('switchyard', staticFile, { port, host, ulimit: true });

  const limit = openFilesLimit(sy.pid);
  const ports = readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8').trim().split(/\s+/).map(Number);
  const fits = Math.min(Math.floor((limit - FD_MARGIN) / 2), ports[1] - ports[0] - FD_MARGIN);
  const count = Math.min(opts.connections, fits);
  const note = count < opts.connections
    ? `${fmtInt(count)} instead of ${fmtInt(opts.connections)} connections: switchyard's open-files limit is ${limit} (2 descriptors per tunnel), ephemeral ports ${ports.join('–')}`
    : undefined;
  if (note) log(`note: ${note}`);

  // Warm-up: one connection with an echo, so code loaded on first use is in "before".
  await withClient(port, host, 1, async (client) => client.ask('echo 1'));
  await sleep(opts.settle * 1000);
  const before = treeRssKiB(sy.pid);
  log(`switchyard RSS before: ${fmtInt(before)} KiB; opening ${fmtInt(count)} WebSockets`);

  const result = await withClient(port, host, count, async (client, opened) => {
    await sleep(opts.settle * 1000);
    const samples = [];
    for (let i = 0; i < 5; i++) {
      samples.push(treeRssKiB(sy.pid));
      await sleep(200);
    }
    const after = median(samples);
    const [answered, asked] = (await client.ask(`echo ${opts.echoes}`)).split(' ').slice(1).map(Number);
    return {
      part: 'ws-memory',
      machine: machineLine(),
      connections: opened.count,
      openMs: opened.ms,
      backendOpen: backend.open(),
      beforeKiB: before,
      afterKiB: after,
      perConnectionKiB: (after - before) / opened.count,
      echoSamples: asked,
      echoFailures: asked - answered,
      note,
    };
  });
  backend.close();

  emit(opts, result, [
    `WebSocket memory: ${fmtInt(result.connections)} idle WebSockets through switchyard (workers: ${opts.workers}) to a Node ws echo backend`,
    result.machine,
    ...(note ? [`note: ${note}`] : []),
    '',
    table(['switchyard RSS (process tree)', 'value'], [
      ['before (after one warm-up connection)', `${fmtInt(result.beforeKiB)} KiB`],
      [`with ${fmtInt(result.connections)} open (opened in ${(result.openMs / 1000).toFixed(1)} s)`, `${fmtInt(result.afterKiB)} KiB`],
      ['per connection', fmtKiB(result.perConnectionKiB)],
      ['connections the backend saw open', fmtInt(result.backendOpen)],
    ])
  ].join('\n'));
});

/** Runs the client process for `count` connections, calls fn(client, { count, ms }), then closes them. */
async function withClient(port, host, count, fn) {
  const child = startProcess('ws-client', ...withMoreFiles(process.execPath, [path.join(benchDir, 'ws-memory-client.mjs'), `ws://${HOST}:${port}/`, host, String(count), String(opts.concurrency)]), { stdin: 'pipe' });
  const lines = readline.createInterface({ input: child.stdout })[Symbol.asyncIterator]();
  const next = async () => {
    const { value, done } = await lines.next();
    if (done) throw new Error(`the WebSocket client exited:\n${child.output}`);
    return value;
  };
  const first = await next();
  if (!first.startsWith('open ')) throw new Error(`the WebSocket client could not open ${count} connections through switchyard: ${first}`);
  const [opened, ms] = first.split(' ').slice(1).map(Number);
  const client = { ask: (line) => (child.stdin.write(`${line}\n`), next()) };
  try {
    return await fn(client, { count: opened, ms });
  } finally {
    child.stdin.write('close\n');
    await child.exited;
  }
}

/** `ws` echo server on an HTTP server that answers 200 to plain GETs (switchyard's readiness check). */
async function startEchoBackend(port) {
  const server = http.createServer((req, res) => res.end('ok\n'));
  const wss = new WebSocketServer({ server, perMessageDeflate: false });
  wss.on('connection', (ws) => ws.on('message', (data, binary) => ws.send(data, { binary })));
  await new Promise((resolve) => server.listen(port, HOST, resolve));
  return {
    open: () => wss.clients.size,
    close: () => {
      for (const ws of wss.clients) ws.terminate();
      server.close();
    },
  };
}
