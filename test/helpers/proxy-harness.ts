import http from 'node:http';
import net from 'node:net';
import WebSocket from 'ws';
import { request, type RequestOptions } from './http-client.js';
import { waitFor } from './wait.js';

/** Anything with an async close (backends, switchyards). */
export interface Closable {
  close(): Promise<void>;
}

/** Collects resources opened by a test so one afterEach can close them all, newest first. */
export class Resources {
  private readonly items: Closable[] = [];

  add<T extends Closable>(item: T): T {
    this.items.push(item);
    return item;
  }

  async closeAll(): Promise<void> {
    const items = this.items.splice(0).reverse();
    for (const item of items) await item.close();
  }
}

export interface ServerView {
  url: string;
  weight: number | null;
  state: 'up' | 'draining';
  inFlight: number;
  webSockets: number;
  served: number;
}

export interface ServiceView {
  name: string;
  status: string;
  strategy?: string;
  sticky?: boolean;
  passHostHeader?: boolean;
  servers: ServerView[];
}

/** GET /api/http/services/<name> from the admin API. */
export async function getService(apiUrl: string, name = 'app@file'): Promise<ServiceView> {
  const reply = await request(`${apiUrl}/api/http/services/${name}`, { agent: false });
  if (reply.status !== 200) throw new Error(`GET service ${name}: ${reply.status} ${reply.body}`);
  return JSON.parse(reply.body) as ServiceView;
}

/** Every service the admin API knows. */
export async function getServices(apiUrl: string): Promise<ServiceView[]> {
  const reply = await request(`${apiUrl}/api/http/services`, { agent: false });
  if (reply.status !== 200) throw new Error(`GET services: ${reply.status} ${reply.body}`);
  return JSON.parse(reply.body) as ServiceView[];
}

/** Waits until no server of any service has a request or WebSocket in flight. */
export async function waitForNoInFlight(apiUrl: string): Promise<ServiceView[]> {
  let last: ServiceView[] = [];
  try {
    return await waitFor(async () => {
      last = await getServices(apiUrl);
      return last.every((s) => s.servers.every((v) => v.inFlight === 0 && v.webSockets === 0)) ? last : undefined;
    }, 'every server to have inFlight 0');
  } catch (err) {
    throw new Error(`${(err as Error).message}; last view: ${JSON.stringify(last.map((s) => ({ name: s.name, servers: s.servers })))}`);
  }
}

/** `n` sequential requests; returns the response bodies in order. */
export async function sequential(url: string, n: number, options: RequestOptions = {}): Promise<string[]> {
  const agent = options.agent ?? new http.Agent({ keepAlive: true, maxSockets: 1 });
  const bodies: string[] = [];
  try {
    for (let i = 0; i < n; i++) {
      const reply = await request(url, { ...options, agent });
      if (reply.status !== 200) throw new Error(`request ${i} to ${url}: ${reply.status} ${reply.body}`);
      bodies.push(reply.body);
    }
  } finally {
    if (!options.agent && agent) agent.destroy();
  }
  return bodies;
}

/** How many times each value occurs. */
export function tally(values: readonly string[]): Record<string, number> {
  const out: Record<string, number> = {};
  for (const v of values) out[v] = (out[v] ?? 0) + 1;
  return out;
}

export interface RawReply {
  status: number;
  /** Lower-cased header name → values (in order). */
  headers: Map<string, string[]>;
  body: string;
}

/**
 * Writes `text` verbatim to a fresh TCP connection and reads until the peer closes.
 * Send `Connection: close` so the peer ends the connection after its answer.
 */
export function rawExchange(port: number, text: string): Promise<RawReply> {
  return new Promise((resolve, reject) => {
    const socket = net.connect(port, '127.0.0.1');
    const chunks: Buffer[] = [];
    socket.on('data', (c: Buffer) => chunks.push(c));
    socket.on('error', reject);
    socket.setTimeout(10_000, () => socket.destroy(new Error('rawExchange: the peer did not close the connection within 10 s')));
    socket.on('end', () => {
      const all = Buffer.concat(chunks).toString('latin1');
      const split = all.indexOf('\r\n\r\n');
      const head = split < 0 ? all : all.slice(0, split);
      const [statusLine, ...lines] = head.split('\r\n');
      const headers = new Map<string, string[]>();
      for (const line of lines) {
        const colon = line.indexOf(':');
        const name = line.slice(0, colon).trim().toLowerCase();
        headers.set(name, [...(headers.get(name) ?? []), line.slice(colon + 1).trim()]);
      }
      resolve({ status: Number(/^HTTP\/1\.[01] (\d{3})/.exec(statusLine ?? '')?.[1] ?? 0), headers, body: split < 0 ? '' : all.slice(split + 4) });
    });
    socket.write(text);
  });
}

export interface OpenWs {
  ws: WebSocket;
  /** The 101 response. */
  upgrade: http.IncomingMessage;
}

/** Opens a WebSocket; resolves once it is open, with the 101 response. */
export function openWs(url: string, headers: Record<string, string> = {}, localAddress?: string): Promise<OpenWs> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url, { headers, ...(localAddress ? { localAddress } : {}) });
    let upgrade: http.IncomingMessage | undefined;
    ws.once('upgrade', (res) => (upgrade = res));
    ws.once('open', () => resolve({ ws, upgrade: upgrade! }));
    ws.once('unexpected-response', (_req, res) => {
      reject(new Error(`unexpected WebSocket handshake response ${res.statusCode}`));
      res.resume();
    });
    ws.once('error', reject);
  });
}

/** Sends `message` and resolves with the next message received. */
export function wsRoundTrip(ws: WebSocket, message: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const onError = (err: Error): void => {
      ws.off('message', onMessage);
      reject(err);
    };
    const onMessage = (data: WebSocket.RawData): void => {
      ws.off('error', onError);
      resolve(data.toString());
    };
    ws.once('message', onMessage);
    ws.once('error', onError);
    ws.send(message);
  });
}

/** Closes a WebSocket and waits until the close handshake (or the socket) is done. */
export function closeWs(ws: WebSocket): Promise<void> {
  if (ws.readyState === WebSocket.CLOSED) return Promise.resolve();
  return new Promise((resolve) => {
    ws.once('close', () => resolve());
    ws.close();
  });
}

/** Tries a WebSocket handshake that should be refused; resolves with the HTTP answer. */
export function wsRejected(url: string, headers: Record<string, string> = {}): Promise<{ status: number; headers: http.IncomingHttpHeaders; body: string }> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url, { headers });
    ws.once('open', () => {
      ws.terminate();
      reject(new Error('WebSocket handshake unexpectedly succeeded'));
    });
    ws.once('unexpected-response', (_req, res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString() }));
      res.on('error', reject);
    });
    ws.once('error', (err) => reject(err));
  });
}
