import http, { type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { WebSocketServer } from 'ws';

export interface Backend {
  name: string;
  url: string;
  port: number;
  /** Requests received, in order. */
  requests: IncomingMessage[];
  /** Currently open WebSocket connections. */
  webSockets: number;
  close(): Promise<void>;
}

export interface BackendOptions {
  /** Custom handler; default answers 200 with the backend's name. */
  handler?: (req: IncomingMessage, res: ServerResponse, backend: Backend) => void;
  /** Delay (ms) before the default handler answers. */
  delayMs?: number;
  host?: string;
}

/**
 * A real HTTP + WebSocket echo server on an ephemeral loopback port. HTTP answers
 * `<name>` (200); a WebSocket echoes `<name>:<message>`.
 */
export async function startBackend(name: string, options: BackendOptions = {}): Promise<Backend> {
  const sockets = new Set<Socket>();
  const backend: Backend = { name, url: '', port: 0, requests: [], webSockets: 0, close: async () => undefined };
  const server = http.createServer((req, res) => {
    backend.requests.push(req);
    if (options.handler) return options.handler(req, res, backend);
    const answer = (): void => {
      res.setHeader('x-backend', name);
      res.end(name);
    };
    // Drain the body first so uploads complete before we answer.
    req.resume();
    req.on('end', () => (options.delayMs ? setTimeout(answer, options.delayMs) : answer()));
  });
  server.on('connection', (s: Socket) => {
    sockets.add(s);
    s.once('close', () => sockets.delete(s));
  });
  const wss = new WebSocketServer({ server });
  wss.on('connection', (ws, req) => {
    backend.requests.push(req);
    backend.webSockets++;
    ws.on('message', (data) => ws.send(`${name}:${data.toString()}`));
    ws.on('close', () => backend.webSockets--);
  });
  await new Promise<void>((resolve) => server.listen(0, options.host ?? '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  backend.port = port;
  backend.url = `http://${options.host ?? '127.0.0.1'}:${port}`;
  backend.close = async () => {
    for (const c of wss.clients) c.terminate();
    wss.close();
    for (const s of sockets) s.destroy();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  };
  return backend;
}

export async function startBackends(names: string[], options?: BackendOptions): Promise<Backend[]> {
  return Promise.all(names.map((n) => startBackend(n, options)));
}

/** A loopback port that nothing listens on (bound, then released). */
export async function closedPort(): Promise<number> {
  const server = http.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}
