import { STATUS_CODES } from 'node:http';
import type { Socket } from 'node:net';
import type { Downstream } from '../http1/downstream.js';

const TEXT = ['Content-Type', 'text/plain; charset=utf-8'];

/** A short plain-text answer of our own (404, 502, 503, 504), unless a response already started. */
export function respond(d: Downstream, status: number, body: string): void {
  if (d.headersSent || d.closed) return;
  const data = Buffer.from(`${body}\n`);
  d.writeHead(status, STATUS_CODES[status] ?? '', TEXT, d.head.method === 'HEAD' ? 'none' : data.length);
  d.write(data);
  d.end();
}

/** Refuses a WebSocket upgrade with an HTTP status on the raw socket, then closes it. */
export function rejectUpgrade(socket: Socket, status: number, body: string): void {
  if (socket.destroyed) return;
  const text = `${body}\n`;
  socket.end(
    `HTTP/1.1 ${status} ${STATUS_CODES[status] ?? ''}\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Length: ${Buffer.byteLength(text)}\r\nConnection: close\r\n\r\n${text}`,
  );
}

export function errSummary(err: unknown): { code?: string; message: string } {
  const e = err as NodeJS.ErrnoException;
  return { ...(e?.code ? { code: e.code } : {}), message: e?.message ?? String(err) };
}
