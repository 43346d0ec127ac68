// A tiny HTTP backend run as its own process (so a test can SIGKILL it for real).
// Usage: node backend-process.mjs <name> [port] [delayMs]
// Answers every request with 200 `<name>` after delayMs (default 0); prints {"port":N} once listening.
import http from 'node:http';

const [name = 'backend', portArg = '0', delayArg = '0'] = process.argv.slice(2);
const delay = Number(delayArg);
const server = http.createServer((req, res) => {
  req.resume();
  req.on('end', () => {
    const answer = () => {
      const body = name;
      res.writeHead(200, { 'content-type': 'text/plain', 'content-length': Buffer.byteLength(body), 'x-backend': name });
      res.end(body);
    };
    if (delay > 0 && req.headers['user-agent'] !== 'switchyard-health-check') setTimeout(answer, delay);
    else answer();
  });
});
server.keepAliveTimeout = 60_000;
server.on('error', (err) => {
  process.stdout.write(`${JSON.stringify({ error: err.code ?? err.message })}\n`);
  process.exit(1);
});
server.listen(Number(portArg), '127.0.0.1', () => {
  process.stdout.write(`${JSON.stringify({ port: server.address().port })}\n`);
});
// The parent going away (test runner crash) must not leave us behind.
process.stdin.on('end', () => process.exit(0));
process.stdin.resume();
