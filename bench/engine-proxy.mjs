// One minimal round-robin proxy loop, for comparing proxy engines (used by bench/engines.mjs).
//   node bench/engine-proxy.mjs <http-proxy|node-http|undici|undici-dispatch|llhttp> PORT BACKEND_PORT...
// llhttp = switchyard's own engine (dist/: client connections + upstream pools over llhttp), build first.
// No routing, no balancing beyond round robin: only what the engine itself costs.
import http from 'node:http';
import httpProxy from 'http-proxy';
import { Pool } from 'undici';

const [engine, portText, ...backendPorts] = process.argv.slice(2);
const targets = backendPorts.map((p) => ({ url: `http://127.0.0.1:${p}`, port: Number(p) }));
let next = 0;
const pick = () => targets[next++ % targets.length];
const HOP = new Set(['connection', 'keep-alive', 'proxy-connection', 'te', 'trailer', 'upgrade', 'transfer-encoding']);

let handler;
if (engine === 'http-proxy') {
  const agents = targets.map(() => new http.Agent({ keepAlive: true, maxSockets: 256 }));
  const proxy = httpProxy.createProxyServer({});
  handler = (req, res) => {
    const i = next++ % targets.length;
    proxy.web(req, res, { target: targets[i].url, agent: agents[i] }, () => {
      res.statusCode = 502;
      res.end();
    });
  };
} else if (engine === 'node-http') {
  const agents = new Map(targets.map((t) => [t, new http.Agent({ keepAlive: true, maxSockets: 256 })]));
  handler = (req, res) => {
    const t = pick();
    const headers = {};
    for (const [k, v] of Object.entries(req.headers)) if (!HOP.has(k)) headers[k] = v;
    const up = http.request({ host: '127.0.0.1', port: t.port, method: req.method, path: req.url, headers, agent: agents.get(t) }, (ur) => {
      const out = {};
      for (const [k, v] of Object.entries(ur.headers)) if (!HOP.has(k)) out[k] = v;
      res.writeHead(ur.statusCode, out);
      ur.pipe(res);
    });
    up.on('error', () => {
      res.statusCode = 502;
      res.end();
    });
    req.pipe(up);
  };
} else if (engine === 'undici') {
  const pools = new Map(targets.map((t) => [t, new Pool(t.url, { connections: 256, pipelining: 1 })]));
  handler = (req, res) => {
    const t = pick();
    const headers = {};
    for (const [k, v] of Object.entries(req.headers)) if (!HOP.has(k) && k !== 'host') headers[k] = v;
    pools
      .get(t)
      .request({ method: req.method, path: req.url, headers, body: req.method === 'GET' || req.method === 'HEAD' ? null : req })
      .then(({ statusCode, headers: h, body }) => {
        const out = {};
        for (const [k, v] of Object.entries(h)) if (!HOP.has(k)) out[k] = v;
        res.writeHead(statusCode, out);
        body.pipe(res);
      })
      .catch(() => {
        res.statusCode = 502;
        res.end();
      });
  };
} else if (engine === 'undici-dispatch') {
  // What switchyard does: Dispatcher.dispatch with a handler writing straight to the response
  // (raw header buffers in, writeHead/write/end out, back-pressure via the parser's resume).
  const pools = new Map(targets.map((t) => [t, new Pool(t.url, { connections: 256, pipelining: 1 })]));
  handler = (req, res) => {
    const t = pick();
    const headers = [];
    for (const [k, v] of Object.entries(req.headers)) if (!HOP.has(k) && k !== 'host') headers.push(k, v);
    pools.get(t).dispatch(
      { method: req.method, path: req.url, headers, body: req.method === 'GET' || req.method === 'HEAD' ? null : req },
      {
        onConnect() {},
        onHeaders(statusCode, raw, resume) {
          const out = [];
          for (let i = 0; i < raw.length; i += 2) {
            const k = raw[i].toString('latin1');
            if (!HOP.has(k.toLowerCase())) out.push(k, raw[i + 1].toString('latin1'));
          }
          res.writeHead(statusCode, out);
          this.resume = resume;
          return true;
        },
        onData(chunk) {
          if (res.write(chunk)) return true;
          res.once('drain', this.resume);
          return false;
        },
        onComplete() {
          res.end();
        },
        onError() {
          if (res.headersSent) return res.destroy();
          res.statusCode = 502;
          res.end();
        },
      },
    );
  };
} else if (engine !== 'llhttp') {
  throw new Error(`unknown engine ${engine}`);
}
let server;
if (engine === 'llhttp') {
  // What switchyard does now: raw sockets, llhttp both ways, keep-alive upstream pools.
  const net = await import('node:net');
  const { ClientConnection } = await import('../dist/src/entrypoints/client-connection.js');
  const { Upstream } = await import('../dist/src/runtime/upstream-pool.js');
  const { clientResponseHeaders } = await import('../dist/src/proxy/client-response-headers.js');
  const pools = targets.map((t) => new Upstream(t.url, { maxIdleSockets: 256, idleTimeout: 60_000 }));
  const owner = {
    request(d) {
      const pool = pools[next++ % pools.length];
      let lines = '';
      const raw = d.head.rawHeaders;
      for (let i = 0; i < raw.length; i += 2) if (!HOP.has(raw[i].toLowerCase())) lines += `${raw[i]}: ${raw[i + 1]}\r\n`;
      pool.acquire('', (err, conn) => {
        if (err) return d.destroy();
        conn.request(`${d.head.method} ${d.head.url} HTTP/1.1\r\n${lines}\r\n`, {
          onHeaders(head) {
            const { headers, contentLength } = clientResponseHeaders(head.rawHeaders, undefined, false);
            d.writeHead(head.statusCode, head.statusMessage, headers, contentLength);
          },
          onData: (chunk) => (d.write(chunk) ? true : (d.onceDrain(() => conn.resume()), false)),
          onComplete: () => d.end(),
          onError: () => d.destroy(),
        }, { isHead: d.head.method === 'HEAD', hasBody: false, headerTimeout: 0 });
      });
    },
    upgrade: (_head, socket) => socket.destroy(),
    connectionClosed() {},
  };
  server = net.createServer({ noDelay: true }, (socket) => new ClientConnection(socket, owner, 0));
} else {
  server = http.createServer(handler);
  server.keepAliveTimeout = 60_000;
}
server.listen(Number(portText), '127.0.0.1', () => process.stdout.write(`listening ${portText}\n`));
process.on('SIGTERM', () => process.exit(0));
