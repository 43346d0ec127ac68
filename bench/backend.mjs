// Minimal, fast HTTP backend for the benchmark (used when nginx is not installed).
//   node bench/backend.mjs PORT
// Answers every request with the 3-byte body "ok\n"; prints "listening PORT" once bound.
import http from 'node:http';

const port = Number(process.argv[2]);
const body = Buffer.from('ok\n');
const server = http.createServer((req, res) => {
  res.writeHead(200, { 'content-type': 'text/plain', 'content-length': body.length });
  res.end(body);
});
server.keepAliveTimeout = 60_000;
server.listen(port, '127.0.0.1', () => process.stdout.write(`listening ${port}\n`));
const stop = () => {
  server.close(() => process.exit(0));
  server.closeAllConnections();
};
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
