// Tiny demo backends for the Switchyard quickstart.
//
// Each backend answers any HTTP request with its own name and the path it was asked for,
// and echoes every WebSocket message back prefixed with its name.
//
//   import { startBackends } from './backends.mjs';
//   const backends = await startBackends({ count: 3, basePort: 9001 });
//   ...
//   await backends.close();
//
// Runnable alone too:  node examples/quickstart/backends.mjs [count=3] [basePort=9001]
import http from 'node:http';
import { fileURLToPath } from 'node:url';
import { WebSocketServer } from 'ws';

/**
 * Starts `count` backends named backend-1..backend-N on host:basePort..basePort+count-1.
 * Rejects (after closing the ones already started) if a port cannot be bound; the error
 * carries `.port` and `.code` (e.g. EADDRINUSE).
 */
export async function startBackends({ count = 3, basePort = 9001, host = '127.0.0.1', log = () => {} } = {}) {
  const started = [];
  try {
    for (let i = 0; i < count; i++) {
      started.push(await startBackend({ name: `backend-${i + 1}`, host, port: basePort + i, log }));
    }
  } catch (err) {
    await Promise.all(started.map((b) => b.close()));
    throw err;
  }
  return {
    backends: started,
    urls: started.map((b) => b.url),
    close: () => Promise.all(started.map((b) => b.close())).then(() => undefined),
  };
}

/** One backend: plain node:http plus a `ws` WebSocket server on the same port. */
export async function startBackend({ name, host = '127.0.0.1', port, log = () => {} }) {
  const server = http.createServer((req, res) => {
    const body = `hello from ${name} (${req.method} ${req.url})\n`;
    res.writeHead(200, {
      'content-type': 'text/plain; charset=utf-8',
      'content-length': Buffer.byteLength(body),
      'x-backend': name,
    });
    res.end(body);
  });

  const wss = new WebSocketServer({ server });
  // ws re-emits the http server's errors (EADDRINUSE...); listen() below reports those.
  wss.on('error', () => {});
  wss.on('connection', (socket, req) => {
    log(`${name}: websocket connected (${req.url})`);
    socket.send(`${name}: connected, send me something`);
    socket.on('message', (data, isBinary) => {
      socket.send(isBinary ? data : `${name}: ${data.toString()}`, { binary: isBinary });
    });
    socket.on('error', () => {});
  });

  await new Promise((resolve, reject) => {
    const onError = (err) => {
      err.port = port;
      reject(err);
    };
    server.once('error', onError);
    server.listen(port, host, () => {
      server.off('error', onError);
      resolve();
    });
  });

  return {
    name,
    port,
    url: `http://${host}:${port}`,
    close: () =>
      new Promise((resolve) => {
        for (const client of wss.clients) client.terminate();
        wss.close();
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

// `node backends.mjs [count] [basePort]`: run the backends on their own until Ctrl-C.
if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const count = Number(process.argv[2] ?? 3);
  const basePort = Number(process.argv[3] ?? 9001);
  try {
    const set = await startBackends({ count, basePort, log: (m) => console.log(m) });
    for (const b of set.backends) console.log(`${b.name} listening on ${b.url}`);
    console.log('Ctrl-C to stop');
    const stop = async () => {
      await set.close();
      process.exit(0);
    };
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
  } catch (err) {
    console.error(
      err.code === 'EADDRINUSE'
        ? `port ${err.port} is already in use; stop whatever uses it (e.g. \`lsof -i :${err.port}\`) or pick another base port`
        : `cannot start backends: ${err.message}`,
    );
    process.exit(1);
  }
}
