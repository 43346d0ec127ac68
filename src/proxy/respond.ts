import { STATUS_CODES, type ServerResponse } from 'node:http';
import type { Socket } from 'node:net';

/** A short plain-text answer of our own (404, 502, 503, 504), unless a response already started. */
export function respond(res: ServerResponse, status: number, body: string): void {
  if (res.headersSent || res.destroyed) return;
  // The reason phrase is named: an upstream status line that failed to go out may have set another.
  res.writeHead(status, STATUS_CODES[status] ?? '', { 'content-type': 'text/plain; charset=utf-8', 'content-length': Buffer.byteLength(body) + 1 });
  res.end(`${body}\n`);
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
