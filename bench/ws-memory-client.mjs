// The client side of bench/ws-memory.mjs, in its own process so its sockets do not count against
// the bench's (or the proxy's) open-files limit. Driven by lines on stdin, answers on stdout:
//   (start)        opens COUNT WebSockets to URL with Host HOST, CONCURRENCY handshakes at a time
//                  → "open <n> <ms>"                       (or "error <message>")
//   "echo <k>"     sends a message on k connections spread over all of them, waits for each echo
//                  → "echo <answered> <k>"
//   "close"        closes them all and exits
//   node bench/ws-memory-client.mjs URL HOST COUNT [CONCURRENCY]
import readline from 'node:readline';
import WebSocket from 'ws';

const [url, host, countText, concurrencyText = '200'] = process.argv.slice(2);
const count = Number(countText);
const sockets = [];

function open() {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url, { headers: { host }, perMessageDeflate: false, handshakeTimeout: 30_000 });
    ws.once('open', () => resolve(ws));
    ws.once('error', reject);
  });
}

async function openAll() {
  const t0 = performance.now();
  let next = 0;
  const worker = async () => {
    while (next < count) {
      next++;
      sockets.push(await open());
    }
  };
  await Promise.all(Array.from({ length: Number(concurrencyText) }, worker));
  return performance.now() - t0;
}

function echo(ws, text) {
  return new Promise((resolve) => {
    const timer = setTimeout(() => resolve(false), 5000);
    ws.once('message', (data) => {
      clearTimeout(timer);
      resolve(String(data) === text);
    });
    ws.send(text);
  });
}

try {
  const ms = await openAll();
  process.stdout.write(`open ${sockets.length} ${Math.round(ms)}\n`);
} catch (err) {
  process.stdout.write(`error ${sockets.length} connections open, then: ${err.message}\n`);
}

for await (const line of readline.createInterface({ input: process.stdin })) {
  const [cmd, arg] = line.trim().split(' ');
  if (cmd === 'echo') {
    const k = Math.min(Number(arg), sockets.length);
    const picked = Array.from({ length: k }, (_, i) => sockets[Math.floor((i * sockets.length) / k)]);
    const answered = (await Promise.all(picked.map((ws, i) => echo(ws, `ping ${i}`)))).filter(Boolean).length;
    process.stdout.write(`echo ${answered} ${k}\n`);
  } else if (cmd === 'close') break;
}
for (const ws of sockets) ws.terminate();
process.exit(0);
